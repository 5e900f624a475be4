package ops_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
			cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "tick", Namespace: f.ns},
				Spec: batchv1.CronJobSpec{Schedule: "@hourly", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
					Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
						Containers: []corev1.Container{container("tick", "busybox:1")}}}}}}}
			if _, err := f.kube.BatchV1().CronJobs(f.ns).Create(f.ctx(), cj, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			id := f.submit("cronjob.trigger", f.target("CronJob", "tick"), nil)
			jobs := func() int {
				l, err := f.kube.BatchV1().Jobs(f.ns).List(f.ctx(), metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return len(l.Items)
			}

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
			ranBefore := jobs()

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
			if got := jobs(); got > 1 || (want == control.Unknown && got != ranBefore) || (want == control.Succeeded && got != 1) {
				t.Fatalf("%d jobs (%d before the next agent), state %s", got, ranBefore, e.State)
			}
		})
	}
	if len(seen) != 3 {
		t.Fatalf("crash points covered only %v", seen)
	}
}
