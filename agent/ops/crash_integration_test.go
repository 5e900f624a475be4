package ops_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// dying is the store as an agent sees it that dies after its first n
// requests: every later one fails, so it acts no more.
type dying struct {
	store.Bucket
	left atomic.Int64
}

var errDead = errors.New("agent died")

func (d *dying) Get(ctx context.Context, k, etag string) ([]byte, store.Info, error) {
	if d.left.Add(-1) < 0 {
		return nil, store.Info{}, errDead
	}
	return d.Bucket.Get(ctx, k, etag)
}

func (d *dying) Put(ctx context.Context, k string, data []byte, c store.Condition) (store.Info, error) {
	if d.left.Add(-1) < 0 {
		return store.Info{}, errDead
	}
	return d.Bucket.Put(ctx, k, data, c)
}

// An agent dies after each of its store requests for a command in turn
// (poll, reads, claim, result, end state, archive); the next agent does
// what docs/agent.md says: a command never claimed runs, one claimed and
// not reported ends unknown (never run again: it is not read-only), one
// whose result was written ends as the result says. A Job is never
// created twice.
func TestAgentDiesAfterEveryStoreRequest(t *testing.T) {
	minio := miniotest.Start(t)
	seen := map[string]bool{}
	for n := int64(0); n < 16; n++ {
		t.Run(fmt.Sprintf("after-%d", n), func(t *testing.T) {
			f := setup(t, minio, paused, func(_ *fixture, c *ops.Config) { c.Lease = time.Second })
			f.cronJob("tick")
			id := f.submit("cronjob.trigger", f.target("CronJob", "tick"), nil)

			// The first agent, until it dies.
			d := &dying{Bucket: f.bucket}
			d.left.Store(n)
			first := f.cfg
			first.Bucket, first.Instance = d, "agent-dead"
			stop := f.startFor(first)
			f.eventually("the first agent dead", 30*time.Second, func() bool { return d.left.Load() < -3 })
			stop()
			o, err := control.Read(f.ctx(), f.bucket, f.cluster)
			if err != nil {
				t.Fatal(err)
			}
			left, _ := o.Find(id)
			_, resErr := control.ReadResult(f.ctx(), f.bucket, f.cluster, id)
			ranBefore := f.jobs()

			// The next agent.
			f.resume()
			e, _ := f.wait(id)
			var want string
			switch {
			case left.State == control.Pending:
				want = control.Succeeded
				seen["never claimed"] = true
			case left.State == control.Running && store.IsNotFound(resErr):
				want = control.Unknown
				seen["claimed, not reported"] = true
			default:
				want = control.Succeeded // its result, or already ended
				seen["reported"] = true
			}
			if e.State != want {
				t.Fatalf("left %s (result: %v); next agent ended it %s %q, want %s", left.State, resErr, e.State, e.Error, want)
			}
			if got := f.jobs(); got > 1 || (want == control.Unknown && got != ranBefore) || (want == control.Succeeded && got != 1) {
				t.Fatalf("%d jobs (%d before the next agent), state %s", got, ranBefore, e.State)
			}
		})
	}
	if len(seen) != 3 {
		t.Fatalf("crash points covered only %v", seen)
	}
}

// flaky fails the first GET of each command's result and signed object,
// as a store hiccup would.
type flaky struct {
	store.Bucket
	mu     sync.Mutex
	failed map[string]bool
}

func (f *flaky) Get(ctx context.Context, k, etag string) ([]byte, store.Info, error) {
	if strings.Contains(k, "/commands/") {
		f.mu.Lock()
		first := !f.failed[k]
		f.failed[k] = true
		f.mu.Unlock()
		if first {
			return nil, store.Info{}, errors.New("connection reset by peer")
		}
	}
	return f.Bucket.Get(ctx, k, etag)
}

// A store that does not answer while a command is checked delays it; it
// is not refused.
func TestStoreHiccupIsRetried(t *testing.T) {
	minio := miniotest.Start(t)
	fl := &flaky{failed: map[string]bool{}}
	f := setup(t, minio, func(f *fixture, c *ops.Config) { fl.Bucket = f.bucket; c.Bucket = fl })
	f.pod("web", "", nil)
	e, r := f.run("object.yaml", f.target("Pod", "web"), nil)
	f.succeeded(e, r)
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if e.Attempts != 1 || !fl.failed[control.ResultKey(f.cluster, e.ID)] || !fl.failed[control.CommandKey(f.cluster, e.ID)] {
		t.Fatalf("attempts %d, failed reads %v", e.Attempts, fl.failed)
	}
}
