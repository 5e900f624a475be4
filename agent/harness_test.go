package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/kubeapi"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var nsSeq atomic.Int64

// harness is one test's view of a shared API server and store: its own
// namespace and cluster id.
type harness struct {
	t       *testing.T
	env     *kubetest.Env
	kube    kubernetes.Interface
	bucket  store.Bucket
	cluster string
	ns      string
}

func newHarness(t *testing.T, env *kubetest.Env, bucket store.Bucket) *harness {
	t.Helper()
	n := nsSeq.Add(1)
	h := &harness{t: t, env: env, kube: env.Kube, bucket: bucket,
		cluster: fmt.Sprintf("c%d-%d", n, time.Now().UnixNano()%1e6), ns: fmt.Sprintf("t%d", n)}
	h.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}})
	return h
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// testLogger writes JSON logs to the test log when -v, else nowhere.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() && os.Getenv("AGENT_TEST_LOGS") != "" {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type running struct {
	*agent.Agent
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop shuts the agent down gracefully and returns Run's error.
func (r *running) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(3 * time.Minute):
			r.err = fmt.Errorf("agent did not stop")
		}
	})
	return r.err
}

func (h *harness) config(instance string, rc *rest.Config) agent.Config {
	// The production clients, as the agent binary makes them.
	kube, err := kubeapi.New(rc, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	src, err := watch.NewSource(rc)
	if err != nil {
		h.t.Fatal(err)
	}
	return agent.Config{
		Cluster: h.cluster, Instance: instance, Kube: kube, Source: src, Namespace: h.ns, Store: h.bucket,
		SpoolDir: h.t.TempDir(), StateInterval: 100 * time.Millisecond, HeartbeatInterval: time.Second, StandbyPoll: 300 * time.Millisecond,
		IdlePoll: 200 * time.Millisecond, WatchedPoll: 100 * time.Millisecond, TailInterval: 200 * time.Millisecond,
		FlushAge: time.Hour, CheckpointInterval: time.Hour, LeaseDuration: 3 * time.Second, LeaderElection: true,
		Logger: testLogger(h.t).With("instance", instance),
	}
}

func (h *harness) start(cfg agent.Config) *running {
	h.t.Helper()
	a, err := agent.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	h.t.Cleanup(func() { r.stop() })
	return r
}

func (h *harness) startAgent(instance string, mod ...func(*agent.Config)) *running {
	h.t.Helper()
	cfg := h.config(instance, h.env.Config)
	for _, m := range mod {
		m(&cfg)
	}
	r := h.start(cfg)
	h.waitReady(r)
	return r
}

func (h *harness) waitReady(r *running) {
	h.t.Helper()
	h.eventually("agent ready", 60*time.Second, func() bool { return r.Ready() })
}

func (h *harness) eventually(what string, timeout time.Duration, ok func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) create(obj any) {
	h.t.Helper()
	if err := createObj(h.ctx(), h.kube, obj); err != nil {
		h.t.Fatalf("create %T: %v", obj, err)
	}
}

// readTable reads every visible row of a table for the harness's cluster
// from the last two days.
func readTable[R any](t *testing.T, b store.Bucket, tbl *lake.Table[R], cluster string) []R {
	t.Helper()
	ctx := context.Background()
	var out []R
	now := time.Now()
	for _, day := range lake.Days(now.Add(-24*time.Hour), now.Add(2*time.Hour)) {
		objs, err := lake.ListPartition(ctx, b, tbl.Name(), cluster, day)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			data, _, err := b.Get(ctx, o.Info.Key, "")
			if err != nil {
				t.Fatal(err)
			}
			rows, _, err := tbl.Decode(data)
			if err != nil {
				t.Fatalf("decode %s: %v", o.Info.Key, err)
			}
			out = append(out, rows...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return tbl.Time(&out[i]).Before(tbl.Time(&out[j])) })
	return out
}

func readJSON(t *testing.T, b store.Bucket, key string, v any) bool {
	t.Helper()
	data, _, err := b.Get(context.Background(), key, "")
	if store.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func qty(s string) resource.Quantity { return resource.MustParse(s) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

var (
	envOnce   sync.Once
	sharedEnv *kubetest.Env
	envErr    error
)

// apiServer returns the API server shared by this package's tests.
func apiServer(t *testing.T) *kubetest.Env {
	t.Helper()
	envOnce.Do(func() { sharedEnv, envErr = kubetest.New(kubetest.Options{}) })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return sharedEnv
}

// quietLogger discards client-go's klog output, which would otherwise
// flood the test log whenever a test breaks watches on purpose.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMain(m *testing.M) {
	klog.SetSlogLogger(quietLogger())
	code := m.Run()
	if sharedEnv != nil {
		sharedEnv.Stop()
	}
	os.Exit(code)
}
