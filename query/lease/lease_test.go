package lease

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/atlhyper/atlhyper/query/store"
)

const key = "_sys/clusters/c1/current.json"

func newBucket(t *testing.T) store.Bucket {
	t.Helper()
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cfg(b store.Bucket, id string, clk Clock) Config {
	return Config{Bucket: b, Key: key, Identity: id, Duration: time.Minute, Clock: clk}
}

// TestTakeoverNeedsAnUnchangedRecordForTheDuration: the candidate's own
// observation decides, never the holder's timestamps; a renewal restarts it.
func TestTakeoverNeedsAnUnchangedRecordForTheDuration(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	a, err := Acquire(ctx, cfg(b, "a", clk), nil)
	if err != nil {
		t.Fatal(err)
	}
	var obs Observation
	if _, err := Acquire(ctx, cfg(b, "b", clk), &obs); !errors.Is(err, ErrHeld) {
		t.Fatalf("b acquired a held lease: %v", err)
	}
	clk.Step(59 * time.Second)
	if _, err := Acquire(ctx, cfg(b, "b", clk), &obs); !errors.Is(err, ErrHeld) {
		t.Fatalf("b took over before the duration: %v", err)
	}
	if err := a.Publish(ctx); err != nil { // a renews: b starts over
		t.Fatal(err)
	}
	clk.Step(2 * time.Second)
	if _, err := Acquire(ctx, cfg(b, "b", clk), &obs); !errors.Is(err, ErrHeld) {
		t.Fatalf("b took over a renewed lease: %v", err)
	}
	clk.Step(time.Minute)
	bl, err := Acquire(ctx, cfg(b, "b", clk), &obs)
	if err != nil {
		t.Fatalf("b could not take over an unchanged lease: %v", err)
	}
	if err := a.Publish(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("a published after losing the lease: %v", err)
	}
	data, _, err := b.Get(ctx, key, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Read(data)
	if err != nil || r.Holder != "b" || r.Transitions != 2 || bl.Holder() != "b" {
		t.Fatalf("record %+v %v", r, err)
	}
}

func TestPayloadSharesTheObject(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	clk := clocktesting.NewFakeClock(time.Now())
	var n atomic.Int32
	c := cfg(b, "a", clk)
	c.Payload = func(context.Context) (json.RawMessage, error) {
		return json.Marshal(map[string]any{"writes": n.Add(1), "lease": "overwritten"})
	}
	l, err := Acquire(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	l.Release(ctx)
	data, _, _ := b.Get(ctx, key, "")
	var doc struct {
		Writes int    `json:"writes"`
		Lease  Record `json:"lease"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Writes != 2 || doc.Lease.Holder != "" || doc.Lease.Transitions != 1 {
		t.Fatalf("object %s: %v", data, err)
	}
	// A successor keeps the payload until it publishes, and sees it.
	c2 := cfg(b, "b", clk)
	c2.Payload = func(context.Context) (json.RawMessage, error) { return json.RawMessage(`[1]`), nil }
	l2, err := Acquire(ctx, c2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prev struct{ Writes int }
	if err := json.Unmarshal(l2.Previous(), &prev); err != nil || prev.Writes != 2 {
		t.Fatalf("previous payload %s: %v", l2.Previous(), err)
	}
	data, _, _ = b.Get(ctx, key, "")
	if err := json.Unmarshal(data, &doc); err != nil || doc.Writes != 2 || doc.Lease.Holder != "b" || doc.Lease.Transitions != 2 {
		t.Fatalf("after takeover %s: %v", data, err)
	}
	if err := l2.Publish(ctx); err == nil {
		t.Fatal("a non-object payload was written")
	}
}

// lossy applies a Put but reports it failed once, like a lost response.
type lossy struct {
	store.Bucket
	fail atomic.Bool
}

func (l *lossy) Put(ctx context.Context, key string, data []byte, c store.Condition) (store.Info, error) {
	info, err := l.Bucket.Put(ctx, key, data, c)
	if err == nil && l.fail.CompareAndSwap(true, false) {
		return store.Info{}, store.ErrUnavailable
	}
	return info, err
}

func TestALostResponseIsNotALostLease(t *testing.T) {
	ctx := context.Background()
	b := &lossy{Bucket: newBucket(t)}
	clk := clocktesting.NewFakeClock(time.Now())
	l, err := Acquire(ctx, cfg(b, "a", clk), nil)
	if err != nil {
		t.Fatal(err)
	}
	b.fail.Store(true)
	if err := l.Publish(ctx); err == nil || errors.Is(err, ErrLost) {
		t.Fatalf("lost response: %v", err)
	}
	// The write landed under a new ETag: the next publish must confirm
	// the record is ours and carry on.
	if err := l.Publish(ctx); err != nil {
		t.Fatalf("after a lost response: %v", err)
	}
}

func TestUnconditionalNeverStepsDown(t *testing.T) {
	ctx := context.Background()
	b := newBucket(t)
	clk := clocktesting.NewFakeClock(time.Now())
	c := cfg(b, "a", clk)
	c.Unconditional = true
	l, err := Acquire(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(ctx, cfg(b, "b", clk), nil); !errors.Is(err, ErrHeld) {
		t.Fatalf("an elected candidate took a fresh unconditional lease: %v", err)
	}
	if _, err := b.Put(ctx, key, []byte(`{"lease":{"holder":"x"}}`), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(ctx); err != nil {
		t.Fatalf("unconditional holder stepped down: %v", err)
	}
}

// TestRunHandsOverOnRelease: a standby polling a held lease takes it at its
// first poll after the holder released it, not a lease duration later.
func TestRunHandsOverOnRelease(t *testing.T) {
	b := newBucket(t)
	clk := clocktesting.NewFakeClock(time.Now())
	ctxA, stopA := context.WithCancel(context.Background())
	aLeading := make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		aDone <- Run(ctxA, cfg(b, "a", clk), func(ctx context.Context, _ *Lease) { close(aLeading); <-ctx.Done() })
	}()
	<-aLeading
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	bLeading := make(chan struct{})
	go Run(ctxB, cfg(b, "b", clk), func(ctx context.Context, _ *Lease) { close(bLeading); <-ctx.Done() })
	waitFor(t, func() bool { return clk.Waiters() >= 2 }) // a renews, b polls
	// Well past the duration, with a renewing: b keeps waiting.
	for range 8 {
		clk.Step(15 * time.Second)
		waitFor(t, func() bool { return clk.Waiters() >= 2 })
	}
	select {
	case <-bLeading:
		t.Fatal("b took a lease that a renews")
	default:
	}
	stopA()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return clk.Waiters() >= 1 })
	clk.Step(15 * time.Second) // one poll interval (10 s ± 25 %)
	select {
	case <-bLeading:
	case <-time.After(10 * time.Second):
		t.Fatal("b did not take the released lease at its next poll")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatal("condition not reached")
		case <-tick.C:
		}
	}
}
