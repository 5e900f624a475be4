package ops_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

var (
	envOnce   sync.Once
	sharedEnv *kubetest.Env
	agentRC   *rest.Config // a user bound to the agent's operations rules only
	envErr    error
	// fakeKubelet serves the logs the API server proxies to a node.
	fakeKubelet *kubelet
	seq         atomic.Int64
)

// apiServer returns the package's API server and the config of a user
// holding exactly ops.Rules() (what docs/agent.md grants).
func apiServer(t *testing.T) (*kubetest.Env, *rest.Config) {
	t.Helper()
	envOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ops-kubelet-")
		if err != nil {
			envErr = err
			return
		}
		if fakeKubelet, envErr = newKubelet(dir); envErr != nil {
			return
		}
		sharedEnv, envErr = kubetest.New(kubetest.Options{Args: map[string]string{
			"kubelet-certificate-authority": fakeKubelet.caFile}})
		if envErr != nil {
			return
		}
		agentRC, envErr = userWith(sharedEnv, "atlhyper-agent", ops.Rules())
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return sharedEnv, agentRC
}

// userWith provisions a user bound to a ClusterRole of rules.
func userWith(env *kubetest.Env, name string, rules []rbacv1.PolicyRule) (*rest.Config, error) {
	ctx := context.Background()
	if _, err := env.Kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	if _, err := env.Kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: name}},
	}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	u, err := env.AddUser(envtest.User{Name: name}, env.Config)
	if err != nil {
		return nil, err
	}
	return u.Config(), nil
}

func TestMain(m *testing.M) {
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	code := m.Run()
	if sharedEnv != nil {
		sharedEnv.Stop()
	}
	// Stop fails if a component had died or outlived it.
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop control plane:", err)
		code = 1
	}
	os.Exit(code)
}

// fixture is one test's cluster: its own namespace, bucket, cluster id,
// signing key and executor, driven by a poll loop like the agent's.
type fixture struct {
	t       *testing.T
	kube    kubernetes.Interface // admin, to set the scene
	bucket  store.Bucket
	meter   *store.Metered // bucket, counting every request (the test's own too)
	cluster string
	ns      string
	signer  control.Signer
	x       *ops.Executor
	offset  atomic.Int64 // added to the executor's clock
	cfg     ops.Config
	paused  bool

	mu       sync.Mutex
	archived []lake.Command
}

type option func(*fixture, *ops.Config)

func setup(t *testing.T, minio *miniotest.Server, opts ...option) *fixture {
	t.Helper()
	env, rc := apiServer(t)
	return newFixture(t, minio, env.Kube, rc, opts...)
}

// newFixture sets a test up on the cluster kube administers, its executor
// calling the API server as rc.
func newFixture(t *testing.T, minio *miniotest.Server, kube kubernetes.Interface, rc *rest.Config, opts ...option) *fixture {
	t.Helper()
	n := seq.Add(1)
	meter := store.NewMetered(minio.NewBucket(t))
	f := &fixture{t: t, kube: kube, bucket: meter, meter: meter, cluster: fmt.Sprintf("c%d", n), ns: fmt.Sprintf("ops%d", n)}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.signer = control.Signer{KeyID: "k1", Key: priv}
	if _, err := f.kube.CoreV1().Namespaces().Create(f.ctx(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	api, err := ops.NewREST(rc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ops.Config{Cluster: f.cluster, Instance: "agent-0", Bucket: f.bucket, API: api,
		Keys: map[string]ed25519.PublicKey{"k1": priv.Public().(ed25519.PublicKey)}, Lease: 2 * time.Second,
		Now:    func() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Archive: func(_ context.Context, rows []lake.Command) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.archived = append(f.archived, rows...)
			return nil
		}}
	for _, o := range opts {
		o(f, &cfg)
	}
	f.cfg = cfg
	if !f.paused {
		f.x = f.start(cfg)
	}
	return f
}

// paused sets a fixture up without its executor: the test prepares the
// queue first, then calls resume.
func paused(f *fixture, _ *ops.Config) { f.paused = true }

func (f *fixture) resume() { f.x = f.start(f.cfg) }

// start runs an executor behind a poll loop (the agent's, faster) until
// the test ends.
func (f *fixture) start(cfg ops.Config) *ops.Executor {
	x, _ := f.runExecutor(cfg)
	return x
}

// startFor runs an executor until the returned stop is called.
func (f *fixture) startFor(cfg ops.Config) (stop func()) {
	_, stop = f.runExecutor(cfg)
	return stop
}

func (f *fixture) runExecutor(cfg ops.Config) (*ops.Executor, func()) {
	x, err := ops.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p := control.Poller{Bucket: cfg.Bucket, Cluster: cfg.Cluster}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if o, _, err := p.Poll(ctx); err == nil {
				_ = x.Handle(ctx, o)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			sctx, c := context.WithTimeout(context.Background(), 30*time.Second)
			defer c()
			x.Stop(sctx)
		})
	}
	f.t.Cleanup(stop)
	return x, stop
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	f.t.Cleanup(cancel)
	return ctx
}

// command builds a command as the API would.
func (f *fixture) command(action string, target control.Target, params any) control.Command {
	f.t.Helper()
	a, ok := kinds.ActionByName(action)
	if !ok {
		f.t.Fatalf("no action %s", action)
	}
	now := time.Now()
	c := control.Command{ID: lake.NewULID(now).String(), Cluster: f.cluster, Action: action, Target: target,
		RequestedBy: "alice", Role: a.Role, Reason: "testing " + action, CreatedAt: now, Deadline: now.Add(a.Timeout),
		ReadOnly: a.ReadOnly}
	if params != nil {
		data, err := json.Marshal(params)
		if err != nil {
			f.t.Fatal(err)
		}
		c.Params = data
	}
	return c
}

// submit queues a command as the API would and returns its id.
func (f *fixture) submit(action string, target control.Target, params any) string {
	f.t.Helper()
	c := f.command(action, target, params)
	if _, err := control.Submit(f.ctx(), f.bucket, f.signer, c); err != nil {
		f.t.Fatalf("submit %s: %v", action, err)
	}
	return c.ID
}

// run submits a command and waits until it ended and was archived.
func (f *fixture) run(action string, target control.Target, params any) (control.Entry, control.Result) {
	f.t.Helper()
	return f.wait(f.submit(action, target, params))
}

func (f *fixture) wait(id string) (control.Entry, control.Result) {
	f.t.Helper()
	var e control.Entry
	f.eventually("command "+id+" ended and archived", 90*time.Second, func() bool {
		o, err := control.Read(f.ctx(), f.bucket, f.cluster)
		if err != nil {
			f.t.Fatal(err)
		}
		var ok bool
		e, ok = o.Find(id)
		return ok && control.Final(e.State) && e.Archived
	})
	r, err := control.ReadResult(f.ctx(), f.bucket, f.cluster, id)
	if err != nil && !store.IsNotFound(err) {
		f.t.Fatal(err)
	}
	return e, r
}

// output reads a command's output object.
func (f *fixture) output(r control.Result) string {
	f.t.Helper()
	if r.OutputKey == "" {
		f.t.Fatalf("command %s has no output: %+v", r.ID, r)
	}
	data, _, err := f.bucket.Get(f.ctx(), r.OutputKey, "")
	if err != nil {
		f.t.Fatal(err)
	}
	if len(data) != r.OutputBytes {
		f.t.Fatalf("output of %s: %d bytes, result says %d", r.ID, len(data), r.OutputBytes)
	}
	return string(data)
}

func (f *fixture) row(id string) (lake.Command, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.archived {
		if r.ID == id {
			return r, true
		}
	}
	return lake.Command{}, false
}

func (f *fixture) eventually(what string, timeout time.Duration, ok func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// succeeded fails the test unless the command succeeded.
func (f *fixture) succeeded(e control.Entry, r control.Result) {
	f.t.Helper()
	if e.State != control.Succeeded || r.State != control.Succeeded {
		f.t.Fatalf("%s %s: entry %s %q, result %s %q", e.Action, e.Target, e.State, e.Error, r.State, r.Error)
	}
}

func (f *fixture) target(kind, name string) control.Target {
	k, _ := kinds.ByName(kind)
	if !k.Namespaced {
		return control.Target{Kind: kind, Name: name}
	}
	return control.Target{Kind: kind, Namespace: f.ns, Name: name}
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

func ptr[T any](v T) *T { return &v }

// cronJob creates a CronJob whose runs the test counts with jobs.
func (f *fixture) cronJob(name string) {
	f.t.Helper()
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: name, Image: "busybox:1"}}}}}}}}
	if _, err := f.kube.BatchV1().CronJobs(f.ns).Create(f.ctx(), cj, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// jobs counts the Jobs in the fixture's namespace.
func (f *fixture) jobs() int {
	f.t.Helper()
	l, err := f.kube.BatchV1().Jobs(f.ns).List(f.ctx(), metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(l.Items)
}
