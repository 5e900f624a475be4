// Package kubetest runs a real kube-apiserver and etcd (controller-runtime
// envtest) for the agent's tests and benchmark, from the binaries
// scripts/tools/install builds into the per-user cache. A missing binary is
// an error naming that command; tests never skip.
package kubetest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/atlhyper/atlhyper/internal/toolbin"
)

// Assets returns the directory holding kube-apiserver and etcd.
func Assets() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = toolbin.Dir()
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("%s not found in %s (%v): run scripts/tools/install etcd kube-apiserver (scripts/test does)", bin, dir, err)
		}
	}
	return dir, nil
}

// Env is a running API server.
type Env struct {
	*envtest.Environment
	Config *rest.Config // cluster-admin (system:masters)
	Kube   kubernetes.Interface
}

// Options tune the API server.
type Options struct {
	// Args are set on the kube-apiserver command line (name → value).
	Args map[string]string
	// CertDir keeps the serving certificates in a directory the caller
	// owns, so the API server can be stopped and started again (same
	// port, same certificates, same etcd) and clients keep working.
	CertDir string
}

// New starts an API server. Stop it with Stop.
func New(opts Options) (*Env, error) {
	dir, err := Assets()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{BinaryAssetsDirectory: dir, ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout: time.Minute}
	api := env.ControlPlane.GetAPIServer()
	api.CertDir = opts.CertDir
	args := api.Configure()
	for k, v := range opts.Args {
		args.Set(k, v)
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		env.Stop()
		return nil, err
	}
	return &Env{Environment: env, Config: cfg, Kube: kube}, nil
}

// RestartAPIServer stops the API server and starts it again; etcd keeps
// running. The Env must have been started with a CertDir.
func (e *Env) RestartAPIServer(down time.Duration) error {
	api := e.ControlPlane.GetAPIServer()
	// A graceful stop waits up to a minute for watches to drain; a crash
	// is the harder case anyway, and quick: kill it first.
	if err := killAPIServer(api.CertDir); err != nil {
		return err
	}
	if err := api.Stop(); err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	time.Sleep(down)
	if err := api.Start(); err != nil {
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	return nil
}

// Start starts an API server that lives until the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	env, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop envtest: %v", err)
		}
	})
	return env
}

// killAPIServer sends SIGKILL to the kube-apiserver started with certDir.
func killAPIServer(certDir string) error {
	if certDir == "" {
		return fmt.Errorf("restart needs an API server started with a CertDir")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if filepath.Base(args[0]) != "kube-apiserver" || !slices.Contains(args, "--cert-dir="+certDir) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		return syscall.Kill(pid, syscall.SIGKILL)
	}
	return fmt.Errorf("no kube-apiserver with --cert-dir=%s", certDir)
}
