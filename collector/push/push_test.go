package push

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/query/lake"
)

// agent is the real ingest handler behind a switch that can make it
// unreachable or lose its replies.
type agent struct {
	t       *testing.T
	srv     *httptest.Server
	h       *ingest.Handler
	down    atomic.Bool  // answer 503 without looking
	loseAck atomic.Int32 // process the next n pushes but answer 502
	mu      sync.Mutex
	rows    []lake.NodeMetric
	calls   int
}

const testSecret = "push-test-ingest-secret-0123"

func newAgent(t *testing.T, edit func(*ingest.Config)) *agent {
	a := &agent{t: t}
	cfg := ingest.Config{Secret: testSecret, Logger: slog.New(slog.DiscardHandler), Sink: func(_ context.Context, rows []lake.NodeMetric) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.rows = append(a.rows, rows...)
		a.calls++
		return nil
	}}
	if edit != nil {
		edit(&cfg)
	}
	h, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.h = h
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.down.Load() {
			http.Error(w, `{"error":"agent starting"}`, http.StatusServiceUnavailable)
			return
		}
		if a.loseAck.Load() > 0 {
			a.loseAck.Add(-1)
			h.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// timestamps returns the distinct sample times the agent stored, in order
// of arrival.
func (a *agent) timestamps() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int64
	for _, r := range a.rows {
		ms := r.TS.UnixMilli()
		if len(out) == 0 || out[len(out)-1] != ms {
			out = append(out, ms)
		}
	}
	return out
}

func newPusher(t *testing.T, a *agent, edit func(*Config)) *Pusher {
	cfg := Config{
		URL: a.srv.URL, Token: nodetoken.Make(testSecret, "node-a"), Node: "node-a", Instance: "inst", Interval: 15 * time.Second,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var base = time.Now().Truncate(15 * time.Second).Add(-time.Hour)

func scrapeAt(i int) (time.Time, []payload.Sample) {
	return base.Add(time.Duration(i) * 15 * time.Second), []payload.Sample{
		{Metric: "cpu.user_pct", Value: float64(i)},
		{Metric: "mem.used_bytes", Value: 1e9},
	}
}

func run(t *testing.T, p *Pusher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func wantTimestamps(t *testing.T, got []int64, from, to int) {
	t.Helper()
	if len(got) != to-from+1 {
		t.Fatalf("agent has %d scrapes, want %d (%d..%d)", len(got), to-from+1, from, to)
	}
	for i, ms := range got {
		ts, _ := scrapeAt(from + i)
		if ms != ts.UnixMilli() {
			t.Fatalf("scrape %d at %d, want %d", i, ms, ts.UnixMilli())
		}
	}
}

func TestDelivers(t *testing.T) {
	a := newAgent(t, nil)
	p := newPusher(t, a, nil)
	stop := run(t, p)
	for i := range 5 {
		p.Add(scrapeAt(i))
		waitFor(t, "delivery", func() bool { return p.Stats().Sent == uint64(i+1) })
	}
	stop()
	wantTimestamps(t, a.timestamps(), 0, 4)
	n := a.h.Nodes(time.Now())[0]
	if n.Node != "node-a" || n.Instance != "inst" || n.LastSeq != 5 || n.Interval != 15*time.Second {
		t.Fatalf("agent sees %+v", n)
	}
}

// TestBacklog: while the agent is down the queue holds the newest Backlog
// scrapes; when it is back they arrive, in order, once.
func TestBacklog(t *testing.T) {
	a := newAgent(t, nil)
	a.down.Store(true)
	p := newPusher(t, a, func(c *Config) { c.Backlog = 10; c.MaxBatch = 4 })
	stop := run(t, p)
	for i := range 25 {
		p.Add(scrapeAt(i))
	}
	waitFor(t, "failed attempts", func() bool { return p.Stats().Failures >= 3 })
	if s := p.Stats(); s.Queued != 10 || s.Dropped != 15 || s.Sent != 0 {
		t.Fatalf("while down: %+v", s)
	}
	a.down.Store(false)
	waitFor(t, "catch-up", func() bool { return p.Stats().Queued == 0 })
	stop()
	wantTimestamps(t, a.timestamps(), 15, 24)
	if s := p.Stats(); s.Sent != 10 || s.Dropped != 15 {
		t.Fatalf("after: %+v", s)
	}
	if a.calls != 3 { // 4 + 4 + 2 scrapes
		t.Fatalf("%d pushes, want 3 batches", a.calls)
	}
}

// TestLostAcknowledgement: the agent stored a push but the reply was lost;
// the retry is refused as a replay and the collector moves on without
// duplicating anything.
func TestLostAcknowledgement(t *testing.T) {
	a := newAgent(t, nil)
	p := newPusher(t, a, nil)
	a.loseAck.Store(1)
	for i := range 3 {
		p.Add(scrapeAt(i))
	}
	stop := run(t, p)
	waitFor(t, "replay handled", func() bool { return p.Stats().Queued == 0 })
	p.Add(scrapeAt(3))
	waitFor(t, "next push", func() bool { return p.Stats().Sent == 1 })
	stop()
	wantTimestamps(t, a.timestamps(), 0, 3)
	if s := p.Stats(); s.Replayed != 3 {
		t.Fatalf("stats %+v, want 3 replayed", s)
	}
}

// TestPartialReplay: after a lost reply more scrapes were queued; the
// agent's 409 says how far it got and only the rest is sent.
func TestPartialReplay(t *testing.T) {
	a := newAgent(t, nil)
	a.loseAck.Store(1)
	p := newPusher(t, a, func(c *Config) { c.MinBackoff, c.MaxBackoff = 200*time.Millisecond, 200*time.Millisecond })
	for i := range 2 {
		p.Add(scrapeAt(i))
	}
	stop := run(t, p)
	waitFor(t, "first attempt", func() bool { return p.Stats().Failures == 1 })
	p.Add(scrapeAt(2)) // queued during the backoff: the retry holds 0, 1, 2
	waitFor(t, "catch-up", func() bool { return p.Stats().Queued == 0 })
	stop()
	wantTimestamps(t, a.timestamps(), 0, 2)
	if s := p.Stats(); s.Replayed != 2 || s.Sent != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestRejectedIsDropped: a scrape the agent refuses as invalid is dropped
// (retrying cannot help) and does not block the ones after it.
func TestRejectedIsDropped(t *testing.T) {
	a := newAgent(t, nil)
	p := newPusher(t, a, func(c *Config) { c.MaxBatch = 1 })
	p.Add(scrapeAt(0))
	ts, _ := scrapeAt(1)
	p.Add(ts, []payload.Sample{{Metric: "Bad Name", Value: 1}})
	p.Add(scrapeAt(2))
	stop := run(t, p)
	waitFor(t, "queue drained", func() bool { return p.Stats().Queued == 0 })
	stop()
	if s := p.Stats(); s.Sent != 2 || s.Rejected != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestTooLargeHalves: an agent with a small body limit makes the pusher
// halve its batches until they fit.
func TestTooLargeHalves(t *testing.T) {
	a := newAgent(t, func(c *ingest.Config) { c.MaxBodyBytes = 400 })
	p := newPusher(t, a, func(c *Config) { c.MaxBatch = 16 })
	for i := range 16 {
		p.Add(scrapeAt(i))
	}
	stop := run(t, p)
	waitFor(t, "queue drained", func() bool { return p.Stats().Queued == 0 })
	stop()
	wantTimestamps(t, a.timestamps(), 0, 15)
}

// TestFlushOnShutdown: scrapes queued when the context ends still go out.
func TestFlushOnShutdown(t *testing.T) {
	a := newAgent(t, nil)
	a.down.Store(true)
	p := newPusher(t, a, func(c *Config) { c.MinBackoff, c.MaxBackoff = time.Hour, time.Hour })
	stop := run(t, p)
	p.Add(scrapeAt(0))
	waitFor(t, "first failure", func() bool { return p.Stats().Failures == 1 })
	a.down.Store(false)
	stop() // cancels the hour-long backoff; the flush delivers
	if s := p.Stats(); s.Sent != 1 || s.Queued != 0 {
		t.Fatalf("after shutdown: %+v", s)
	}
}

func TestBackoff(t *testing.T) {
	p := &Pusher{cfg: Config{MinBackoff: time.Second, MaxBackoff: time.Minute}}
	var b time.Duration
	for failures := range 20 {
		b = p.delay(failures)
		if b < time.Second/2 || b > time.Minute {
			t.Fatalf("backoff %s out of range", b)
		}
	}
	if b < 30*time.Second {
		t.Fatalf("backoff did not grow to the cap: %s", b)
	}
}

func TestConfig(t *testing.T) {
	for name, c := range map[string]Config{
		"no url":      {Token: "t", Node: "n", Interval: time.Second},
		"no token":    {URL: "http://x", Node: "n", Interval: time.Second},
		"bad node":    {URL: "http://x", Token: "t", Node: "Bad_Node", Interval: time.Second},
		"short every": {URL: "http://x", Token: "t", Node: "n", Interval: time.Millisecond},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
