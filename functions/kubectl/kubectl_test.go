package kubectl

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
)

func TestParse(t *testing.T) {
	tg := func(kind, ns, name string) control.Target {
		return control.Target{Kind: kind, Namespace: ns, Name: name}
	}
	cases := []struct {
		line   string
		action string
		target control.Target
		params map[string]any
	}{
		{"kubectl -n shop rollout restart deployment/web", "workload.restart", tg("Deployment", "shop", "web"), nil},
		{"rollout restart sts db -n data", "workload.restart", tg("StatefulSet", "data", "db"), nil},
		{"scale deploy web --replicas=3 -n shop", "workload.scale", tg("Deployment", "shop", "web"), map[string]any{"replicas": 3}},
		{"scale --replicas 0 statefulset.apps/db", "workload.scale", tg("StatefulSet", "default", "db"), map[string]any{"replicas": 0}},
		{"cordon node-1", "node.cordon", tg("Node", "", "node-1"), nil},
		{"uncordon node/node-1", "node.uncordon", tg("Node", "", "node-1"), nil},
		{"drain node-1 --grace-period=30 --delete-emptydir-data", "node.drain", tg("Node", "", "node-1"),
			map[string]any{"grace_seconds": 30, "delete_emptydir_data": true}},
		{"drain node-2 --timeout=5m", "node.drain", tg("Node", "", "node-2"), map[string]any{"timeout_seconds": 300}},
		{"kubectl drain node-3 --ignore-daemonsets --delete-emptydir-data --force --timeout=90s", "node.drain", tg("Node", "", "node-3"),
			map[string]any{"delete_emptydir_data": true, "force": true, "timeout_seconds": 90}},
		{"drain node-4 --ignore-daemonsets=true", "node.drain", tg("Node", "", "node-4"), map[string]any{}},
		{"logs pod/web-1 -c app --tail=200 --previous", "pod.logs", tg("Pod", "default", "web-1"),
			map[string]any{"container": "app", "tail_lines": 200, "previous": true}},
		{"logs web-1 app -n shop --since=1h", "pod.logs", tg("Pod", "shop", "web-1"), map[string]any{"container": "app", "since_seconds": 3600}},
		{"logs -p po/x", "pod.logs", tg("Pod", "default", "x"), map[string]any{"previous": true}},
		{"set image deployment/web app=nginx:1.27", "workload.set_image", tg("Deployment", "default", "web"),
			map[string]any{"container": "app", "image": "nginx:1.27"}},
		{"rollout undo deploy/web --to-revision=2", "workload.undo", tg("Deployment", "default", "web"), map[string]any{"to_revision": 2}},
		{"rollout undo deploy/web", "workload.undo", tg("Deployment", "default", "web"), nil},
		{"rollout history ds/agent -n kube-system", "workload.history", tg("DaemonSet", "kube-system", "agent"), nil},
		{"rollout pause deployment/web", "workload.pause", tg("Deployment", "default", "web"), nil},
		{"create job --from=cronjob/nightly", "cronjob.trigger", tg("CronJob", "default", "nightly"), nil},
		{"create job --from cj/nightly -n batch", "cronjob.trigger", tg("CronJob", "batch", "nightly"), nil},
		{"suspend cronjob/nightly", "cronjob.suspend", tg("CronJob", "default", "nightly"), nil},
		{"get deploy/web -o yaml", "object.yaml", tg("Deployment", "default", "web"), nil},
		{"get svc api -n shop", "object.yaml", tg("Service", "shop", "api"), nil},
		{"get nodes node-1 -oyaml", "object.yaml", tg("Node", "", "node-1"), nil},
		{"describe pod/x", "object.describe", tg("Pod", "default", "x"), nil},
		{"describe ingresses.networking.k8s.io/web -n shop", "object.describe", tg("Ingress", "shop", "web"), nil},
		{"events --for pod/web-1 -n shop", "object.events", tg("Pod", "shop", "web-1"), nil},
		{"delete pod web-1 -n shop --grace-period=0", "pod.delete", tg("Pod", "shop", "web-1"), map[string]any{"grace_seconds": 0}},
		{"delete job/migrate", "job.delete", tg("Job", "default", "migrate"), nil},
		{`  kubectl   logs "pod/web-1"  -c 'app' `, "pod.logs", tg("Pod", "default", "web-1"), map[string]any{"container": "app"}},
	}
	for _, c := range cases {
		got, err := Parse(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got.Action != c.action || got.Target != c.target {
			t.Errorf("%q: got %s %+v, want %s %+v", c.line, got.Action, got.Target, c.action, c.target)
		}
		if len(got.Params) == 0 && len(c.params) == 0 {
			continue
		}
		if !reflect.DeepEqual(got.Params, c.params) {
			t.Errorf("%q: params %v, want %v", c.line, got.Params, c.params)
		}
	}
}

// TestParseErrors: each unsupported line names its unsupported part.
func TestParseErrors(t *testing.T) {
	cases := []struct{ line, part string }{
		{"exec -it pod/x -- sh", "exec"},
		{"port-forward svc/x 8080", "port-forward"},
		{"apply -f x.yaml", "apply"},
		{"get secret/db-password -o yaml", "secret"},
		{"describe secrets db", "secrets"},
		{"scale deploy/web", "--replicas"},
		{"scale deploy/web --replicas=three", "--replicas"},
		{"drain node-1 --ignore-daemonsets=false", "--ignore-daemonsets"},
		{"drain node-1 --force=maybe", "--force"},
		{"drain node-1 --disable-eviction", "--disable-eviction"},
		{"logs pod/x -f", "-f"},
		{"rollout status deploy/web", "rollout status"},
		{"rollout restart pod/web-1", "rollout restart"},
		{"delete deployment/web", "delete"},
		{"get pods", "pods"},
		{"get deploy/web -o json", "-o json"},
		{"set env deploy/web A=1", "set env"},
		{"set image deploy/web a=x b=y", "b=y"},
		{"cordon node-1 node-2", "node-2"},
		{"get frobs/x", "frobs"},
		{"logs pod/x; rm -rf /", ";"},
		{"logs $(whoami)", "$"},
		{"logs 'pod/x", "'"},
		{"create deployment web", "create deployment"}, {"create deployment web --image=nginx", "--image"},
		{"create job x --from=cronjob/nightly", "x"},
		{"cordon node-1 -n shop", "-n"},
		{"", ""},
		{"kubectl", ""},
	}
	for _, c := range cases {
		_, err := Parse(c.line)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v, want a parse error", c.line, err)
			continue
		}
		if pe.Part != c.part {
			t.Errorf("%q: part %q (%v), want %q", c.line, pe.Part, err, c.part)
		}
	}
}

// seeds are the fuzz corpus, also run by FuzzParse in plain `go test`.
var seeds = []string{
	"kubectl -n shop rollout restart deployment/web", "scale deploy web --replicas=3 -n shop", "cordon node-1",
	"drain node-1 --grace-period=30 --delete-emptydir-data", "drain node-1 --ignore-daemonsets --force --timeout=2m",
	"drain n --ignore-daemonsets=false", "logs pod/web-1 -c app --tail=200 --previous",
	"set image deployment/web app=nginx:1.27", "rollout undo deploy/web --to-revision=2", "create job --from=cronjob/nightly",
	"get deploy/web -o yaml", "describe pod/x", `logs "a b" 'c\d' e\ f`, "scale --replicas=-5 deploy/x", "logs --tail=99999999999999999999 x",
	"get ---o=yaml x/y", "drain n --timeout=-1s", "- -- --- -n", "logs --since=0s x", "set image a/b =", "events --for=",
	"kubectl -n", "\x00", "rollout", "get /", "get deploy/", "logs pod/x/y",
}

// FuzzParse: no line panics; a parsed command names a catalog action that
// applies to its target's kind, never a Secret, with a name and the
// namespace its kind needs, and encodes as JSON.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := Parse(line)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error of type %T: %v", line, err, err)
			}
			return
		}
		a, ok := kinds.ActionByName(c.Action)
		if !ok || !a.Applies(c.Target.Kind) {
			t.Fatalf("%q: action %q on %s", line, c.Action, c.Target.Kind)
		}
		k, _ := kinds.ByName(c.Target.Kind)
		if c.Target.Kind == kinds.Secret || c.Target.Name == "" || k.Namespaced != (c.Target.Namespace != "") {
			t.Fatalf("%q: target %+v", line, c.Target)
		}
		for p := range c.Params {
			found := false
			for _, name := range a.Params {
				found = found || name == p
			}
			if !found {
				t.Fatalf("%q: parameter %q not in %s's %v", line, p, a.Name, a.Params)
			}
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(c.Target.Name, "/") {
			t.Fatalf("%q: name %q", line, c.Target.Name)
		}
	})
}
