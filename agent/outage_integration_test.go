package agent_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestStoreOutage stops MinIO while the agent writes, and again while it
// shuts down: everything reaches the store once MinIO is back, through
// the spool, exactly once.
func TestStoreOutage(t *testing.T) {
	env := apiServer(t)
	minio := miniotest.Start(t)
	b := minio.NewBucket(t)
	h := newHarness(t, env, b)
	g := &generator{h: h, stop: make(chan struct{}), done: make(chan struct{})}
	for i := range 10 {
		p, err := h.kube.CoreV1().Pods(h.ns).Create(h.ctx(), h.pod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		g.record(p, lake.OpAdd)
	}
	h.create(h.pod("crashy"))
	spoolDir := t.TempDir()
	mod := func(c *agent.Config) { c.SpoolDir = spoolDir }
	a := h.startAgent("agent-a", mod)
	ready := time.Now()
	go g.run(t)
	time.Sleep(time.Second)

	// Outage 1: the agent keeps collecting into its spool.
	minio.Stop()
	time.Sleep(2 * time.Second)
	if err := a.Flush(h.ctx()); err != nil {
		t.Fatalf("flush during outage: %v", err)
	}
	st := a.Stats()
	if st.Spool.Objects == 0 || st.Spool.UploadErrors == 0 {
		t.Fatalf("nothing spooled during the outage: %+v", st.Spool)
	}
	minio.Restart(t)
	h.eventually("spool drained", 60*time.Second, func() bool { return a.Stats().Spool.Objects == 0 })

	// Outage 2: the store goes away and the agent stops; the next start
	// (same spool) delivers what was left once the store is back.
	time.Sleep(time.Second)
	minio.Stop()
	time.Sleep(time.Second)
	close(g.stop)
	<-g.done
	endGen := time.Now()
	time.Sleep(500 * time.Millisecond)
	if err := a.stop(); err != nil {
		t.Fatalf("stop during outage: %v", err)
	}
	if n := a.Stats().Spool.Objects; n == 0 {
		t.Fatal("expected objects left in the spool")
	}
	// The next agent starts while the store is still down: it can neither
	// take the lease nor upload, and waits.
	cfg := h.config("agent-b", h.env.Config)
	cfg.SpoolDir = spoolDir
	next := h.start(cfg)
	time.Sleep(time.Second)
	if next.Leader() {
		t.Fatal("leader without a store")
	}
	minio.Restart(t)
	h.eventually("leftovers uploaded", 60*time.Second, func() bool { return next.Stats().Spool.Objects == 0 && next.Stats().Spool.Uploaded > 0 })
	h.waitReady(next)
	if err := next.stop(); err != nil {
		t.Fatal(err)
	}

	rows := readTable(t, b, lake.Pods, h.cluster)
	type key struct{ uid, rv, op string }
	seen := map[key]int{}
	for _, r := range rows {
		if r.Op != lake.OpCheckpoint {
			seen[key{r.UID, r.ResourceVersion, r.Op}]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("change row %+v recorded %d times", k, n)
		}
	}
	present := map[key]bool{}
	for k := range seen {
		present[key{k.uid, k.rv, ""}] = true
		if k.op == lake.OpDelete {
			present[key{k.uid, "", lake.OpDelete}] = true
		}
	}
	checked := 0
	for _, w := range g.writes {
		if w.at.Before(ready) || w.at.After(endGen) {
			continue
		}
		checked++
		k := key{w.uid, w.rv, ""}
		if w.op == lake.OpDelete {
			k = key{w.uid, "", lake.OpDelete}
		}
		if !present[k] {
			t.Errorf("lost change: %+v", w)
		}
	}
	hbs := readTable(t, b, lake.Heartbeats, h.cluster)
	t.Logf("%d changes checked, %d pod rows, %d heartbeat rows", checked, len(rows), len(hbs))
	if checked < 50 {
		t.Fatalf("only %d changes checked", checked)
	}
}
