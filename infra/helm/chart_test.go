package helm_test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// valueSets are the installs the tests render, lint, validate and apply.
var valueSets = []struct {
	name, namespace, values string
}{
	// The least a user gives: a store with the node's role. No ingest
	// secret: no collector, no ingest port.
	{"minimal", "atlhyper", `store: {url: "s3://lake-bucket/atlhyper"}`},
	// EKS with IRSA: no static keys, node metrics, a fixed cluster id.
	{"s3-irsa", "atlhyper", `
clusterId: prod-eu-1
store: {url: "s3://lake-bucket/atlhyper", region: eu-west-1}
serviceAccount:
  annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/atlhyper-prod-eu-1"}
ingest: {secret: "0123456789abcdef0123456789abcdef"}
`},
	// On premises: MinIO keys, the collector in a namespace of its own,
	// operations narrowed to two namespaces, Secrets watched, a
	// ServiceMonitor, and the API + dashboard behind an Ingress.
	{"minio-full", "atlhyper", `
clusterId: onprem-1
store:
  url: "s3://lake/atlhyper?endpoint=http://minio.storage.svc:9000"
  credentials: {accessKeyId: onprem-1-agent, secretAccessKey: "s3cr3t-s3cr3t-s3cr3t"}
ingest: {secret: "0123456789abcdef0123456789abcdef"}
rbac:
  secrets: true
  operations:
    enabled: true
    namespaces: [shop, payments]
    commandPublicKeys: "k1=lwVLhN/3OBej2ssErZQB4gmAFWTWs6I+2gnUtGplUY8="
collector: {namespace: atlhyper-nodes}
serviceMonitor: {enabled: true, labels: {release: prometheus}}
agent:
  pdb: {enabled: true}
  networkPolicy:
    metricsFrom: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
api:
  enabled: true
  existingSecret: atlhyper-api
  ingress: {enabled: true, className: nginx, host: atlhyper.example.com, tlsSecret: atlhyper-tls}
`},
	// Operations everywhere, ConfigMaps not watched, no pod logs,
	// credentials from an existing Secret, a custom release-wide tag.
	{"operations-cluster-wide", "monitoring", `
store:
  url: "s3://lake-bucket/atlhyper"
  credentials: {existingSecret: lake-keys}
ingest: {existingSecret: ingest, key: secret}
image: {registry: registry.example.com/mirror/atlhyper, tag: "1.2.3"}
collector: {nodeTokenPath: /etc/atlhyper/node-token}
rbac:
  configMaps: false
  podLogs: false
  operations: {enabled: true, allowActions: "pod.logs,pod.restart"}
`},
}

func valueSet(t testing.TB, name string) (ns, values string) {
	t.Helper()
	for _, s := range valueSets {
		if s.name == name {
			return s.namespace, s.values
		}
	}
	t.Fatalf("no value set %q", name)
	return "", ""
}

func TestLint(t *testing.T) {
	for _, s := range valueSets {
		t.Run(s.name, func(t *testing.T) {
			out := mustHelm(t, "lint", "--strict", chartDir, "--namespace", s.namespace, "-f", valuesFile(t, s.values))
			if !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
				t.Errorf("helm lint --strict:\n%s", out)
			}
		})
	}
}

// TestBadValues: the schema and the templates refuse bad input with a
// message naming what is wrong.
func TestBadValues(t *testing.T) {
	for _, c := range []struct{ name, values, want string }{
		{"no store", `{}`, "/store/url"},
		{"store not s3", `store: {url: "https://example.com"}`, "/store/url"},
		{"cluster id not a DNS label", `{store: {url: "s3://bkt/p"}, clusterId: Prod_1}`, "clusterId"},
		{"unknown value", `{store: {url: "s3://bkt/p"}, agent: {replica: 2}}`, "replica"},
		{"short ingest secret", `{store: {url: "s3://bkt/p"}, ingest: {secret: short}}`, "/ingest/secret"},
		{"bad public key", `{store: {url: "s3://bkt/p"}, rbac: {operations: {enabled: true, commandPublicKeys: "k1"}}}`, "commandPublicKeys"},
		{"api without its secret", `{store: {url: "s3://bkt/p"}, api: {enabled: true}}`, "api.existingSecret"},
		{"secret key without its pair", `{store: {url: "s3://bkt/p", credentials: {accessKeyId: AKIA}}}`, "secretAccessKey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runHelm(t, "template", "atlhyper", chartDir, "-f", valuesFile(t, c.values))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("helm template with %s: want an error naming %q, got %v", c.values, c.want, err)
			}
		})
	}
}

// TestTemplate checks what each value set renders.
func TestTemplate(t *testing.T) {
	t.Run("minimal", func(t *testing.T) {
		ns, v := valueSet(t, "minimal")
		objs := render(t, ns, v)
		want := []string{
			"ClusterRole//atlhyper-agent", "ClusterRoleBinding//atlhyper-agent", "Deployment/atlhyper/atlhyper-agent",
			"NetworkPolicy/atlhyper/atlhyper-agent", "Service/atlhyper/atlhyper-agent", "ServiceAccount/atlhyper/atlhyper-agent",
		}
		if got := kindsOf(objs); !slices.Equal(got, want) {
			t.Errorf("objects:\n got %v\nwant %v", got, want)
		}
		d := find(objs, "Deployment", "atlhyper-agent")
		args := containerArgs(t, d, "agent")
		for _, a := range []string{"--operations=false", "--spool-dir=/var/spool/atlhyper", "--spool-max-bytes=256Mi"} {
			if !slices.Contains(args, a) {
				t.Errorf("agent args %v lack %s", args, a)
			}
		}
		for _, a := range args {
			if strings.HasPrefix(a, "--listen") || strings.HasPrefix(a, "--ingest") || strings.HasPrefix(a, "--cluster") {
				t.Errorf("agent arg %s without an ingest secret or cluster id", a)
			}
		}
		if r := fmt.Sprint(nested(d, "spec", "replicas")); r != "2" {
			t.Errorf("replicas = %v", r)
		}
		if got := nested(d, "spec", "template", "spec", "containers", 0, "image"); got != "ghcr.io/atlhyper/agent:0.1.0" {
			t.Errorf("image = %v", got)
		}
		if got := nested(d, "spec", "template", "spec", "volumes", 0, "emptyDir", "sizeLimit"); got != "320Mi" {
			t.Errorf("spool sizeLimit = %v", got)
		}
		if got := nested(d, "spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "path"); got != "/readyz" {
			t.Errorf("readiness path = %v", got)
		}
		if got := nested(d, "spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "path"); got != "/healthz" {
			t.Errorf("liveness path = %v", got)
		}
		// No cluster id: the kube-system namespace's UID, so get on that one namespace.
		if !hasRule(find(objs, "ClusterRole", "atlhyper-agent"), "", "namespaces", "get") {
			t.Error("no get namespaces/kube-system rule without clusterId")
		}
	})
	t.Run("s3-irsa", func(t *testing.T) {
		ns, v := valueSet(t, "s3-irsa")
		objs := render(t, ns, v)
		sa := find(objs, "ServiceAccount", "atlhyper-agent")
		if got := sa.GetAnnotations()["eks.amazonaws.com/role-arn"]; !strings.HasSuffix(got, ":role/atlhyper-prod-eu-1") {
			t.Errorf("IRSA annotation = %q", got)
		}
		d := find(objs, "Deployment", "atlhyper-agent")
		env := containerEnv(t, d, "agent")
		if _, ok := env["AWS_ACCESS_KEY_ID"]; ok {
			t.Error("static keys with IRSA")
		}
		if env["AWS_REGION"] != "eu-west-1" || env["ATLHYPER_STORE"] != "s3://lake-bucket/atlhyper" {
			t.Errorf("store env = %v", env)
		}
		if hasRule(find(objs, "ClusterRole", "atlhyper-agent"), "", "namespaces", "get") {
			t.Error("get namespaces with a clusterId")
		}
		ds := find(objs, "DaemonSet", "atlhyper-collector")
		if ds == nil || ds.GetNamespace() != "atlhyper" {
			t.Fatalf("collector DaemonSet: %v", kindsOf(objs))
		}
		if got := containerArgs(t, ds, "collector"); !slices.Contains(got, "--agent-url=http://atlhyper-agent.atlhyper.svc:8080/v1/node-metrics") {
			t.Errorf("collector args %v", got)
		}
		if tol := nested(ds, "spec", "template", "spec", "tolerations", 0, "operator"); tol != "Exists" {
			t.Errorf("collector tolerations: %v", tol)
		}
		for _, n := range []string{"proc", "sys", "root"} {
			if !readOnlyMount(ds, n) {
				t.Errorf("collector mounts %s writable", n)
			}
		}
		if find(objs, "ClusterRole", "atlhyper-agent-operations") != nil {
			t.Error("operations role without rbac.operations.enabled")
		}
	})
	t.Run("minio-full", func(t *testing.T) {
		ns, v := valueSet(t, "minio-full")
		objs := render(t, ns, v)
		for _, want := range []string{
			"RoleBinding/shop/atlhyper-agent-operations", "RoleBinding/payments/atlhyper-agent-operations",
			"ClusterRoleBinding//atlhyper-agent-operations-cluster", "DaemonSet/atlhyper-nodes/atlhyper-collector",
			"Secret/atlhyper-nodes/atlhyper-ingest", "Secret/atlhyper/atlhyper-ingest", "Secret/atlhyper/atlhyper-store",
			"ServiceMonitor/atlhyper/atlhyper-agent", "Deployment/atlhyper/atlhyper-api", "Ingress/atlhyper/atlhyper-api",
			"PodDisruptionBudget/atlhyper/atlhyper-agent",
		} {
			if !slices.Contains(kindsOf(objs), want) {
				t.Errorf("no %s in %v", want, kindsOf(objs))
			}
		}
		if find(objs, "ClusterRoleBinding", "atlhyper-agent-operations") != nil {
			t.Error("operations bound cluster-wide though narrowed to namespaces")
		}
		if !hasRule(find(objs, "ClusterRole", "atlhyper-agent"), "", "secrets", "list") {
			t.Error("rbac.secrets did not add the secrets rule")
		}
		args := containerArgs(t, find(objs, "Deployment", "atlhyper-agent"), "agent")
		for _, a := range []string{"--operations=true", "--allow-namespaces=shop,payments", "--cluster=onprem-1", "--listen=:8080"} {
			if !slices.Contains(args, a) {
				t.Errorf("agent args %v lack %s", args, a)
			}
		}
	})
	t.Run("operations-cluster-wide", func(t *testing.T) {
		ns, v := valueSet(t, "operations-cluster-wide")
		objs := render(t, ns, v)
		role := find(objs, "ClusterRole", "atlhyper-agent")
		for _, r := range []string{"configmaps", "secrets", "pods/log"} {
			if hasRule(role, "", r, "list") || hasRule(role, "", r, "get") {
				t.Errorf("%s in the agent's role with it switched off", r)
			}
		}
		if find(objs, "ClusterRoleBinding", "atlhyper-agent-operations") == nil {
			t.Errorf("operations not bound cluster-wide: %v", kindsOf(objs))
		}
		d := find(objs, "Deployment", "atlhyper-agent")
		if got := nested(d, "spec", "template", "spec", "containers", 0, "image"); got != "registry.example.com/mirror/atlhyper/agent:1.2.3" {
			t.Errorf("image = %v", got)
		}
		env := containerEnvFrom(t, d, "agent")
		if env["AWS_ACCESS_KEY_ID"] != "lake-keys/AWS_ACCESS_KEY_ID" {
			t.Errorf("store keys from %v", env)
		}
		ds := find(objs, "DaemonSet", "atlhyper-collector")
		if args := containerArgs(t, ds, "collector"); !slices.Contains(args, "--ingest-token-file=/var/run/atlhyper/node-token") {
			t.Errorf("collector args %v", args)
		}
		if got := nested(ds, "spec", "template", "spec", "volumes", 3, "hostPath", "path"); got != "/etc/atlhyper/node-token" {
			t.Errorf("token volume %v", got)
		}
		if args := containerArgs(t, d, "agent"); !slices.Contains(args, "--log-tail-lines=0") || !slices.Contains(args, "--ingest-secret-file=/var/run/atlhyper/ingest/secret") {
			t.Errorf("agent args %v", args)
		}
	})
	// Every container of every set: the restricted profile's settings.
	for _, s := range valueSets {
		for _, o := range render(t, s.namespace, s.values) {
			for _, c := range containers(o) {
				sc, _ := c["securityContext"].(map[string]any)
				if sc["runAsNonRoot"] != true || sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false {
					t.Errorf("%s %s: container %v securityContext %v", s.name, o.GetName(), c["name"], sc)
				}
				if _, ok := c["resources"].(map[string]any)["limits"].(map[string]any)["memory"]; !ok {
					t.Errorf("%s %s: container %v has no memory limit", s.name, o.GetName(), c["name"])
				}
			}
		}
	}
}

// --- helpers over unstructured objects

func nested(o *unstructured.Unstructured, path ...any) any {
	var cur any = o.Object
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func containers(o *unstructured.Unstructured) []map[string]any {
	l, _ := nested(o, "spec", "template", "spec", "containers").([]any)
	var out []map[string]any
	for _, c := range l {
		out = append(out, c.(map[string]any))
	}
	return out
}

func container(t testing.TB, o *unstructured.Unstructured, name string) map[string]any {
	t.Helper()
	if o == nil {
		t.Fatalf("no object for container %s", name)
	}
	for _, c := range containers(o) {
		if c["name"] == name {
			return c
		}
	}
	t.Fatalf("%s has no container %s", o.GetName(), name)
	return nil
}

func containerArgs(t testing.TB, o *unstructured.Unstructured, name string) []string {
	var out []string
	for _, a := range container(t, o, name)["args"].([]any) {
		out = append(out, fmt.Sprint(a))
	}
	return out
}

func containerEnv(t testing.TB, o *unstructured.Unstructured, name string) map[string]string {
	out := map[string]string{}
	for _, e := range container(t, o, name)["env"].([]any) {
		m := e.(map[string]any)
		if v, ok := m["value"]; ok {
			out[m["name"].(string)] = fmt.Sprint(v)
		} else {
			out[m["name"].(string)] = "(from)"
		}
	}
	return out
}

// containerEnvFrom maps variables set from Secrets to secret/key.
func containerEnvFrom(t testing.TB, o *unstructured.Unstructured, name string) map[string]string {
	out := map[string]string{}
	for _, e := range container(t, o, name)["env"].([]any) {
		m := e.(map[string]any)
		from, _ := m["valueFrom"].(map[string]any)
		if ref, ok := from["secretKeyRef"].(map[string]any); ok {
			out[m["name"].(string)] = fmt.Sprint(ref["name"], "/", ref["key"])
		}
	}
	return out
}

func readOnlyMount(o *unstructured.Unstructured, volume string) bool {
	for _, c := range containers(o) {
		for _, m := range c["volumeMounts"].([]any) {
			mm := m.(map[string]any)
			if mm["name"] == volume {
				return mm["readOnly"] == true
			}
		}
	}
	return false
}

// hasRule reports whether role grants verb on group/resource.
func hasRule(role *unstructured.Unstructured, group, resource, verb string) bool {
	if role == nil {
		return false
	}
	rules, _ := role.Object["rules"].([]any)
	for _, r := range rules {
		m := r.(map[string]any)
		if has(m["apiGroups"], group) && has(m["resources"], resource) && has(m["verbs"], verb) {
			return true
		}
	}
	return false
}

func has(list any, s string) bool {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// repoRoot is the module's root (for go build).
func repoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
