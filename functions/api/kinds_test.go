package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/kinds"
)

// TestEveryKindEveryLayer: every kind the agent can write (a binding in
// agent/rows) is served by the API, documented in the OpenAPI document
// and the docs, and known to the web; and nothing is served that the
// agent cannot write. It fails when a kind is left out of any layer.
func TestEveryKindEveryLayer(t *testing.T) {
	srv := newRouterOnly(t)
	served := map[string]bool{}
	for _, r := range srv.Routes() {
		served[r.Method+" "+r.Pattern] = true
	}
	d := loadDoc(t)
	read := func(path string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	agentDoc, lakeDoc, webModule := read("docs/agent.md"), read("docs/lake.md"), read("web/src/lib/k8s/kinds.gen.ts")
	var names map[string]map[string]string
	if err := json.Unmarshal([]byte(read("web/src/lib/k8s/locales/en.json")), &names); err != nil {
		t.Fatal(err)
	}
	const base = "/api/v1/clusters/{cluster}/"
	written := map[string]bool{}
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		k, ok := kinds.ByName(b.Name)
		if !ok {
			t.Errorf("%s: the agent writes a kind the registry does not know", b.Name)
			continue
		}
		written[k.Resource] = true
		list, detail := base+k.Resource, base+k.Resource+"/{name}"
		if k.Namespaced {
			detail = base + k.Resource + "/{namespace}/{name}"
		}
		if !served["GET "+list] || !served["GET "+detail] {
			t.Errorf("%s: the API does not serve %s and %s", k.Name, list, detail)
		}
		for _, p := range []string{list, detail} {
			if d.Paths[p]["get"] == nil {
				t.Errorf("%s: %s is not in openapi.yaml", k.Name, p)
			}
		}
		if k.Table != kinds.TableEvents {
			var params []string
			for _, p := range d.Paths[list]["get"]["parameters"].([]any) {
				params = append(params, strings.ToLower(strings.TrimPrefix(p.(map[string]any)["$ref"].(string), "#/components/parameters/")))
			}
			for _, f := range k.Filters {
				if !slices.Contains(params, string(f)) {
					t.Errorf("%s: filter %s undocumented on %s", k.Name, f, list)
				}
			}
			if !strings.Contains(webModule, "resource: '"+k.Resource+"'") {
				t.Errorf("%s: the web's kind module lacks it", k.Name)
			}
		}
		if names["kind"][k.Name] == "" || names["kinds"][k.Name] == "" {
			t.Errorf("%s: no display name in the web's k8s locale", k.Name)
		}
		if !strings.Contains(agentDoc, "| `"+k.Name+"` | `"+k.APIVersion()+" "+k.Resource+"` |") {
			t.Errorf("%s: not in docs/agent.md's kinds table", k.Name)
		}
		if !regexp.MustCompile(`resources: \[[a-z, ]*\b` + k.Resource + `\b`).MatchString(agentDoc) {
			t.Errorf("%s: not in docs/agent.md's RBAC rules", k.Name)
		}
		if !strings.Contains(lakeDoc, "| `"+k.Name+"` | `"+k.Table+"` |") {
			t.Errorf("%s: not in docs/lake.md's kinds table", k.Name)
		}
	}
	// Nothing served by resource that the agent does not write.
	for key := range served {
		rest, ok := strings.CutPrefix(key, "GET "+base)
		if !ok {
			continue
		}
		res, _, _ := strings.Cut(rest, "/")
		if _, isKind := kinds.ByResource(res); isKind && !written[res] {
			t.Errorf("%s is served but no agent binding writes it", key)
		}
	}
	if len(written) != len(kinds.All()) {
		t.Errorf("the agent writes %d kinds, the registry has %d", len(written), len(kinds.All()))
	}
}
