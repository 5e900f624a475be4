// Package helm_test proves the Helm chart in atlhyper/ (issue 16): lint,
// rendering for several value sets, kubeconform against schemas generated
// from the pinned kube-apiserver's OpenAPI document, server-side dry-run
// applies (strict, then with field validation off) with RBAC and Pod
// Security on, the agent binary running under the chart's RBAC, an upgrade
// from the previous chart version and a push to an OCI registry.
//
// The binaries (helm, kubeconform, kube-apiserver, etcd) come from
// scripts/tools/install; a missing one fails the test naming that command.
package helm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/atlhyper/atlhyper/internal/controlplane"

	"github.com/atlhyper/atlhyper/internal/toolbin"
)

// tool returns the path of a binary scripts/tools/install builds.
func tool(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(toolbin.Dir(), name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not found (%v): run scripts/tools/install %s (scripts/test does)", name, err, name)
	}
	return path
}

// helmEnv gives every helm run its own config, cache and data homes (no
// repositories, no plugins, no registry logins of the machine's user).
var helmHome = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "atlhyper-helm-home-")
	if err != nil {
		panic(err)
	}
	return dir
})

// runHelm runs helm and returns its stdout; a failure returns stderr in the error.
func runHelm(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tool(t, "helm"), args...)
	home := helmHome()
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"), "HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"), "HELM_REGISTRY_CONFIG="+filepath.Join(home, "registry.json"),
		"HELM_NO_PLUGINS=1", "KUBECONFIG="+filepath.Join(home, "no-kubeconfig"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("helm %s: %v\n%s%s", strings.Join(args, " "), err, errb.String(), out.String())
	}
	return out.String(), nil
}

func mustHelm(t testing.TB, args ...string) string {
	t.Helper()
	out, err := runHelm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// valuesFile writes values to a file for -f.
func valuesFile(t testing.TB, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// render runs helm template for the release atlhyper in namespace ns.
func render(t testing.TB, ns, values string) []*unstructured.Unstructured {
	t.Helper()
	out := mustHelm(t, "template", "atlhyper", chartDir, "--namespace", ns, "-f", valuesFile(t, values))
	return decode(t, out)
}

// decode splits a multi-document YAML stream into objects.
func decode(t testing.TB, stream string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decode rendered chart: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// find returns the rendered object of kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func kindsOf(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	slices.Sort(out)
	return out
}

// --- the API server

// cluster is one kube-apiserver + etcd (envtest) with RBAC and Pod
// Security admission on, shared by the package's tests.
type cluster struct {
	env      *envtest.Environment
	cfg      *rest.Config // system:masters
	kube     kubernetes.Interface
	warnings *warnings
}

var (
	sharedOnce sync.Once
	shared     *cluster
	sharedErr  error
)

// apiServer returns the package's API server, starting it on first use.
func apiServer(t testing.TB) *cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = startCluster() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func startCluster() (*cluster, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = toolbin.Dir()
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return nil, fmt.Errorf("%s not found in %s: run scripts/tools/install etcd kube-apiserver (scripts/test does)", bin, dir)
		}
	}
	env := &envtest.Environment{BinaryAssetsDirectory: dir, ControlPlaneStartTimeout: 3 * time.Minute,
		ControlPlaneStopTimeout: time.Minute}
	// envtest turns RBAC authorization on; admission keeps the defaults
	// (PodSecurity included) but for ServiceAccount, as in internal/controlplane.
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	w := &warnings{}
	cfg.WarningHandler = w
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &cluster{env: env, cfg: cfg, kube: kube, warnings: w}, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// warnings collects the API server's Warning headers.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// take returns the warnings since the last take.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// kubeconfig writes cfg as a kubeconfig file (impersonation carries over).
func kubeconfig(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	data, err := controlplane.Kubeconfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// namespace creates namespace name with labels (or updates its labels).
func (c *cluster) namespace(t testing.TB, name string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	ns, err := c.kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ns.Name = name
		ns.Labels = labels
		if _, err := c.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels = labels
	if _, err := c.kube.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// applier applies rendered objects by server-side apply.
type applier struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func (c *cluster) applier(t testing.TB, cfg *rest.Config) *applier {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

// apply server-side applies obj. dryRun sends dryRun=All; validation is
// the fieldValidation directive (Strict, Warn or Ignore).
func (a *applier) apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool, validation string) error {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s: %w", gvk, err)
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	var r dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		r = a.dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	opts := metav1.PatchOptions{FieldManager: "atlhyper-chart-test", FieldValidation: validation, Force: ptr(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if _, err := r.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

func (a *applier) resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	return a.dyn.Resource(gvr)
}

func ptr[T any](v T) *T { return &v }

// waitFor polls check every 100 ms until it returns nil or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, timeout, err)
		}
		<-tick.C
	}
}
