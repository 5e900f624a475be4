// Package push delivers a collector's scrapes to its agent.
//
// Scrapes wait in a bounded in-memory queue (the backlog) until the agent
// has acknowledged them. When the agent is unreachable the queue fills, and
// past its bound the oldest scrapes are dropped and counted, so a long
// outage costs the oldest data and never the collector's memory. Sends
// retry with exponential backoff and jitter; every scrape keeps the
// sequence number it was given when queued, so a retried push is
// recognisable and the agent can refuse a replay.
//
// The queue lives only in memory: a collector restart loses what was not
// yet delivered (the agent, not the collector, spools to disk).
package push

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/internal/backoff"
)

// Config configures a Pusher.
type Config struct {
	URL      string // the agent's ingest endpoint
	Token    string // shared bearer token
	Node     string
	Instance string        // unique per collector process; see NewInstance
	Interval time.Duration // sampling interval, told to the agent

	Backlog  int // scrapes kept while the agent is unreachable
	MaxBatch int // scrapes per request

	Client       *http.Client
	MinBackoff   time.Duration
	MaxBackoff   time.Duration
	FlushTimeout time.Duration // for the last send at shutdown
	Logger       *slog.Logger
}

// Defaults: 2 h of backlog at 15 s (about 3 MB for a typical node) and
// 10 minutes of scrapes per request once the agent is back.
const (
	DefaultBacklog  = 480
	DefaultMaxBatch = 40
)

// Stats are the pusher's counters.
type Stats struct {
	Queued   int    // scrapes waiting
	Sent     uint64 // scrapes the agent accepted
	Dropped  uint64 // oldest scrapes dropped because the backlog was full
	Rejected uint64 // scrapes the agent refused as invalid (never retried)
	Replayed uint64 // scrapes the agent already had (an acknowledgement was lost)
	Failures uint64 // failed send attempts
}

type scrape struct {
	seq     uint64
	ts      int64 // unix ms
	samples []payload.Sample
}

// Pusher queues scrapes and sends them. Add may be called from any
// goroutine; Run runs once.
type Pusher struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	queue   []scrape
	nextSeq uint64
	stats   Stats
	wake    chan struct{}

	batch int // current batch size; halves on 413
	zw    *gzip.Writer
	buf   bytes.Buffer
}

// New validates cfg and returns a Pusher.
func New(cfg Config) (*Pusher, error) {
	if cfg.URL == "" {
		return nil, errors.New("push: agent URL is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("push: token is required")
	}
	if err := payload.ValidNode(cfg.Node); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	if cfg.Instance == "" {
		cfg.Instance = NewInstance()
	}
	if cfg.Interval < time.Second {
		return nil, fmt.Errorf("push: interval %s is below 1s", cfg.Interval)
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultBacklog
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Minute, cfg.MinBackoff)
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Pusher{
		cfg: cfg, log: cfg.Logger, nextSeq: 1, wake: make(chan struct{}, 1),
		batch: cfg.MaxBatch, zw: gzip.NewWriter(io.Discard),
	}, nil
}

// NewInstance returns a random instance id for one collector process.
func NewInstance() string {
	return fmt.Sprintf("%016x", rand.Uint64())
}

// Add queues one scrape taken at ts.
func (p *Pusher) Add(ts time.Time, samples []payload.Sample) {
	p.mu.Lock()
	if len(p.queue) >= p.cfg.Backlog {
		n := len(p.queue) - p.cfg.Backlog + 1
		p.stats.Dropped += uint64(n)
		// Copy down rather than reslice, so the dropped scrapes' memory is
		// released instead of pinned by the backing array.
		p.queue = append(p.queue[:0], p.queue[n:]...)
		if p.stats.Dropped == uint64(n) || p.stats.Dropped%100 == 0 {
			p.log.Warn("backlog full, dropping oldest scrapes", "backlog", p.cfg.Backlog, "dropped_total", p.stats.Dropped)
		}
	}
	p.queue = append(p.queue, scrape{seq: p.nextSeq, ts: ts.UnixMilli(), samples: samples})
	p.nextSeq++
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the counters.
func (p *Pusher) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Queued = len(p.queue)
	return s
}

// Run sends queued scrapes until ctx ends, then makes one last attempt,
// bounded by FlushTimeout, to deliver what is left.
func (p *Pusher) Run(ctx context.Context) {
	wait, failures := time.Duration(0), 0
	for ctx.Err() == nil {
		switch {
		case wait > 0:
			sleep(ctx, wait)
			if ctx.Err() != nil {
				continue
			}
		case p.Stats().Queued == 0:
			select {
			case <-ctx.Done():
				continue
			case <-p.wake:
			}
		}
		retry, asked := p.sendOnce(ctx)
		switch {
		case !retry:
			wait, failures = 0, 0
		case asked > 0:
			wait = asked
		default:
			wait = p.delay(failures)
			failures++
		}
	}
	if p.Stats().Queued == 0 {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.FlushTimeout)
	defer cancel()
	for p.Stats().Queued > 0 && fctx.Err() == nil {
		if retry, _ := p.sendOnce(fctx); retry {
			break
		}
	}
	if s := p.Stats(); s.Queued > 0 {
		p.log.Warn("shutting down with undelivered scrapes", "queued", s.Queued)
	}
}

// delay is the wait after the given number of failures in a row: from
// MinBackoff doubling to MaxBackoff, with jitter (internal/backoff), so
// collectors that lost the agent together do not all come back at once.
func (p *Pusher) delay(failures int) time.Duration {
	return backoff.Backoff{Min: p.cfg.MinBackoff, Max: p.cfg.MaxBackoff}.Delay(failures)
}

// sendOnce sends the oldest batch. retry reports a failure worth retrying
// later (wait > 0 when the agent said how long); otherwise the queue moved
// on (sent, already had, or refused for good).
func (p *Pusher) sendOnce(ctx context.Context) (retry bool, wait time.Duration) {
	p.mu.Lock()
	n := min(len(p.queue), p.batch)
	if n == 0 {
		p.mu.Unlock()
		return false, 0
	}
	batch := append([]scrape(nil), p.queue[:n]...)
	p.mu.Unlock()

	pl := payload.Payload{
		Node: p.cfg.Node, Instance: p.cfg.Instance, Seq: batch[0].seq,
		IntervalMS: p.cfg.Interval.Milliseconds(), Scrapes: make([]payload.Scrape, n),
	}
	for i, s := range batch {
		pl.Scrapes[i] = payload.Scrape{TSMillis: s.ts, Samples: s.samples}
	}
	// Scrapes dropped from the front while the agent was away leave the
	// queue's seqs consecutive from its head, which the payload relies on.
	last := batch[n-1].seq
	res, err := p.post(ctx, &pl)
	if err != nil {
		p.fail()
		if ctx.Err() == nil {
			p.log.Warn("push failed", "err", err, "queued", p.Stats().Queued)
		}
		return true, 0
	}
	switch {
	case res.status/100 == 2:
		p.done(func(s scrape) bool { return s.seq <= last }, &p.stats.Sent)
		p.batch = p.cfg.MaxBatch
		return false, 0
	case res.status == http.StatusConflict:
		// The agent already has some of these (our acknowledgement was
		// lost) or has newer data for this node: drop what it has.
		lastSeq, lastTS := res.LastSeq, res.LastTS
		if lastSeq == 0 && lastTS == 0 {
			lastSeq = last // no detail: the whole batch is a replay
		}
		p.log.Info("agent already has scrapes, skipping them", "err", res.Error, "last_seq", lastSeq, "last_ts_ms", lastTS)
		p.done(func(s scrape) bool { return s.seq <= lastSeq || s.ts <= lastTS }, &p.stats.Replayed)
		return false, 0
	case res.status == http.StatusRequestEntityTooLarge && n > 1:
		p.batch = max(1, n/2)
		p.log.Info("agent refused batch as too large, halving", "scrapes", n)
		return false, 0
	case res.status == http.StatusBadRequest || res.status == http.StatusUnprocessableEntity ||
		res.status == http.StatusRequestEntityTooLarge || res.status == http.StatusUnsupportedMediaType:
		// Retrying the same bytes cannot succeed; keeping them would stop
		// every later scrape behind them.
		p.log.Error("agent rejected scrapes, dropping them", "status", res.status, "err", res.Error, "scrapes", n)
		p.done(func(s scrape) bool { return s.seq <= last }, &p.stats.Rejected)
		return false, 0
	default:
		// 401/403 (token being rotated), 429, 5xx: the data is fine, the
		// agent is not ready for it.
		p.fail()
		p.log.Warn("agent not accepting scrapes", "status", res.status, "err", res.Error, "queued", p.Stats().Queued)
		return true, res.retryAfter
	}
}

func (p *Pusher) fail() {
	p.mu.Lock()
	p.stats.Failures++
	p.mu.Unlock()
}

// done removes queued scrapes that match from the front of the queue and
// counts them.
func (p *Pusher) done(match func(scrape) bool, counter *uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := 0
	for k < len(p.queue) && match(p.queue[k]) {
		k++
	}
	*counter += uint64(k)
	p.queue = append(p.queue[:0], p.queue[k:]...)
}

// response is the agent's answer.
type response struct {
	status     int
	retryAfter time.Duration
	Error      string `json:"error"`
	LastSeq    uint64 `json:"last_seq"`
	LastTS     int64  `json:"last_ts_ms"`
}

func (p *Pusher) post(ctx context.Context, pl *payload.Payload) (*response, error) {
	p.buf.Reset()
	if err := payload.Encode(&p.buf, p.zw, pl); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(p.buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	req.Header.Set("Content-Type", payload.ContentType)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("User-Agent", "atlhyper-collector")
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", p.cfg.URL, err)
	}
	defer resp.Body.Close()
	res := &response{status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(body, res) // best effort: a proxy's HTML error page has no detail
	if res.Error == "" && resp.StatusCode/100 != 2 {
		res.Error = http.StatusText(resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		res.retryAfter = min(time.Duration(s)*time.Second, p.cfg.MaxBackoff)
	}
	return res, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
