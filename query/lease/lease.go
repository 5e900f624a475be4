// Package lease elects one holder for a key in the store — the agent of a
// cluster, the compactor of a cluster — through a small JSON object updated
// only with conditional writes: create-only to take a free lease,
// compare-and-swap on the ETag to renew, take over or release it.
//
// One semantics for every lease: a candidate never compares timestamps
// written by another machine's clock. It takes over a held lease only after
// it has itself observed the same record (ETag) unchanged for the lease
// duration. A daemon keeps that observation in memory while it stands by;
// a one-shot job (a scheduled function) keeps it in its own status object
// between runs (Acquire's Observation), so a crashed holder's lease is taken
// over by a later run, never sooner than the duration after it was first
// seen unchanged.
//
// A holder steps down only on evidence that another took over (a failed
// compare-and-swap and a record naming someone else). An unreachable store
// is not such evidence. During a partition both may work: their writes must
// be duplicates, not corruption (lake objects are immutable and readers keep
// the latest row per object).
//
// The lease's object may carry a payload: the holder publishes a JSON object
// and the lease goes into its "lease" field. The agent uses this to make one
// write serve as lease renewal, heartbeat and cluster state.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/query/store"
)

var (
	// ErrLost is returned when another holder took the lease.
	ErrLost = errors.New("lease lost")
	// ErrHeld is returned by Acquire while another holder's lease stands.
	ErrHeld = errors.New("lease held by another holder")
)

// Record is the lease, in the "lease" field of its object.
type Record struct {
	Holder string `json:"holder"` // "" when released
	// AcquiredAt and RenewedAt are the holder's clock, for people; no
	// candidate decides anything from them.
	AcquiredAt      time.Time `json:"acquired_at"`
	RenewedAt       time.Time `json:"renewed_at"`
	DurationSeconds float64   `json:"duration_seconds"`
	Transitions     int       `json:"transitions"`
}

// Read extracts the lease from an object's content.
func Read(data []byte) (Record, error) {
	var doc struct {
		Lease *Record `json:"lease"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Record{}, err
	}
	if doc.Lease == nil {
		return Record{}, errors.New("no lease field")
	}
	return *doc.Lease, nil
}

// Clock is what the lease needs of time (k8s.io/utils/clock.Clock fits).
type Clock interface {
	Now() time.Time
	After(time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures a lease.
type Config struct {
	Bucket   store.Bucket
	Key      string
	Identity string // unique per process
	// Duration is how long a record must stay unchanged before a candidate
	// takes over (default 90 s). Run renews every RenewInterval (default
	// Duration/3) and, standing by, polls every PollInterval (default
	// RenewInterval/2, jittered), with conditional GETs.
	Duration      time.Duration
	RenewInterval time.Duration
	PollInterval  time.Duration
	// Payload, if set, returns the JSON object published with every
	// renewal, Publish and Release; the lease goes into its "lease" field.
	// It is called once per write. Taking the lease writes no payload.
	Payload func(ctx context.Context) (json.RawMessage, error)
	// Unconditional skips the election: the holder writes with plain PUTs
	// and never steps down (one replica by configuration).
	Unconditional bool
	Clock         Clock
	Logger        *slog.Logger
	// OnChange, if set, is called with true on becoming holder and false
	// on ceasing to be.
	OnChange func(holder bool)
}

func (c *Config) defaults() error {
	if c.Identity == "" || c.Key == "" || c.Bucket == nil {
		return errors.New("lease: identity, key and bucket are required")
	}
	if c.Duration <= 0 {
		c.Duration = 90 * time.Second
	}
	if c.RenewInterval <= 0 {
		c.RenewInterval = c.Duration / 3
	}
	if c.PollInterval <= 0 {
		c.PollInterval = c.RenewInterval / 2
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Observation is what a candidate saw of a held lease: the record's ETag
// and when the candidate first saw it, by its own clock.
type Observation struct {
	ETag string    `json:"etag,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Lease is a held lease.
type Lease struct {
	cfg Config
	log *slog.Logger

	prev []byte // the object's content when the lease was taken

	mu        sync.Mutex
	etag      string
	record    Record
	published time.Time // when the lease was last written (our clock)
}

// Holder returns the identity holding the lease.
func (l *Lease) Holder() string { return l.cfg.Identity }

// Acquire tries once to take the lease. If another holder's record stands
// and obs (which may be nil) does not show it unchanged for the duration,
// it returns ErrHeld and updates obs for the next try. Taking the lease
// keeps the object's other fields (the previous holder's payload) until
// the new holder publishes; Previous returns them.
func Acquire(ctx context.Context, cfg Config, obs *Observation) (*Lease, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if obs == nil {
		obs = &Observation{}
	}
	l := &Lease{cfg: cfg, log: cfg.Logger.With("lease", cfg.Key, "identity", cfg.Identity)}
	data, info, err := cfg.Bucket.Get(ctx, cfg.Key, "")
	now := cfg.Clock.Now()
	switch {
	case store.IsNotFound(err):
		return l, l.take(ctx, store.IfAbsent, Record{}, now)
	case err != nil:
		return nil, fmt.Errorf("lease %s: %w", cfg.Key, err)
	}
	r, rerr := Read(data)
	if rerr != nil {
		// A record nobody can read protects nothing: take it over, still
		// by compare-and-swap.
		l.log.Error("lease unreadable; replacing it", "error", rerr)
		r = Record{}
	} else {
		l.prev = data
	}
	if info.ETag != obs.ETag {
		*obs = Observation{ETag: info.ETag, At: now}
	}
	switch {
	case cfg.Unconditional, r.Holder == cfg.Identity, r.Holder == "":
	case now.Sub(obs.At) < cfg.Duration:
		return nil, fmt.Errorf("lease %s: %w (%s, unchanged for %s of %s)", cfg.Key, ErrHeld, r.Holder,
			now.Sub(obs.At).Round(time.Second), cfg.Duration)
	default:
		l.log.Info("lease expired; taking over", "previous_holder", r.Holder, "unchanged_for", now.Sub(obs.At).Round(time.Second))
	}
	return l, l.take(ctx, store.IfMatch(info.ETag), r, now)
}

// Previous is the object's content found when the lease was taken (nil if
// there was none): the previous holder's last payload.
func (l *Lease) Previous() []byte { return l.prev }

func (l *Lease) take(ctx context.Context, cond store.Condition, prev Record, now time.Time) error {
	if l.cfg.Unconditional {
		cond = store.Condition{}
	}
	r := Record{Holder: l.cfg.Identity, AcquiredAt: now.UTC(), RenewedAt: now.UTC(),
		DurationSeconds: l.cfg.Duration.Seconds(), Transitions: prev.Transitions + 1}
	data, err := merge(l.prev, r)
	if err != nil {
		return err
	}
	info, err := l.cfg.Bucket.Put(ctx, l.cfg.Key, data, cond)
	if store.IsPreconditionFailed(err) {
		return fmt.Errorf("lease %s: %w (lost a race)", l.cfg.Key, ErrHeld)
	}
	if err != nil {
		return fmt.Errorf("lease %s: %w", l.cfg.Key, err)
	}
	l.etag, l.record, l.published = info.ETag, r, now
	return nil
}

func (l *Lease) put(ctx context.Context, cond store.Condition, r Record, now time.Time) error {
	var payload []byte
	if l.cfg.Payload != nil {
		p, err := l.cfg.Payload(ctx)
		if err != nil {
			return fmt.Errorf("lease payload: %w", err)
		}
		payload = p
	}
	data, err := merge(payload, r)
	if err != nil {
		return err
	}
	info, err := l.cfg.Bucket.Put(ctx, l.cfg.Key, data, cond)
	if err != nil {
		return err
	}
	l.etag, l.record, l.published = info.ETag, r, now
	return nil
}

// merge sets the "lease" field of the JSON object payload (nil: {}).
func merge(payload []byte, r Record) ([]byte, error) {
	obj := map[string]json.RawMessage{}
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &obj); err != nil {
			return nil, fmt.Errorf("lease payload is not a JSON object: %w", err)
		}
	}
	lr, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	obj["lease"] = lr
	return json.Marshal(obj)
}

// Publish writes the payload now, renewing the lease. It returns an error
// wrapping ErrLost when another holder took over; any other error leaves
// the lease as it was (retry later).
func (l *Lease) Publish(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.record
	r.RenewedAt = l.cfg.Clock.Now().UTC()
	cond := store.IfMatch(l.etag)
	if l.cfg.Unconditional {
		cond = store.Condition{}
	}
	err := l.put(ctx, cond, r, l.cfg.Clock.Now())
	if !store.IsPreconditionFailed(err) && !store.IsNotFound(err) {
		return err
	}
	// Confirm: a lost response to our own earlier write also changes the
	// ETag, but then the record still names us.
	cur, info, gerr := l.cfg.Bucket.Get(ctx, l.cfg.Key, "")
	if gerr != nil {
		if store.IsNotFound(gerr) {
			return fmt.Errorf("%w: %s was deleted", ErrLost, l.cfg.Key)
		}
		return gerr
	}
	c, rerr := Read(cur)
	if rerr != nil || c.Holder != l.cfg.Identity {
		return fmt.Errorf("%w: now held by %q", ErrLost, c.Holder)
	}
	l.etag, l.record = info.ETag, c
	return l.put(ctx, store.IfMatch(l.etag), r, l.cfg.Clock.Now())
}

// SincePublished is how long ago the lease was last written.
func (l *Lease) SincePublished() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg.Clock.Now().Sub(l.published)
}

// Release hands the lease back (with a last payload) so a successor takes
// it at once.
func (l *Lease) Release(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.record
	r.Holder, r.RenewedAt = "", l.cfg.Clock.Now().UTC()
	cond := store.IfMatch(l.etag)
	if l.cfg.Unconditional {
		cond = store.Condition{}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := l.put(rctx, cond, r, l.cfg.Clock.Now()); err != nil {
		l.log.Warn("lease release failed; a successor waits for it to expire", "error", err)
		return
	}
	l.log.Info("released lease")
}

// Run waits to acquire the lease, polling as a standby, then runs lead with
// a context cancelled if the lease is lost, renewing every RenewInterval
// (unless lead published more recently) until lead returns; then it
// releases the lease. It returns ErrLost if the lease was lost, ctx.Err()
// if ctx ended before the lease was acquired, and nil otherwise.
func Run(ctx context.Context, cfg Config, lead func(ctx context.Context, l *Lease)) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	log := cfg.Logger.With("lease", cfg.Key, "identity", cfg.Identity)
	var obs Observation
	var l *Lease
	waiting := false
	for {
		var err error
		if l, err = Acquire(ctx, cfg, &obs); err == nil {
			break
		}
		switch {
		case errors.Is(err, ErrHeld):
			if !waiting {
				log.Info("standing by: another holds the lease", "detail", err.Error())
				waiting = true
			}
		default:
			log.Warn("lease: cannot reach store", "error", err)
		}
		d := time.Duration(float64(cfg.PollInterval) * (0.75 + rand.Float64()/2))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-cfg.Clock.After(d):
		}
	}
	log.Info("acquired lease", "transitions", l.record.Transitions)
	if cfg.OnChange != nil {
		cfg.OnChange(true)
		defer cfg.OnChange(false)
	}
	leadCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leadCtx, l)
	}()
	// Renew until lead returns, also while it shuts down after ctx ended:
	// its final flush happens under the lease.
	bg := context.WithoutCancel(ctx)
	lost := false
	var retry time.Duration // after a failed renewal
	for {
		wait := max(cfg.RenewInterval-l.SincePublished(), retry, time.Second)
		select {
		case <-done:
			if lost {
				return ErrLost
			}
			l.Release(bg)
			return nil
		case <-cfg.Clock.After(wait):
		}
		if lost || l.SincePublished() < cfg.RenewInterval {
			continue
		}
		rctx, rcancel := context.WithTimeout(bg, cfg.RenewInterval)
		err := l.Publish(rctx)
		rcancel()
		retry = 0
		switch {
		case errors.Is(err, ErrLost):
			log.Error("lease lost; stopping", "error", err)
			lost = true
			cancel(ErrLost)
		case err != nil:
			retry = cfg.RenewInterval / 6
			log.Warn("lease renewal failed; still holding, retrying", "error", err, "retry_in", retry)
		}
	}
}
