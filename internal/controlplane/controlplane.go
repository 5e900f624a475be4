package controlplane

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/atlhyper/atlhyper/internal/toolbin"
)

// binaries are what scripts/tools/install must have built.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// controllers are the kube-controller-manager controllers that run: a
// workload's life (deployments to pods, jobs, disruption budgets, garbage
// collection, namespaces, service accounts and their tokens, node health and
// taints, endpoint slices) and the aggregation that fills the admin, edit and
// view ClusterRoles RBAC tests bind to.
var controllers = []string{
	"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
	"job-controller", "cronjob-controller", "ttl-after-finished-controller", "disruption-controller",
	"garbage-collector-controller", "pod-garbage-collector-controller", "namespace-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "root-ca-certificate-publisher-controller",
	"node-lifecycle-controller", "taint-eviction-controller", "endpointslice-controller",
	"clusterrole-aggregation-controller",
}

//go:embed kwok.yaml
var kwokStages []byte

// startTimeout bounds each startup step; a loaded two-core machine needs
// most of a minute for the API server alone.
const startTimeout = 3 * time.Minute

// BinDir returns the directory holding the control plane's binaries:
// KUBEBUILDER_ASSETS, else ATLHYPER_BIN, else scripts/tools/install's cache.
func BinDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = toolbin.Dir()
	}
	var missing []string
	for _, bin := range binaries {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s not found in %s: run scripts/tools/install %s (scripts/test does)",
			strings.Join(missing, ", "), dir, strings.Join(missing, " "))
	}
	return dir, nil
}

// Options tune a control plane. The zero value is a good default.
type Options struct {
	// Nodes is how many kwok nodes are Ready when New returns (default 3).
	Nodes int
	// APIServerArgs are set on the kube-apiserver command line
	// (name → value), over envtest's defaults.
	APIServerArgs map[string]string
}

// ControlPlane is a running control plane. Its fields are read-only.
type ControlPlane struct {
	// Config is cluster-admin (system:masters, a client certificate).
	Config *rest.Config
	// Kube is a clientset for Config.
	Kube kubernetes.Interface
	// Dir holds certificates, kubeconfigs, etcd's data and a log per
	// component (<component>.log); Stop removes it.
	Dir string
	// Nodes are the kwok nodes started with the control plane.
	Nodes []string

	env      *envtest.Environment
	procs    []*process // in start order; stopped in reverse
	stopOnce sync.Once
	stopErr  error

	mu      sync.Mutex
	nodeSeq int
}

// Start starts a control plane that is stopped when the test ends.
func Start(t testing.TB, opts Options) *ControlPlane {
	t.Helper()
	cp, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})
	return cp
}

// New starts a control plane and returns once its components are healthy
// and its nodes Ready. Stop it with Stop.
func New(ctx context.Context, opts Options) (cp *ControlPlane, err error) {
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "controlplane-")
	if err != nil {
		return nil, fmt.Errorf("control plane dir: %w", err)
	}
	cp = &ControlPlane{Dir: dir}
	defer func() {
		if err != nil {
			if stopErr := cp.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
			cp = nil
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	if err := cp.startAPIServer(bin, opts.APIServerArgs); err != nil {
		return cp, err
	}
	procs, err := cp.startComponents(bin)
	if err != nil {
		return cp, err
	}
	for _, p := range procs {
		if err := p.waitHealthy(ctx); err != nil {
			return cp, err
		}
	}
	if cp.Nodes, err = cp.AddNodes(ctx, opts.Nodes); err != nil {
		return cp, err
	}
	return cp, nil
}

// startAPIServer starts etcd and kube-apiserver with envtest.
func (c *ControlPlane) startAPIServer(bin string, args map[string]string) error {
	certDir, etcdDir := filepath.Join(c.Dir, "apiserver"), filepath.Join(c.Dir, "etcd")
	for _, d := range []string{certDir, etcdDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("control plane dir: %w", err)
		}
	}
	apiLog, err := os.Create(filepath.Join(c.Dir, "kube-apiserver.log"))
	if err != nil {
		return fmt.Errorf("control plane log: %w", err)
	}
	defer apiLog.Close() // the child keeps its own descriptor
	etcdLog, err := os.Create(filepath.Join(c.Dir, "etcd.log"))
	if err != nil {
		return fmt.Errorf("control plane log: %w", err)
	}
	defer etcdLog.Close()

	c.env = &envtest.Environment{BinaryAssetsDirectory: bin, ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout: time.Minute}
	c.env.ControlPlane.Etcd = &envtest.Etcd{DataDir: etcdDir, Out: etcdLog, Err: etcdLog}
	api := c.env.ControlPlane.GetAPIServer()
	api.CertDir, api.Out, api.Err = certDir, apiLog, apiLog
	// kwok nodes have a Hostname address nothing resolves: reach their
	// kubelet (kwok's server) by InternalIP, for pods/log.
	api.Configure().Set("kubelet-preferred-address-types", "InternalIP")
	for k, v := range args {
		api.Configure().Set(k, v)
	}
	cfg, err := c.env.Start()
	if err != nil {
		return fmt.Errorf("start etcd and kube-apiserver: %w%s", err, c.logTails("etcd", "kube-apiserver"))
	}
	cfg.QPS, cfg.Burst = 200, 400
	c.Config = cfg
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	// kube-controller-manager puts the CA that signed the API server's
	// serving certificate into kube-root-ca.crt and token Secrets.
	return os.WriteFile(c.path("ca.crt"), cfg.CAData, 0o600)
}

// startComponents starts kube-controller-manager, kube-scheduler and kwok
// without waiting for them.
func (c *ControlPlane) startComponents(bin string) ([]*process, error) {
	kubeconfigs := map[string]string{}
	for _, name := range []string{"kube-controller-manager", "kube-scheduler", "kwok"} {
		user := "system:" + name
		if name == "kwok" {
			user = "kwok"
		}
		path, err := c.writeUserKubeconfig(name, user)
		if err != nil {
			return nil, err
		}
		kubeconfigs[name] = path
	}
	if err := c.writeKwokConfig(); err != nil {
		return nil, err
	}
	// The scheduler's client flags are deprecated in favour of its config
	// file; its default 50 QPS would pace a bench's thousands of pods.
	schedulerConfig := fmt.Sprintf(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: %q, qps: 200, burst: 400}
leaderElection: {leaderElect: false}
`, kubeconfigs["kube-scheduler"])
	if err := os.WriteFile(c.path("kube-scheduler.yaml"), []byte(schedulerConfig), 0o600); err != nil {
		return nil, fmt.Errorf("kube-scheduler config: %w", err)
	}
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	specs := []struct {
		name, health string
		args         []string
		env          []string
	}{
		{"kube-controller-manager", fmt.Sprintf("https://127.0.0.1:%d/healthz", ports[0]), []string{
			"--kubeconfig=" + kubeconfigs["kube-controller-manager"],
			"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[0]),
			"--cert-dir=" + c.path("kube-controller-manager"),
			"--leader-elect=false",
			"--controllers=" + strings.Join(controllers, ","),
			"--service-account-private-key-file=" + c.path("apiserver", "sa-signer.key"),
			"--root-ca-file=" + c.path("ca.crt"),
			"--kube-api-qps=200", "--kube-api-burst=400",
		}, nil},
		{"kube-scheduler", fmt.Sprintf("https://127.0.0.1:%d/readyz", ports[1]), []string{
			"--config=" + c.path("kube-scheduler.yaml"),
			"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[1]),
			"--cert-dir=" + c.path("kube-scheduler"),
		}, nil},
		{"kwok", fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[2]), []string{
			"--kubeconfig=" + kubeconfigs["kwok"],
			"--config=" + c.path("kwok.yaml"),
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + nodeAnnotation + "=fake",
			fmt.Sprintf("--server-address=127.0.0.1:%d", ports[2]),
			// Nodes name kwok's server as their kubelet, so the API server
			// proxies pods/log to it (see kubelet-preferred-address-types).
			"--node-ip=127.0.0.1", fmt.Sprintf("--node-port=%d", ports[2]),
			"--cidr=10.64.0.0/16",
			"--node-lease-duration-seconds=40",
		}, []string{
			// kwok also reads <workdir>/kwok.yaml: keep it off the user's ~/.kwok.
			"KWOK_WORKDIR=" + c.path("kwok"),
		}},
	}
	var procs []*process
	for _, s := range specs {
		p, err := c.start(filepath.Join(bin, s.name), s.name, s.health, s.args, s.env)
		if err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// Stop stops every component and removes Dir. A process still running
// afterwards is killed and reported as an error. Stop may be called more
// than once.
func (c *ControlPlane) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(c.procs) - 1; i >= 0; i-- {
			if err := c.procs[i].stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.env != nil {
			if err := c.env.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stop etcd and kube-apiserver: %w", err))
			}
		}
		if left := killLeftovers(c.Dir); len(left) > 0 {
			errs = append(errs, fmt.Errorf("processes left running in %s (killed): %s", c.Dir, strings.Join(left, "; ")))
		}
		if err := os.RemoveAll(c.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.Dir, err))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// LogTail returns the last lines of a component's log ("etcd",
// "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"),
// for a failing test to show what the component saw.
func (c *ControlPlane) LogTail(component string, lines int) string {
	return lastLines(c.path(component+".log"), lines)
}

// logTails formats the ends of components' logs for an error message.
func (c *ControlPlane) logTails(components ...string) string {
	var b strings.Builder
	for _, name := range components {
		b.WriteString(tail(c.path(name+".log"), 20))
	}
	return b.String()
}

func (c *ControlPlane) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

// Shared is one control plane for a test package, started on first use
// and stopped from TestMain:
//
//	var cluster controlplane.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := cluster.Stop(); err != nil { fmt.Fprintln(os.Stderr, err); code = 1 }
//		os.Exit(code)
//	}
//
// and cluster.Get(t) in each test.
type Shared struct {
	Options Options

	once sync.Once
	cp   *ControlPlane
	err  error
}

// Get returns the package's control plane, starting it on first use. A
// failed start fails every test that asks.
func (s *Shared) Get(t testing.TB) *ControlPlane {
	t.Helper()
	s.once.Do(func() { s.cp, s.err = New(context.Background(), s.Options) })
	if s.err != nil {
		t.Fatalf("start control plane: %v", s.err)
	}
	return s.cp
}

// Stop stops the control plane if one was started.
func (s *Shared) Stop() error {
	s.once.Do(func() {}) // nothing may start it afterwards
	if s.cp == nil {
		return nil
	}
	return s.cp.Stop()
}
