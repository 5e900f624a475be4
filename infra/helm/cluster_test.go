package helm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// chartNamespaces creates the namespaces a value set installs into, with
// Pod Security labels: the release's and the operations' namespaces at
// restricted, a separate collector namespace at privileged (its hostPath
// volumes: docs/install.md, Pod Security).
func chartNamespaces(t testing.TB, c *cluster, objs []*unstructured.Unstructured) {
	t.Helper()
	restricted := map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"}
	privileged := map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	levels := map[string]map[string]string{}
	for _, o := range objs {
		ns := o.GetNamespace()
		if ns == "" {
			continue
		}
		if o.GetKind() == "DaemonSet" {
			levels[ns] = privileged
		} else if levels[ns] == nil {
			levels[ns] = restricted
		}
	}
	for ns, labels := range levels {
		c.namespace(t, ns, labels)
	}
}

// serviceMonitorCRD installs a minimal stand-in for prometheus-operator's
// ServiceMonitor CRD (its group, version and the fields the chart sets),
// so the optional ServiceMonitor is applied and validated too.
func serviceMonitorCRD(t testing.TB, c *cluster) {
	t.Helper()
	if _, err := envtest.InstallCRDs(c.cfg, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join("testdata", "servicemonitor-crd.yaml")}, MaxTime: time.Minute}); err != nil {
		t.Fatal(err)
	}
}

// TestDryRun applies every value set's rendered chart server-side with
// dryRun=All: first with strict field validation (an unknown or duplicate
// field is an error), then with validation off (kubectl --validate=false),
// so what the API server's own checks refuse is not hidden behind a field
// error. The namespaces enforce the restricted Pod Security level (the
// collector's privileged); no warning may come back.
func TestDryRun(t *testing.T) {
	c := apiServer(t)
	serviceMonitorCRD(t, c)
	ctx := context.Background()
	for _, s := range valueSets {
		t.Run(s.name, func(t *testing.T) {
			objs := render(t, s.namespace, s.values)
			chartNamespaces(t, c, objs)
			a := c.applier(t, c.cfg)
			for _, validation := range []string{"Strict", "Ignore"} {
				c.warnings.take()
				for _, o := range objs {
					if err := a.apply(ctx, o, true, validation); err != nil {
						t.Errorf("fieldValidation=%s: %v", validation, err)
					}
				}
				if w := c.warnings.take(); len(w) > 0 {
					t.Errorf("fieldValidation=%s: warnings:\n%s", validation, strings.Join(w, "\n"))
				}
			}
		})
	}
}

// TestPodSecurity: the agent, the API and everything else but the
// collector pass the restricted level; the collector's only finding there
// is its hostPath volumes, which is why it needs a privileged namespace.
func TestPodSecurity(t *testing.T) {
	c := apiServer(t)
	ctx := context.Background()
	// Everything in one namespace that enforces restricted.
	ns, v := valueSet(t, "minio-full")
	v = strings.Replace(v, "collector: {namespace: atlhyper-nodes}", "", 1)
	objs := render(t, "psa-restricted", v)
	c.namespace(t, "psa-restricted", map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"})
	for _, n := range []string{"shop", "payments"} {
		c.namespace(t, n, nil)
	}
	_ = ns
	serviceMonitorCRD(t, c)
	a := c.applier(t, c.cfg)
	for _, o := range objs {
		c.warnings.take()
		if err := a.apply(ctx, o, true, "Strict"); err != nil {
			t.Errorf("%v", err)
		}
		w := c.warnings.take()
		if o.GetKind() != "DaemonSet" {
			if len(w) > 0 {
				t.Errorf("%s %s: warnings %v", o.GetKind(), o.GetName(), w)
			}
			continue
		}
		want := regexp.MustCompile(`^would violate PodSecurity "restricted:[^"]+": restricted volume types \(volumes "proc", "sys", "root" use restricted volume type "hostPath"\)$`)
		if len(w) != 1 || !want.MatchString(w[0]) {
			t.Errorf("collector DaemonSet in a restricted namespace: want only the hostPath finding, got %q", w)
		}
		// Baseline refuses it too, for the same volumes alone: only privileged admits it.
		c.namespace(t, "psa-baseline", map[string]string{
			"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "baseline"})
		base := o.DeepCopy()
		base.SetNamespace("psa-baseline")
		if err := a.apply(ctx, base, true, "Strict"); err != nil {
			t.Error(err)
		}
		w = c.warnings.take()
		want = regexp.MustCompile(`^would violate PodSecurity "baseline:[^"]+": hostPath volumes \(volumes "proc", "sys", "root"\)$`)
		if len(w) != 1 || !want.MatchString(w[0]) {
			t.Errorf("collector DaemonSet in a baseline namespace: want only the hostPath finding, got %q", w)
		}
	}
}

// TestKubeconform validates every value set's rendered chart with
// kubeconform against JSON schemas generated, in the test, from the
// OpenAPI document of the pinned kube-apiserver (scripts/tools/install):
// strict (no unknown fields), no missing schema.
func TestKubeconform(t *testing.T) {
	c := apiServer(t)
	serviceMonitorCRD(t, c)
	var docs []string
	gvks := map[string]bool{}
	for _, s := range valueSets {
		out := mustHelm(t, "template", "atlhyper", chartDir, "--namespace", s.namespace, "-f", valuesFile(t, s.values))
		docs = append(docs, out)
		for _, o := range decode(t, out) {
			gvks[o.GetAPIVersion()+" "+o.GetKind()] = true
		}
	}
	// The CRD's schema is published a moment after it is established.
	var doc map[string]any
	waitFor(t, time.Minute, "the ServiceMonitor schema in /openapi/v2", func() error {
		raw, err := c.kube.Discovery().RESTClient().Get().AbsPath("/openapi/v2").SetHeader("Accept", "application/json").DoRaw(context.Background())
		if err != nil {
			return err
		}
		doc = nil
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		if _, ok := doc["definitions"].(map[string]any)["com.coreos.monitoring.v1.ServiceMonitor"]; !ok {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	dir := t.TempDir()
	n, err := writeSchemas(doc, gvks, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(gvks) {
		t.Fatalf("schemas for %d of the %d kinds rendered (%v)", n, len(gvks), gvks)
	}
	manifests := filepath.Join(t.TempDir(), "chart.yaml")
	if err := os.WriteFile(manifests, []byte(strings.Join(docs, "\n---\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(file string) (string, error) {
		cmd := exec.Command(tool(t, "kubeconform"), "-strict", "-summary", "-output", "text",
			"-schema-location", filepath.Join(dir, "{{ .Group }}", "{{ .ResourceAPIVersion }}", "{{ .ResourceKind }}.json"), file)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(manifests)
	if err != nil {
		t.Fatalf("kubeconform: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`Summary: \d+ resources found in 1 file - Valid: \d+, Invalid: 0, Errors: 0, Skipped: 0`).MatchString(out) {
		t.Errorf("kubeconform:\n%s", out)
	}
	// The schemas are strict enough to catch a misspelt field.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(bad); err == nil || !strings.Contains(out, "replica") {
		t.Errorf("kubeconform accepted spec.replica: %v\n%s", err, out)
	}
}

// writeSchemas writes, for each "apiVersion kind" wanted, a standalone
// JSON schema (the kind's definition and every definition it reaches) at
// dir/<group or v1>/<version>/<kind>.json, the layout kubeconform's
// -schema-location template names. As openapi2jsonschema does for the
// published schema sets: int-or-string and quantities take a string or a
// number, and objects with properties refuse any other (strict).
func writeSchemas(doc map[string]any, wanted map[string]bool, dir string) (int, error) {
	defs, _ := doc["definitions"].(map[string]any)
	n := 0
	for name, d := range defs {
		def := d.(map[string]any)
		gvkList, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvkList {
			gvk := g.(map[string]any)
			group, version, kind := gvk["group"].(string), gvk["version"].(string), gvk["kind"].(string)
			apiVersion := version
			if group != "" {
				apiVersion = group + "/" + version
			}
			if !wanted[apiVersion+" "+kind] {
				continue
			}
			reach := map[string]any{}
			collect(defs, name, reach)
			for k, v := range reach {
				reach[k] = convert(k, v)
			}
			schema := map[string]any{"$schema": "http://json-schema.org/draft-07/schema#",
				"$ref": "#/definitions/" + name, "definitions": reach}
			data, err := json.Marshal(schema)
			if err != nil {
				return n, err
			}
			groupDir := group
			if group == "" {
				groupDir = version
			}
			path := filepath.Join(dir, groupDir, version, strings.ToLower(kind)+".json")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return n, err
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// collect adds definition name and every definition it references.
func collect(defs map[string]any, name string, into map[string]any) {
	if _, ok := into[name]; ok {
		return
	}
	def := defs[name]
	into[name] = def
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				collect(defs, strings.TrimPrefix(ref, "#/definitions/"), into)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(def)
}

var numberOrString = []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}

// convert returns a copy of a definition made strict, with int-or-string
// and quantity fields taking a string or a number.
func convert(name string, v any) any {
	if name == "io.k8s.apimachinery.pkg.api.resource.Quantity" {
		return map[string]any{"oneOf": numberOrString}
	}
	var conv func(v any) any
	conv = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if x["format"] == "int-or-string" {
				return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
			}
			out := map[string]any{}
			for k, c := range x {
				if k == "properties" {
					props := map[string]any{}
					for pk, pv := range c.(map[string]any) {
						props[pk] = conv(pv)
					}
					out[k] = props
					continue
				}
				out[k] = conv(c)
			}
			if _, ok := x["properties"]; ok {
				if _, ok := x["additionalProperties"]; !ok && x["x-kubernetes-preserve-unknown-fields"] != true {
					out["additionalProperties"] = false
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, c := range x {
				out[i] = conv(c)
			}
			return out
		}
		return v
	}
	return conv(v)
}
