package api_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/auth"
)

type doc struct {
	Paths      map[string]map[string]map[string]any `yaml:"paths"`
	Components map[string]map[string]any            `yaml:"components"`
}

func loadDoc(t *testing.T) doc {
	var d doc
	if err := yaml.Unmarshal(api.OpenAPI(), &d); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return d
}

// TestOpenAPIMatchesRoutes: every served route is documented with the
// role it needs, and every documented route is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := loadDoc(t)
	s, err := api.New(api.Config{})
	if err == nil || s != nil {
		t.Fatal("api.New accepted an empty config")
	}
	srv := newRouterOnly(t)
	served := map[string]auth.Role{}
	for _, r := range srv.Routes() {
		served[strings.ToLower(r.Method)+" "+r.Pattern] = r.Role
	}
	documented := map[string]bool{}
	for path, ops := range d.Paths {
		for method, op := range ops {
			key := method + " " + path
			documented[key] = true
			role, ok := served[key]
			if !ok {
				t.Errorf("documented but not served: %s", key)
				continue
			}
			sec, hasSec := op["security"].([]any)
			xrole, _ := op["x-atlhyper-role"].(string)
			switch {
			case role == "" && !(hasSec && len(sec) == 0):
				t.Errorf("%s is public but the document requires a token", key)
			case role != "" && auth.Role(xrole) != role:
				t.Errorf("%s needs %q, documented x-atlhyper-role %q", key, role, xrole)
			}
			if _, ok := op["operationId"].(string); !ok {
				t.Errorf("%s has no operationId", key)
			}
		}
	}
	var missing []string
	for key := range served {
		if !documented[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("served but not documented: %s", m)
	}
	// Every $ref resolves.
	var all any
	yaml.Unmarshal(api.OpenAPI(), &all)
	walkRefs(t, all, all)
}

func walkRefs(t *testing.T, root, v any) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			if resolve(root, ref) == nil {
				t.Errorf("unresolved $ref %s", ref)
			}
		}
		for _, c := range x {
			walkRefs(t, root, c)
		}
	case []any:
		for _, c := range x {
			walkRefs(t, root, c)
		}
	}
}

func resolve(root any, ref string) any {
	cur := root
	for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// validate checks a decoded JSON value against a schema: types, required
// properties, enums, recursively (allOf merged, additionalProperties and
// array items followed).
func validate(root any, schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		return validate(root, resolve(root, ref).(map[string]any), v, at)
	}
	var errs []string
	if all, ok := schema["allOf"].([]any); ok {
		// Merge the parts: one object with every part's properties.
		merged := map[string]any{"type": "object"}
		props := map[string]any{}
		var req []any
		for _, part := range all {
			p := part.(map[string]any)
			if ref, ok := p["$ref"].(string); ok {
				p = resolve(root, ref).(map[string]any)
			}
			for k, v := range p["properties"].(map[string]any) {
				props[k] = v
			}
			if r, ok := p["required"].([]any); ok {
				req = append(req, r...)
			}
		}
		merged["properties"], merged["required"] = props, req
		return validate(root, merged, v, at)
	}
	if v == nil {
		return nil // nullable fields come out as null
	}
	typ, _ := schema["type"].(string)
	bad := func() []string { return []string{fmt.Sprintf("%s: want %s, got %T", at, typ, v)} }
	switch typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return bad()
		}
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, has := m[r.(string)]; !has {
					errs = append(errs, fmt.Sprintf("%s: missing required %s", at, r))
				}
			}
		}
		for k, val := range m {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(root, ps, val, at+"."+k)...)
			} else if ap, ok := schema["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validate(root, ap, val, at+"."+k)...)
			} else if props != nil && schema["additionalProperties"] == nil {
				errs = append(errs, fmt.Sprintf("%s: undocumented property %s", at, k))
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return bad()
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range a {
				if i > 20 {
					break
				}
				errs = append(errs, validate(root, items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if enum, ok := schema["enum"].([]any); ok {
			found := false
			for _, e := range enum {
				found = found || e == s
			}
			if !found {
				errs = append(errs, fmt.Sprintf("%s: %q not in enum", at, s))
			}
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (typ == "integer" && f != float64(int64(f))) {
			return bad()
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad()
		}
	}
	return errs
}

// TestResponsesMatchDocument calls every GET route as admin and checks the
// JSON answer against the documented 200 schema.
func TestResponsesMatchDocument(t *testing.T) {
	s := newStack(t)
	var root any
	yaml.Unmarshal(api.OpenAPI(), &root)
	d := loadDoc(t)
	tok := s.tokens[auth.Admin]
	var pods page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/pods?namespace=team-00&limit=1", tok, nil, &pods)
	var anoms page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/anomalies?limit=1", tok, nil, &anoms)
	var events page
	s.do(t, "GET", "/api/v1/clusters/cluster-00/events?limit=1", tok, nil, &events)
	s.submit(t, auth.Operator, logsBody("web-1")) // a pending command in the lists
	finished := s.submit(t, auth.Operator, logsBody("web-2")).ID
	s.finish(t, finished, "log line\n")
	paths := map[string]string{
		"/api/v1/clusters/{cluster}/pods/{namespace}/{name}":        "/api/v1/clusters/cluster-00/pods/team-00/" + pods.Items[0]["name"].(string),
		"/api/v1/clusters/{cluster}/nodes/{name}":                   "/api/v1/clusters/cluster-00/nodes/node-001",
		"/api/v1/clusters/{cluster}/deployments/{namespace}/{name}": "/api/v1/clusters/cluster-00/deployments/team-00/app-00",
		"/api/v1/clusters/{cluster}/secrets/{namespace}/{name}":     "/api/v1/clusters/cluster-00/secrets/team-00/credentials",
		"/api/v1/clusters/{cluster}/namespaces/{name}":              "/api/v1/clusters/cluster-00/namespaces/team-00",
		"/api/v1/clusters/{cluster}/anomalies/{fingerprint}":        "/api/v1/clusters/cluster-00/anomalies/" + anoms.Items[0]["fingerprint"].(string),
		"/api/v1/clusters/{cluster}/events/{namespace}/{name}":      fmt.Sprintf("/api/v1/clusters/cluster-00/events/%s/%s", events.Items[0]["namespace"], events.Items[0]["name"]),
		"/api/v1/clusters/{cluster}/nodes/{name}/metrics":           "/api/v1/clusters/cluster-00/nodes/node-001/metrics",
		"/api/v1/clusters/{cluster}/nodes/{name}/metrics/history":   "/api/v1/clusters/cluster-00/nodes/node-001/metrics/history?metric=cpu.user_pct",
		"/api/v1/clusters/{cluster}/timetravel/diff":                "/api/v1/clusters/cluster-00/timetravel/diff?from=-3h",
		"/api/v1/clusters/{cluster}/timetravel/timeline":            "/api/v1/clusters/cluster-00/timetravel/timeline?kind=pods&namespace=team-00&name=" + pods.Items[0]["name"].(string),
		"/api/v1/users/{username}":                                  "/api/v1/users/admin",
		"/api/v1/clusters/{cluster}/commands/{id}":                  "/api/v1/clusters/cluster-00/commands/" + finished,
	}
	checked := 0
	for _, r := range s.app.Server.Routes() {
		if r.Method != "GET" || r.Pattern == "/api/v1/openapi.yaml" || strings.HasSuffix(r.Pattern, "/output") { // text
			continue
		}
		path, ok := paths[r.Pattern]
		if !ok {
			if strings.Contains(r.Pattern, "{name}") || strings.Contains(r.Pattern, "{username}") {
				continue // kinds with no objects in the fleet
			}
			path = strings.ReplaceAll(r.Pattern, "{cluster}", "cluster-00")
		}
		var body any
		st, data, _ := s.raw(t, "GET", path, tok, nil)
		if st != 200 {
			t.Errorf("GET %s: %d %.200s", path, st, data)
			continue
		}
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatal(err)
		}
		resp := d.Paths[r.Pattern]["get"]["responses"].(map[string]any)["200"].(map[string]any)
		schema := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		for _, e := range validate(root, schema, body, r.Pattern) {
			t.Error(e)
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("validated %d responses", checked)
	}
}
