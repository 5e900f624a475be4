// Package lease elects one writer per cluster through a small JSON object
// in the store (_sys/clusters/<id>/leader.json) updated only with
// conditional writes: create-only to take a free lease, compare-and-swap
// on the ETag to renew, take over or release it.
//
// Expiry is judged like client-go's leaderelection: a candidate never
// compares timestamps written by another machine's clock; it remembers
// when it first saw the record's current ETag and takes over only after
// the record has not changed for the lease duration by its own clock.
//
// A leader steps down only on evidence that another holder took over (a
// failed compare-and-swap, a record naming someone else). An unreachable
// store is not such evidence: the leader keeps collecting into its spool,
// which is what the spool is for. A candidate that can reach the store
// while the leader cannot will take over after the lease duration; when
// the old leader reconnects its renewal fails and it stops. Rows written
// by both during such a partition are duplicates, not corruption: every
// object is immutable and readers keep the latest row per object.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"k8s.io/utils/clock"

	"github.com/atlhyper/atlhyper/query/store"
)

// ErrLost is returned by Run when another holder took the lease.
var ErrLost = errors.New("leader lease lost")

// SchemaVersion of Record.
const SchemaVersion = 1

// Record is the content of leader.json.
type Record struct {
	SchemaVersion int    `json:"schema_version"`
	Holder        string `json:"holder"` // "" when released
	// AcquiredAt and RenewedAt are the holder's clock, for people; no
	// candidate decides anything from them.
	AcquiredAt      time.Time `json:"acquired_at"`
	RenewedAt       time.Time `json:"renewed_at"`
	DurationSeconds float64   `json:"duration_seconds"`
	Transitions     int       `json:"transitions"`
}

// Config configures an elector.
type Config struct {
	Bucket   store.Bucket
	Key      string // e.g. lake.ClusterKey(id, "leader.json")
	Identity string // unique per process
	// Duration is how long a record may stay unchanged before a candidate
	// takes over (default 90 s); the leader renews every RenewInterval
	// (default Duration/3) and a candidate polls as often, with
	// conditional GETs.
	Duration      time.Duration
	RenewInterval time.Duration
	Clock         clock.WithTicker
	Logger        *slog.Logger
	// OnChange, if set, is called with true on becoming leader and false
	// on ceasing to be.
	OnChange func(leader bool)
}

type elector struct {
	cfg Config
	log *slog.Logger

	etag       string // of the record as last seen or written
	record     Record
	observedAt time.Time // when etag was first seen (candidate's clock)
}

// Run waits to acquire the lease, then runs lead with a context that is
// cancelled if the lease is lost, renewing until lead returns; then it
// releases the lease so a successor need not wait for it to expire. It
// returns ErrLost if the lease was lost, ctx.Err() if ctx ended before the
// lease was acquired, and nil otherwise.
func Run(ctx context.Context, cfg Config, lead func(ctx context.Context)) error {
	if cfg.Duration <= 0 {
		cfg.Duration = 90 * time.Second
	}
	if cfg.RenewInterval <= 0 {
		cfg.RenewInterval = cfg.Duration / 3
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Identity == "" || cfg.Key == "" || cfg.Bucket == nil {
		return errors.New("lease: identity, key and bucket are required")
	}
	e := &elector{cfg: cfg, log: cfg.Logger.With("lease", cfg.Key, "identity", cfg.Identity)}
	if err := e.acquire(ctx); err != nil {
		return err
	}
	e.log.Info("acquired leader lease", "transitions", e.record.Transitions)
	if cfg.OnChange != nil {
		cfg.OnChange(true)
	}
	defer func() {
		if cfg.OnChange != nil {
			cfg.OnChange(false)
		}
	}()

	leadCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leadCtx)
	}()
	// Renew until lead returns, also while it shuts down after ctx ended:
	// its final flush happens under the lease.
	bg := context.WithoutCancel(ctx)
	tick := cfg.Clock.NewTicker(cfg.RenewInterval)
	defer tick.Stop()
	lost := false
	for {
		select {
		case <-done:
			if lost {
				return ErrLost
			}
			e.release(bg)
			return nil
		case <-tick.C():
			if lost {
				continue
			}
			if err := e.renew(bg); errors.Is(err, ErrLost) {
				e.log.Error("leader lease lost; stopping", "error", err)
				lost = true
				cancel(ErrLost)
			} else if err != nil {
				e.log.Warn("leader lease renewal failed; still leading, retrying", "error", err)
			}
		}
	}
}

func (e *elector) acquire(ctx context.Context) error {
	waiting := false
	for {
		ok, err := e.tryAcquire(ctx)
		if ok {
			return nil
		}
		if err != nil {
			e.log.Warn("leader lease: cannot reach store", "error", err)
		} else if !waiting {
			e.log.Info("standing by: another agent holds the leader lease", "holder", e.record.Holder)
			waiting = true
		}
		// Poll a little faster than the leader renews, with jitter so
		// candidates do not move in step.
		d := time.Duration(float64(e.cfg.RenewInterval) * (0.5 + rand.Float64()/2))
		t := e.cfg.Clock.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

func (e *elector) tryAcquire(ctx context.Context) (bool, error) {
	now := e.cfg.Clock.Now()
	data, info, err := e.cfg.Bucket.Get(ctx, e.cfg.Key, e.etag)
	switch {
	case store.IsNotFound(err):
		return e.write(ctx, store.IfAbsent, Record{Transitions: 1}, now)
	case store.IsNotModified(err):
		// unchanged since we looked
	case err != nil:
		return false, err
	default:
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			// A record nobody can read protects nothing: take it over,
			// still by compare-and-swap.
			e.log.Error("leader lease unreadable; replacing it", "error", err)
			r = Record{}
		}
		if info.ETag != e.etag {
			e.etag, e.record, e.observedAt = info.ETag, r, now
		}
	}
	r := e.record
	switch {
	case r.Holder == e.cfg.Identity, r.Holder == "":
	case now.Sub(e.observedAt) < e.cfg.Duration:
		return false, nil
	default:
		e.log.Info("leader lease expired; taking over", "previous_holder", r.Holder,
			"unchanged_for", now.Sub(e.observedAt).Round(time.Second))
	}
	return e.write(ctx, store.IfMatch(e.etag), Record{Transitions: r.Transitions + 1}, now)
}

// write puts a record naming us; a precondition failure means someone
// else was faster.
func (e *elector) write(ctx context.Context, cond store.Condition, r Record, now time.Time) (bool, error) {
	r.SchemaVersion, r.Holder, r.AcquiredAt, r.RenewedAt = SchemaVersion, e.cfg.Identity, now.UTC(), now.UTC()
	r.DurationSeconds = e.cfg.Duration.Seconds()
	data, _ := json.Marshal(r)
	info, err := e.cfg.Bucket.Put(ctx, e.cfg.Key, data, cond)
	if store.IsPreconditionFailed(err) {
		e.etag = "" // re-read next time
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e.etag, e.record, e.observedAt = info.ETag, r, now
	return true, nil
}

func (e *elector) renew(ctx context.Context) error {
	now := e.cfg.Clock.Now()
	r := e.record
	r.RenewedAt = now.UTC()
	data, _ := json.Marshal(r)
	rctx, cancel := context.WithTimeout(ctx, e.cfg.RenewInterval)
	defer cancel()
	info, err := e.cfg.Bucket.Put(rctx, e.cfg.Key, data, store.IfMatch(e.etag))
	if store.IsPreconditionFailed(err) || store.IsNotFound(err) {
		// Confirm: a lost response to our own earlier write would also
		// change the ETag, but then the record still names us.
		cur, curInfo, gerr := e.cfg.Bucket.Get(rctx, e.cfg.Key, "")
		if gerr == nil {
			var c Record
			if json.Unmarshal(cur, &c) == nil && c.Holder == e.cfg.Identity {
				e.etag, e.record = curInfo.ETag, c
				return nil
			}
			return fmt.Errorf("%w: now held by %q", ErrLost, c.Holder)
		}
		return fmt.Errorf("%w: %v", ErrLost, err)
	}
	if err != nil {
		return err
	}
	e.etag, e.record = info.ETag, r
	return nil
}

// release hands the lease back so a successor takes it at once.
func (e *elector) release(ctx context.Context) {
	r := e.record
	r.Holder, r.RenewedAt = "", e.cfg.Clock.Now().UTC()
	data, _ := json.Marshal(r)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := e.cfg.Bucket.Put(rctx, e.cfg.Key, data, store.IfMatch(e.etag)); err != nil {
		e.log.Warn("leader lease release failed; a successor waits for it to expire", "error", err)
		return
	}
	e.log.Info("released leader lease")
}
