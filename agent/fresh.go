package agent

import (
	"context"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// tailKeepalive is the longest a watched cluster's tail goes unrewritten
// when nothing changes, so its as_of still proves how current it is.
const tailKeepalive = 30 * time.Second

// freshness polls the cluster's control object, hands it to the executor
// of remote operations (agent/ops) and, while someone watches the cluster,
// publishes the writer's unflushed rows as the tail object
// (docs/lake.md, *Freshness*). An unwatched cluster costs one conditional
// GET per IdlePoll and writes nothing.
type freshness struct {
	mu        sync.Mutex
	watched   bool
	published bool      // a tail object of this term exists
	lastTail  time.Time // when it was last written
	seen      uint64    // r.changes at that time
	seenObjs  int64     // objects the writer had stored at that time
}

func (f *freshness) run(ctx context.Context, r *run) {
	p := control.Poller{Bucket: r.a.bucket, Cluster: r.cfg.Cluster}
	for {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		o, changed, err := p.Poll(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			r.a.recordError("store", err)
		}
		now := r.a.now()
		watched := o.Watched(now)
		f.mu.Lock()
		if watched != f.watched || changed {
			r.log.Debug("control object", "watched", watched, "watch_until", o.WatchUntil)
		}
		f.watched = watched
		f.mu.Unlock()
		if watched {
			f.maybePublish(ctx, r, now)
		} else {
			f.stop(ctx, r)
		}
		busy := false
		if r.ops != nil && err == nil {
			if herr := r.ops.Handle(ctx, o); herr != nil && ctx.Err() == nil {
				r.a.recordError("store", herr)
				r.log.Warn("remote operations: store error; retrying at the next poll", "error", herr)
			}
			busy = o.Busy() || r.ops.Busy()
		}
		// A queued or running command is polled for as fast as a watch:
		// someone waits for its result.
		interval := r.cfg.IdlePoll
		if watched || busy {
			interval = r.cfg.WatchedPoll
		}
		select {
		case <-ctx.Done():
			return
		case <-r.cfg.Clock.After(interval):
		}
	}
}

// Watched reports whether someone watches the cluster (as last polled).
func (f *freshness) Watched() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watched
}

// maybePublish writes the tail when rows changed and TailInterval has
// passed since the last one, at once for the first of a watch, and every
// tailKeepalive regardless.
func (f *freshness) maybePublish(ctx context.Context, r *run, now time.Time) {
	if !r.synced.Load() {
		return // counts are partial until the initial sync
	}
	changes, objs := r.changes.Load(), r.w.Stats().Objects
	f.mu.Lock()
	since := now.Sub(f.lastTail)
	due := !f.published || since >= tailKeepalive ||
		(since >= r.cfg.TailInterval && (changes != f.seen || objs != f.seenObjs))
	f.mu.Unlock()
	if !due {
		return
	}
	if err := r.publishTail(ctx); err != nil {
		if ctx.Err() == nil {
			r.a.recordError("store", err)
			r.log.Warn("cannot write the tail; will retry", "error", err)
		}
		return
	}
	f.mu.Lock()
	f.published, f.lastTail, f.seen, f.seenObjs = true, now, changes, objs
	f.mu.Unlock()
}

// stop deletes this term's tail: once the watch ends (or the agent
// stops) it would only go stale. Deleting costs nothing at S3 prices.
func (f *freshness) stop(ctx context.Context, r *run) {
	f.mu.Lock()
	published := f.published
	f.published = false
	f.mu.Unlock()
	if !published {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.a.bucket.Delete(dctx, lake.ClusterKey(r.cfg.Cluster, lake.TailKey)); err != nil {
		r.log.Warn("cannot delete the tail", "error", err)
	}
}

// publishTail writes the tail object: the writer's snapshot and the
// cluster's current state at the same moment.
func (r *run) publishTail(ctx context.Context) error {
	m, parts, err := r.w.Tail()
	if err != nil {
		return err
	}
	m.Instance = r.cfg.Instance
	cur := r.current()
	cur.SchemaVersion, cur.GeneratedAt = lake.CurrentSchemaVersion, m.AsOf
	hb := r.a.heartbeatState(r, m.AsOf)
	cur.Heartbeat = &hb
	m.Current = &cur
	data, err := lake.EncodeTail(m, parts)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = r.a.bucket.Put(pctx, lake.ClusterKey(r.cfg.Cluster, lake.TailKey), data, store.Condition{})
	return err
}
