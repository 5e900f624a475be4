package control

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

func newBucket(t *testing.T) *store.Metered {
	t.Helper()
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return store.NewMetered(b)
}

func TestWatchWritesOnlyWhenHalfTheLeaseIsGone(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	until, err := Watch(ctx, b, "c1", t0, time.Minute)
	if err != nil || !until.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first watch: %v %v", until, err)
	}
	puts := b.Requests().Put
	// Renewals within the first half of the lease write nothing.
	for _, dt := range []time.Duration{time.Second, 20 * time.Second, 29 * time.Second} {
		got, err := Watch(ctx, b, "c1", t0.Add(dt), time.Minute)
		if err != nil || !got.Equal(until) {
			t.Fatalf("renewal at +%s: %v %v", dt, got, err)
		}
	}
	if n := b.Requests().Put; n != puts {
		t.Fatalf("renewals in the first half wrote %d objects", n-puts)
	}
	got, err := Watch(ctx, b, "c1", t0.Add(31*time.Second), time.Minute)
	if err != nil || !got.Equal(t0.Add(91*time.Second)) {
		t.Fatalf("renewal after half: %v %v", got, err)
	}
	// A request for longer than MaxWatch is capped.
	got, err = Watch(ctx, b, "c1", t0.Add(time.Hour), time.Hour)
	if err != nil || !got.Equal(t0.Add(time.Hour+MaxWatch)) {
		t.Fatalf("capped: %v %v", got, err)
	}
}

func TestConcurrentWatchersLoseNothing(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each writer sees a different moment; the latest must win.
			if _, err := Watch(ctx, b, "c1", t0.Add(time.Duration(i)*time.Minute), MaxWatch); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	p := Poller{Bucket: b, Cluster: "c1"}
	o, _, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the order, the lease covers the latest writer's moment by
	// at least half a lease (a writer leaves it alone when it does).
	last := t0.Add(19 * time.Minute)
	if o.WatchUntil.Before(last.Add(MaxWatch/2)) || o.WatchUntil.After(last.Add(MaxWatch)) {
		t.Fatalf("watch_until %v, want within [%v, %v]", o.WatchUntil, last.Add(MaxWatch/2), last.Add(MaxWatch))
	}
}

func TestPollerRevalidates(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	p := Poller{Bucket: b, Cluster: "c1"}
	o, changed, err := p.Poll(ctx)
	if err != nil || changed || o.Watched(time.Now()) {
		t.Fatalf("absent object: %+v %v %v", o, changed, err)
	}
	now := time.Now()
	if _, err := Watch(ctx, b, "c1", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	o, changed, err = p.Poll(ctx)
	if err != nil || !changed || !o.Watched(now) {
		t.Fatalf("after watch: %+v %v %v", o, changed, err)
	}
	before := b.Requests()
	o2, changed, err := p.Poll(ctx)
	if err != nil || changed || !o2.WatchUntil.Equal(o.WatchUntil) {
		t.Fatalf("unchanged poll: %+v %v %v", o2, changed, err)
	}
	if after := b.Requests(); after.BytesOut != before.BytesOut {
		t.Fatalf("an unchanged poll downloaded %d bytes", after.BytesOut-before.BytesOut)
	}
	if o.Watched(now.Add(2 * time.Minute)) {
		t.Fatal("lease outlived its end")
	}
}

func TestBadObjectsAreReplacedNotFatal(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	if _, err := b.Put(ctx, ObjectKey("c1"), []byte("{not json"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	p := Poller{Bucket: b, Cluster: "c1"}
	if _, _, err := p.Poll(ctx); err == nil {
		t.Fatal("a corrupt control object polled without error")
	}
	now := time.Now()
	if _, err := Watch(ctx, b, "c1", now, time.Minute); err != nil {
		t.Fatalf("watch over a corrupt object: %v", err)
	}
	if o, _, err := p.Poll(ctx); err != nil || !o.Watched(now) {
		t.Fatalf("after repair: %+v %v", o, err)
	}
	if _, err := Watch(ctx, b, "../x", now, time.Minute); err == nil {
		t.Fatal("invalid cluster accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"cluster":"c1","watch_until":"2026-12-06T10:00:00Z"}`))
	f.Add([]byte(`{"schema_version":0}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode("c1", data)
		if err == nil && (o.Cluster != "c1" || o.SchemaVersion < 1) {
			t.Fatalf("accepted %q as %+v", data, o)
		}
	})
}
