package ops

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// Every action of the catalog has an implementation, and nothing else
// does.
func TestEveryActionImplemented(t *testing.T) {
	for _, a := range kinds.Actions() {
		if actions[a.Name] == nil {
			t.Errorf("action %s of the catalog has no implementation", a.Name)
		}
	}
	if len(actions) != len(kinds.Actions()) {
		t.Errorf("%d implementations for %d catalog actions", len(actions), len(kinds.Actions()))
	}
}

func TestParams(t *testing.T) {
	act := func(name string) kinds.Action { a, _ := kinds.ActionByName(name); return a }
	for _, tc := range []struct {
		action, params, err string
	}{
		{"pod.delete", ``, ""},
		{"pod.delete", `null`, ""},
		{"pod.delete", `{"grace_seconds":30}`, ""},
		{"pod.delete", `{"grace_seconds":-1}`, "grace_seconds -1"},
		{"pod.delete", `{"replicas":3}`, `parameter "replicas": pod.delete takes grace_seconds`},
		{"pod.delete", `[1]`, "want a JSON object"},
		{"pod.delete", `{"grace_seconds":"x"}`, "parameters:"},
		{"pod.logs", `{"container":"app","previous":true,"tail_lines":10,"since_seconds":60}`, ""},
		{"pod.logs", `{"tail_lines":0}`, "tail_lines 0"},
		{"workload.scale", `{"replicas":0}`, ""},
		{"workload.scale", `{}`, "needs replicas"},
		{"workload.scale", `{"replicas":-2}`, "replicas -2"},
		{"workload.set_image", `{"image":"a b"}`, "needs an image"},
		{"workload.set_image", `{"container":"app","image":"nginx:1.27"}`, ""},
		{"workload.undo", `{"to_revision":-1}`, "to_revision -1"},
		{"node.drain", `{"timeout_seconds":7200}`, "timeout_seconds 7200"},
		{"node.drain", `{"grace_seconds":0,"timeout_seconds":60,"delete_emptydir_data":true}`, ""},
		{"node.drain", `{"force":true}`, ""},
		{"node.drain", `{"force":"yes"}`, "parameters"},
		{"object.yaml", `{"container":"x"}`, "object.yaml takes no parameters"},
	} {
		_, err := parseParams(act(tc.action), json.RawMessage(tc.params))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s %s: %v", tc.action, tc.params, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %s: error %v, want %q", tc.action, tc.params, err, tc.err)
		}
	}
}

// Parameters come from outside the cluster: no input panics.
func FuzzParams(f *testing.F) {
	for _, s := range []string{`{"replicas":3}`, `{"grace_seconds":-1}`, `null`, `{"tail_lines":1e99}`, `{"image":""}`} {
		f.Add("workload.scale", s)
		f.Add("pod.logs", s)
	}
	f.Fuzz(func(t *testing.T, action, raw string) {
		a, ok := kinds.ActionByName(action)
		if !ok {
			a = kinds.Action{Name: action, Params: []string{"replicas", "tail_lines", "image"}}
		}
		p, err := parseParams(a, json.RawMessage(raw))
		if err == nil && p.Replicas != nil && *p.Replicas < 0 {
			t.Fatalf("negative replicas accepted: %s", raw)
		}
	})
}

func TestParseAllow(t *testing.T) {
	a, err := ParseAllow(" pod.logs, object.yaml ,", "shop,web")
	if err != nil || len(a.Actions) != 2 || len(a.Namespaces) != 2 {
		t.Fatalf("%+v %v", a, err)
	}
	pod, _ := kinds.ByName(kinds.Pod)
	node, _ := kinds.ByName(kinds.Node)
	if why := a.check("pod.delete", pod, "shop"); !strings.Contains(why, "--allow-actions") {
		t.Errorf("pod.delete allowed: %q", why)
	}
	if why := a.check("pod.logs", pod, "kube-system"); !strings.Contains(why, "--allow-namespaces") {
		t.Errorf("kube-system allowed: %q", why)
	}
	if why := a.check("pod.logs", pod, "web"); why != "" {
		t.Errorf("web refused: %q", why)
	}
	if why := a.check("object.yaml", node, ""); why != "" {
		t.Errorf("a node refused by the namespace list: %q", why)
	}
	if why := (Allow{}).check("node.drain", node, ""); why != "" {
		t.Errorf("the default allowlist refuses: %q", why)
	}
	if _, err := ParseAllow("pod.explode", ""); err == nil || !strings.Contains(err.Error(), "unknown action") {
		t.Errorf("unknown action: %v", err)
	}
}

// docs/agent.md grants exactly Rules.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/agent.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), RulesYAML()) {
		t.Fatalf("docs/agent.md lacks the operations rules:\n%s", RulesYAML())
	}
}
