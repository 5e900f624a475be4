package sim

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestStepClock: every tick of a ticker reaches a receiver however slow it
// is, timers fire once at their virtual time, stopped ones never, and an
// abandoned timer does not hold the clock.
func TestStepClock(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := NewStepClock(t0)
	c.Abandon = 10 * time.Millisecond
	tick := c.NewTicker(time.Second)
	var got []time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			v := <-tick.C()
			got = append(got, v)
			for i := 0; i < 200_000; i++ { // a busy receiver
				_ = i * i
			}
		}
	}()
	timer := c.NewTimer(2500 * time.Millisecond)
	stopped := c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop reports whether the timer was pending")
	}
	reset := c.NewTimer(time.Hour)
	reset.Reset(4 * time.Second)
	abandoned := c.After(3 * time.Second) // never read
	_ = abandoned
	c.Advance(10*time.Second, time.Second)
	<-done
	tick.Stop()
	for i, v := range got {
		if want := t0.Add(time.Duration(i+1) * time.Second); !v.Equal(want) {
			t.Fatalf("tick %d at %v, want %v (all: %v)", i, v, want, got)
		}
	}
	select {
	case v := <-timer.C():
		if !v.Equal(t0.Add(2500 * time.Millisecond)) {
			t.Fatalf("timer fired at %v", v)
		}
	default:
		t.Fatal("timer did not fire")
	}
	select {
	case v := <-reset.C():
		if !v.Equal(t0.Add(4 * time.Second)) {
			t.Fatalf("reset timer fired at %v", v)
		}
	default:
		t.Fatal("reset timer did not fire")
	}
	select {
	case <-stopped.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if !c.Now().Equal(t0.Add(10*time.Second)) || !c.Next().IsZero() {
		t.Fatalf("now %v, next %v", c.Now(), c.Next())
	}
}

// countingBucket counts PUTs by what they write.
type countingBucket struct {
	store.Bucket
	mu   sync.Mutex
	puts map[string]int
}

func (b *countingBucket) Put(ctx context.Context, key string, data []byte, cond store.Condition) (store.Info, error) {
	what := key
	if k, err := lake.ParseKey(key); err == nil {
		what = k.Table
	} else if i := strings.LastIndexByte(key, '/'); i >= 0 {
		what = key[i+1:]
	}
	b.mu.Lock()
	b.puts[what]++
	b.mu.Unlock()
	return b.Bucket.Put(ctx, key, data, cond)
}

func (b *countingBucket) snapshot() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.puts)
}

// TestFleetOnStepClockKeepsDefaults: on a StepClock the agents keep every
// default interval in virtual time, however fast the hour runs: 30
// current.json rewrites (the 2-minute heartbeat that renews the lease)
// plus those anomalies cause, 3 heartbeats-table objects (20-minute
// aligned flushes) and one checkpoint per state table.
func TestFleetOnStepClockKeepsDefaults(t *testing.T) {
	fb, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &countingBucket{Bucket: fb, puts: map[string]int{}}
	t0 := time.Date(2026, 11, 20, 9, 50, 0, 0, time.UTC)
	c := NewStepClock(t0)
	f, err := New(Config{Store: b, Clusters: 1, Nodes: 3, Pods: 30, Clock: c, Duration: 80 * time.Minute, NodeMetrics: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	for !f.Scripted() {
		select {
		case err := <-done:
			t.Fatalf("fleet stopped: %v", err)
		case <-ctx.Done():
			t.Fatal("fleet not ready")
		case <-time.After(10 * time.Millisecond):
		}
	}
	c.Advance(10*time.Minute, time.Second) // to 10:00
	before := b.snapshot()
	c.Advance(time.Hour, time.Second) // 10:00 to 11:00
	after := b.snapshot()
	c.Advance(10*time.Minute, time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for k, n := range after {
		got[k] = n - before[k]
	}
	t.Logf("PUTs from 10:00 to 11:00: %v", got)
	// current.json: a heartbeat every 3 min (the agent's default), plus
	// writes within 10 s of anomalies opening and resolving (the script
	// plays incidents).
	if n := got[lake.CurrentKey]; n < 19 || n > 20+2*got["anomalies"]*10 {
		t.Errorf("current.json: %d PUTs in the hour, want 20 and a few per anomaly transition", n)
	}
	// Aligned 20-minute flushes: 10:20, 10:40, 11:00; one checkpoint.
	for what, want := range map[string]int{"heartbeats": 3, "pods": 1 + 3, "leader.json": 0, "heartbeat.json": 0} {
		if n := got[what]; n < want-1 || n > want+1 {
			t.Errorf("%s: %d PUTs in the hour, want %d ± 1", what, n, want)
		}
	}
}
