package helm_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// agentBinary builds the agent once per test run.
var agentBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "atlhyper-helm-agent-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "agent")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/atlhyper/atlhyper/agent/cmd/agent")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build agent: %v\n%s", err, out)
	}
	return bin, nil
})

// installRBAC applies (for real) the RBAC objects and the ServiceAccount
// of a value set rendered into ns, and returns the ServiceAccount's
// identity as an impersonating config.
func installRBAC(t *testing.T, c *cluster, ns, values string) *rest.Config {
	t.Helper()
	ctx := context.Background()
	objs := render(t, ns, values)
	c.namespace(t, ns, nil)
	a := c.applier(t, c.cfg)
	var applied []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			if o.GetNamespace() != "" {
				c.namespace(t, o.GetNamespace(), nil)
			}
			if err := a.apply(ctx, o, false, "Strict"); err != nil {
				t.Fatal(err)
			}
			applied = append(applied, o)
		}
	}
	// Remove them afterwards: the next test installs another value set.
	t.Cleanup(func() {
		for _, o := range applied {
			m, err := a.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
			if err != nil {
				t.Error(err)
				continue
			}
			r := a.dyn.Resource(m.Resource)
			var err2 error
			if o.GetNamespace() != "" {
				err2 = r.Namespace(o.GetNamespace()).Delete(ctx, o.GetName(), metav1.DeleteOptions{})
			} else {
				err2 = r.Delete(ctx, o.GetName(), metav1.DeleteOptions{})
			}
			if err2 != nil && !apierrors.IsNotFound(err2) {
				t.Error(err2)
			}
		}
	})
	cfg := rest.CopyConfig(c.cfg)
	cfg.WarningHandler = nil
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":atlhyper-agent",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}
	return cfg
}

// agentRun is the agent binary running under an identity.
type agentRun struct {
	metrics string // base URL of --metrics-listen
	mu      sync.Mutex
	skipped map[string]string // kind → reason, from "not watching kind" lines
	logs    []string
}

func (r *agentRun) skips() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps(r.skipped)
}

func maps(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// startAgent runs the agent binary with kubeconfig cfg until the test ends.
func startAgent(t *testing.T, cfg *rest.Config, args ...string) *agentRun {
	t.Helper()
	bin, err := agentBinary()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	store := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--kubeconfig", kubeconfig(t, cfg), "--store", "file://" + store,
		"--cluster", "helm-test", "--metrics-listen", addr, "--spool-dir", "", "--leader-elect=false",
		"--log-format", "json"}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "ATLHYPER_") })
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	run := &agentRun{metrics: "http://" + addr, skipped: map[string]string{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct{ Msg, Kind, Reason string }
			_ = json.Unmarshal(sc.Bytes(), &line)
			run.mu.Lock()
			run.logs = append(run.logs, sc.Text())
			if line.Msg == "not watching kind" {
				run.skipped[line.Kind] = line.Reason
			}
			run.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-done; exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			run.mu.Lock()
			t.Logf("agent log:\n%s", strings.Join(run.logs, "\n"))
			run.mu.Unlock()
		}
	})
	return run
}

// waitReady waits until the agent's /readyz answers 200: it leads and
// every informer it started has synced.
func (r *agentRun) waitReady(t *testing.T) {
	t.Helper()
	waitFor(t, 2*time.Minute, "agent /readyz", func() error {
		resp, err := http.Get(r.metrics + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		return nil
	})
}

// TestAgentUnderChartRBAC runs the real agent binary as the chart's
// ServiceAccount (impersonated) with nothing but the chart's RBAC: it must
// watch every kind of the registry but those the values leave out (those
// reported as forbidden, the agent running on) and the HTTPRoute CRD the
// API server does not serve; and that identity is refused a write and a
// Secret's data. Then the same with Secrets chosen, and the operations
// roles on and off, narrowed to namespaces or not.
func TestAgentUnderChartRBAC(t *testing.T) {
	c := apiServer(t)
	ctx := context.Background()
	base := `{store: {url: "s3://bkt/p"}, clusterId: helm-test}`
	// Objects to be refused: a Secret and a pod in namespaces of the test.
	for _, ns := range []string{"shop", "payments", "elsewhere"} {
		c.namespace(t, ns, nil)
		_, err := c.kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
			StringData: map[string]string{"password": "hunter2"}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		_, err = c.kube.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}

	watchedExcept := func(t *testing.T, run *agentRun, left map[string]string) {
		t.Helper()
		run.waitReady(t)
		got := run.skips()
		for kind, want := range left {
			if !strings.HasPrefix(got[kind], want) {
				t.Errorf("%s: reported %q, want %q…", kind, got[kind], want)
			}
		}
		for kind, reason := range got {
			if _, ok := left[kind]; !ok {
				t.Errorf("%s not watched: %s", kind, reason)
			}
		}
		if len(got) != len(left) {
			t.Errorf("skipped %v, want exactly %v", got, left)
		}
	}

	t.Run("default", func(t *testing.T) {
		sa := installRBAC(t, c, "atlhyper", base)
		settled(t, sa, true, false)
		run := startAgent(t, sa, "--operations=false")
		watchedExcept(t, run, map[string]string{
			kinds.Secret: "forbidden: RBAC does not allow list secrets",
			"HTTPRoute":  "API gateway.networking.k8s.io/v1 not served",
		})
		kube := kubernetes.NewForConfigOrDie(sa)
		refused(t, "get a Secret's data", func() error {
			_, err := kube.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{})
			return err
		})
		refused(t, "list Secrets", func() error {
			_, err := kube.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
			return err
		})
		refused(t, "create a pod", func() error {
			_, err := kube.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
		refused(t, "delete a pod", func() error {
			return kube.CoreV1().Pods("shop").Delete(ctx, "web", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		})
		refused(t, "patch a node", func() error {
			_, err := kube.CoreV1().Nodes().Patch(ctx, "any", types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`),
				metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
		refused(t, "get a namespace", func() error {
			_, err := kube.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
			return err
		})
		// What it may: read pods (list) and a crashing container's log.
		if _, err := kube.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list pods: %v", err)
		}
	})

	t.Run("secrets chosen and no configmaps", func(t *testing.T) {
		sa := installRBAC(t, c, "atlhyper", `{store: {url: "s3://bkt/p"}, clusterId: helm-test, rbac: {secrets: true, configMaps: false}}`)
		settled(t, sa, false, true)
		run := startAgent(t, sa, "--operations=false")
		watchedExcept(t, run, map[string]string{
			kinds.ConfigMap: "forbidden: RBAC does not allow list configmaps",
			"HTTPRoute":     "API gateway.networking.k8s.io/v1 not served",
		})
		// list/watch only: a single Secret's GET stays refused (the data is
		// still readable through list: docs/install.md says so).
		refused(t, "get a Secret", func() error {
			_, err := kubernetes.NewForConfigOrDie(sa).CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{})
			return err
		})
	})

	t.Run("operations narrowed to namespaces", func(t *testing.T) {
		sa := installRBAC(t, c, "atlhyper", `{store: {url: "s3://bkt/p"}, clusterId: helm-test, rbac: {operations: {enabled: true, namespaces: [shop, payments]}}}`)
		kube := kubernetes.NewForConfigOrDie(sa)
		for _, ns := range []string{"shop", "payments"} {
			allowed(t, "delete a pod in "+ns, func() error {
				return kube.CoreV1().Pods(ns).Delete(ctx, "web", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
			})
		}
		refused(t, "delete a pod elsewhere", func() error {
			return kube.CoreV1().Pods("elsewhere").Delete(ctx, "web", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		})
		allowed(t, "cordon a node", func() error {
			_, err := kube.CoreV1().Nodes().Patch(ctx, "absent", types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`),
				metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
		refused(t, "get a Secret", func() error {
			_, err := kube.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{})
			return err
		})
		refused(t, "delete a Secret", func() error {
			return kube.CoreV1().Secrets("shop").Delete(ctx, "db", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		})
		// The agent starts with operations on and still watches everything.
		settled(t, sa, true, false)
		run := startAgent(t, sa, "--operations=true", "--allow-namespaces=shop,payments")
		watchedExcept(t, run, map[string]string{
			kinds.Secret: "forbidden: RBAC does not allow list secrets",
			"HTTPRoute":  "API gateway.networking.k8s.io/v1 not served",
		})
	})

	t.Run("operations cluster-wide", func(t *testing.T) {
		sa := installRBAC(t, c, "atlhyper", `{store: {url: "s3://bkt/p"}, clusterId: helm-test, rbac: {operations: {enabled: true}}}`)
		kube := kubernetes.NewForConfigOrDie(sa)
		allowed(t, "delete a pod anywhere", func() error {
			return kube.CoreV1().Pods("elsewhere").Delete(ctx, "web", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		})
		refused(t, "create a pod", func() error {
			_, err := kube.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
		refused(t, "get a Secret", func() error {
			_, err := kube.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{})
			return err
		})
	})
}

// refused waits until do is forbidden: RBAC changes reach the API
// server's authorizer through its informers, a moment after they are
// written (and the previous subtest's roles are being removed).
func refused(t *testing.T, what string, do func() error) {
	t.Helper()
	waitFor(t, 30*time.Second, what+" refused", func() error {
		if err := do(); !apierrors.IsForbidden(err) {
			return fmt.Errorf("want forbidden, got %v", err)
		}
		return nil
	})
}

// allowed waits until do passes authorization: anything but forbidden (a
// dry-run delete of an absent object is a 404 after authorization passed).
func allowed(t *testing.T, what string, do func() error) {
	t.Helper()
	waitFor(t, 30*time.Second, what+" allowed", func() error {
		if err := do(); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		return nil
	})
}

// settled waits until the identity's list permissions on the kinds the
// values switch are what they say, before an agent asks.
func settled(t *testing.T, cfg *rest.Config, configMaps, secrets bool) {
	t.Helper()
	kube := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	check := map[bool]func(*testing.T, string, func() error){true: allowed, false: refused}
	check[true](t, "list pods", func() error { _, err := kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 1}); return err })
	check[configMaps](t, "list configmaps", func() error {
		_, err := kube.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
	check[secrets](t, "list secrets", func() error {
		_, err := kube.CoreV1().Secrets("").List(ctx, metav1.ListOptions{Limit: 1})
		return err
	})
}
