package query_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// flaky is a sink that refuses puts while down.
type flaky struct {
	b    store.Bucket
	mu   sync.Mutex
	down bool
}

func (f *flaky) Put(ctx context.Context, key string, data []byte) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("store down")
	}
	return lake.StoreSink{Bucket: f.b}.Put(ctx, key, data)
}

// TestTailRowsAppearOnceAcrossFlushes: every row a watched agent holds is
// visible through its tail, and stays visible exactly once while the rows
// move from the tail to the lake — whatever the order in which readers
// learn of the new tail and the new objects.
func TestTailRowsAppearOnceAcrossFlushes(t *testing.T) {
	ctx := context.Background()
	b := openFile(t)
	var mu sync.Mutex
	now := day0.Add(10*time.Hour + 30*time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sink := &flaky{b: b}
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: sink, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	pod := func(i int) lake.Pod {
		return lake.Pod{Meta: lake.Meta{TS: clock(), Op: lake.OpUpdate, Kind: "Pod", Namespace: "ns", Name: "p", UID: "u"}, Restarts: int32(i)}
	}
	publish := func() { t.Helper(); publishTail(t, b, w) }
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, Now: clock, Tails: true,
		TailTTL: time.Nanosecond, RecentListTTL: time.Hour, SandboxTables: []string{"pods"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rows := func(what string, want int64) {
		t.Helper()
		s := query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: clock().Add(time.Hour)}
		n, err := count(t, e, s, "SELECT count(*) FROM pods")
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("%s: %d rows visible, want %d", what, n, want)
		}
		// Users' SQL runs on the sandbox instance: it must read tails too.
		var sn int64
		err = e.Query(ctx, query.Request{Scopes: []query.Scope{s}, SQL: "SELECT count(*) FROM pods", Sandboxed: true}, func(r *sql.Rows) error {
			for r.Next() {
				if err := r.Scan(&sn); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || sn != want {
			t.Fatalf("%s, sandboxed: %d rows, want %d: %v", what, sn, want, err)
		}
	}

	lake.Add(w, lake.Pods, pod(1), pod(2))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tick(time.Second)
	rows("flushed, no tail", 2) // the engine lists the partition now and keeps the listing (RecentListTTL)

	lake.Add(w, lake.Pods, pod(3))
	sink.mu.Lock()
	sink.down = true
	sink.mu.Unlock()
	if err := w.Flush(ctx); err == nil {
		t.Fatal("flush to a down store succeeded")
	}
	lake.Add(w, lake.Pods, pod(4))
	tick(time.Second)
	publish() // one pending object (row 3), one buffered row (4)
	rows("tail with a pending object and a buffered row", 4)

	// The store is back: the flush stores row 3's object and a new one
	// with row 4, but this reader still has the old tail and the old
	// listing; then it learns of both.
	sink.mu.Lock()
	sink.down = false
	sink.mu.Unlock()
	tick(time.Second)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rows("old tail, old listing", 4)

	tick(time.Second)
	publish() // empty, but names the objects just stored as recent
	rows("new tail, stale listing", 4)

	lake.Add(w, lake.Pods, pod(5))
	tick(time.Second)
	publish()
	rows("another buffered row", 5)

	if err := b.Delete(ctx, lake.ClusterKey("c1", lake.TailKey)); err != nil {
		t.Fatal(err)
	}
	tick(time.Second)
	rows("tail gone (watch ended)", 4)

	// A corrupt tail is ignored, not an error.
	if _, err := b.Put(ctx, lake.ClusterKey("c1", lake.TailKey), []byte("junk"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	tick(time.Second)
	rows("corrupt tail", 4)
	if m, err := e.Tail(ctx, "c1"); err != nil || m != nil {
		t.Fatalf("corrupt tail served: %v %v", m, err)
	}
}

// TestTailedClusterListsLess: a dashboard refreshing a watched cluster
// every 30 s lists its recent partitions every OldListTTL, not at every
// refresh (every 15 s listing is RecentListTTL's, without a tail); an
// object the agent stores meanwhile is still read at once, since the
// tail names it.
func TestTailedClusterListsLess(t *testing.T) {
	ctx := context.Background()
	b := store.NewMetered(openFile(t))
	var mu sync.Mutex
	now := day0.Add(10*time.Hour + 30*time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: lake.StoreSink{Bucket: b}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	publish := func() { t.Helper(); publishTail(t, b, w) }
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, Now: clock, Tails: true,
		RecentListTTL: 15 * time.Second, OldListTTL: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pod := func(i int) lake.Pod {
		return lake.Pod{Meta: lake.Meta{TS: clock(), Op: lake.OpUpdate, Kind: "Pod", Namespace: "ns", Name: "p", UID: "u"}, Restarts: int32(i)}
	}
	// refresh runs the query and returns the LISTs it sent.
	refresh := func(what string, want int64) int64 {
		t.Helper()
		before := b.Requests()
		s := query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: clock().Add(time.Hour)}
		n, err := count(t, e, s, "SELECT count(*) FROM pods")
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("%s: %d rows visible, want %d", what, n, want)
		}
		return b.Requests().Sub(before).List
	}
	lake.Add(w, lake.Pods, pod(1))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Unwatched: a listing lasts RecentListTTL.
	refresh("unwatched", 1)
	tick(30 * time.Second)
	if n := refresh("unwatched, 30 s later", 1); n == 0 {
		t.Fatal("a recent partition's listing of an unwatched cluster was reused after 30 s (RecentListTTL 15 s)")
	}
	// Watched: the tail names what the writer stored; listings last OldListTTL.
	lake.Add(w, lake.Pods, pod(2))
	publish()
	tick(time.Second)
	refresh("watched, first refresh", 2)
	lists := int64(0)
	for i := range 3 { // 90 s of refreshes
		tick(30 * time.Second)
		lists += refresh(fmt.Sprintf("watched, refresh %d", i+1), 2)
	}
	if lists != 0 {
		t.Fatalf("%d LISTs in 90 s of refreshes of a watched cluster, want 0 (OldListTTL 2 min)", lists)
	}
	// The writer stores row 2 and a new row 3 and publishes an empty
	// tail naming its objects: the next refresh lists again and reads them.
	lake.Add(w, lake.Pods, pod(3))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	publish()
	tick(time.Second)
	if n := refresh("watched, after a flush", 3); n == 0 {
		t.Fatal("a flushed object named by the tail was read without listing again")
	}
}

// publishTail stores the writer's unflushed rows as cluster c1's tail, as
// a watched agent does.
func publishTail(t *testing.T, b store.Bucket, w *lake.Writer) {
	t.Helper()
	m, parts, err := w.Tail()
	if err != nil {
		t.Fatal(err)
	}
	data, err := lake.EncodeTail(m, parts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), lake.ClusterKey("c1", lake.TailKey), data, store.Condition{}); err != nil {
		t.Fatal(err)
	}
}
