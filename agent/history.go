package agent

import (
	"context"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/lake"
)

// handle is the informers' single handler.
//
// What counts as a change: an add, a delete, or an update whose stored
// content differs — the detail JSON (which the typed row is derived from)
// minus metadata.resourceVersion, after the informer transforms removed
// what the lake never stores (managedFields, last-applied, node heartbeat
// times and image lists, HPA metric readings, leader-election
// annotations). So kubelet heartbeats, leader-election renewals and
// resourceVersion-only bumps cost nothing, while every change anyone
// could see in the lake is recorded.
//
// Objects of the initial list are not recorded one by one: the startup
// checkpoint records them all at one instant.
func (r *run) handle(ev watch.Event) {
	defer r.recoverHandler(ev)
	now := r.a.now()
	m := r.a.m
	m.events.WithLabelValues(ev.Kind, ev.Op).Inc()
	m.lastEvent.WithLabelValues(ev.Kind).Set(float64(now.UnixNano()) / 1e9)
	if ev.Kind == rows.KindEvent {
		r.handleEvent(ev, now)
		return
	}
	obj := ev.Obj.Object
	// The detail rides on the cached object until taken, here, whatever
	// becomes of the event: the cache must not keep it.
	detail := ev.Obj.TakeDetail()
	switch ev.Op {
	case watch.OpAdd, watch.OpUpdate:
		if !ev.Initial {
			if ev.Op == watch.OpUpdate && ev.Old != nil && ev.Old.Hash() == ev.Obj.Hash() {
				m.unchanged.WithLabelValues(ev.Kind).Inc()
				return
			}
			r.record(ev.Kind, ev.Op, ev.Obj, detail, now)
		}
		r.evaluate(ev.Kind, obj, false)
	case watch.OpDelete:
		if ev.Missed {
			// The informer relisted (its watch expired or broke) and found
			// the object gone: the delete time is when we learned it.
			m.missedDeletes.WithLabelValues(ev.Kind).Inc()
			r.log.Info("object deleted while the watch was interrupted; found by relist", "kind", ev.Kind,
				"namespace", obj.GetNamespace(), "name", obj.GetName())
		}
		r.record(ev.Kind, lake.OpDelete, ev.Obj, nil, now)
		r.evaluate(ev.Kind, obj, true)
	}
	r.changes.Add(1)
}

// record buffers the change row and, for adds and updates, the detail row.
func (r *run) record(kind, op string, c *watch.Object, data []byte, now time.Time) {
	meta := rows.Meta(c.Object, kind, op, now)
	var b rows.Batch
	if err := b.State(c.Object, meta, r.lookups(c)); err != nil {
		r.a.m.handleErrors.WithLabelValues(kind).Inc()
		r.log.Error("cannot convert object", "kind", kind, "error", err)
		return
	}
	if data != nil {
		b.Detail(meta, data)
	}
	b.AddTo(r.w)
	r.a.m.changes.WithLabelValues(kind, op).Inc()
}

var eventSeed = maphash.MakeSeed()

// handleEvent records an Event when it first appears and whenever it
// repeats (its count or last time changes), and feeds the event rules.
// Events in the initial list that the previous run already recorded (last
// seen before its saved high-water mark) are not recorded again.
func (r *run) handleEvent(ev watch.Event, now time.Time) {
	e, ok := ev.Obj.Object.(*corev1.Event)
	if !ok {
		return
	}
	if ev.Op == watch.OpDelete { // expired in the cluster; the lake keeps it
		r.mu.Lock()
		delete(r.eventSigs, e.UID)
		r.mu.Unlock()
		return
	}
	row := rows.Event(e)
	var h maphash.Hash
	h.SetSeed(eventSeed)
	fmt.Fprint(&h, row.Count, row.TS.UnixNano(), row.Message, row.Type, row.Reason)
	sig := h.Sum64()
	key := fmt.Sprintf("%s:%d", e.UID, row.Count)
	r.mu.Lock()
	prev, seen := r.eventSigs[e.UID]
	r.eventSigs[e.UID] = sig
	skip := seen && prev == sig
	if ev.Initial && !r.restoredHWM.IsZero() {
		skip = skip || row.TS.Before(r.restoredHWM) || (row.TS.Equal(r.restoredHWM) && r.restoredAt[key])
	}
	if !skip {
		switch {
		case row.TS.After(r.eventsHWM):
			r.eventsHWM, r.hwmKeys = row.TS, map[string]bool{key: true}
		case row.TS.Equal(r.eventsHWM):
			if r.hwmKeys == nil {
				r.hwmKeys = map[string]bool{}
			}
			r.hwmKeys[key] = true
		}
	}
	r.mu.Unlock()
	if skip {
		return
	}
	lake.Add(r.w, lake.Events, row)
	r.a.m.changes.WithLabelValues(rows.KindEvent, ev.Op).Inc()
	if obs := anomaly.Event(e); len(obs) > 0 {
		r.engine.Observe("Event/"+e.Namespace+"/"+e.Name, obs)
		r.changes.Add(1)
	}
}

// lookups gives conversions of c what they need beyond the object.
func (r *run) lookups(c *watch.Object) rows.Lookups {
	return rows.Lookups{PodResources: c.PodResources(), CronJobLastStatus: func(cj *batchv1.CronJob) string {
		if j := anomaly.LastFinishedJob(r.jobsOf(cj)); j != nil {
			return rows.JobStatus(j)
		}
		return ""
	}}
}

func (r *run) jobsOf(c *batchv1.CronJob) []*batchv1.Job {
	var jobs []*batchv1.Job
	for _, o := range r.set.ByIndex(rows.KindJob, watch.IndexOwnerUID, string(c.UID)) {
		if j, ok := o.(*batchv1.Job); ok {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// checkpoint writes one row per watched object, all stamped ts, one object
// per state table (never half visible), and with details the JSON of
// every object (daily, and at start, so an object's detail outlives the
// retention of the change that last wrote it). State rows come from the
// cache; details from the API server, a page at a time (ListDetails).
func (r *run) checkpoint(ctx context.Context, details bool) (time.Time, error) {
	r.cpMu.Lock()
	defer r.cpMu.Unlock()
	if details {
		defer collectHarder()()
	}
	began := time.Now()
	ts := r.a.now()
	var b rows.Batch
	var errs []error
	for _, kind := range r.set.Watched() {
		if kind == rows.KindEvent {
			continue
		}
		for _, c := range r.set.Cached(kind) {
			if err := b.State(c.Object, rows.CheckpointMeta(c.Object, kind, ts), r.lookups(c)); err != nil {
				continue
			}
		}
	}
	if err := b.WriteNow(ctx, r.w); err != nil {
		errs = append(errs, err)
	}
	n := b.Len()
	b = rows.Batch{} // let the state rows go before the details come in
	if details {
		nd, err := r.checkpointDetails(ctx, ts)
		if err != nil {
			errs = append(errs, err)
		}
		n += nd
		r.detailsDay = lake.Day(ts)
	}
	r.lastCheckpoint = ts
	r.a.m.checkpoints.Inc()
	r.a.m.checkpointS.Observe(time.Since(began).Seconds())
	r.log.Info("checkpoint written", "ts", ts, "rows", n, "details", details,
		"took", time.Since(began).Round(time.Millisecond))
	// A checkpoint is the agent's one burst of allocation: hand the
	// memory back now rather than carry it to the next one (and, with
	// Config.Trim, the binary's pages only start-up and the burst touched).
	if r.cfg.Trim != nil {
		r.cfg.Trim()
	} else {
		debug.FreeOSMemory()
	}
	if len(errs) > 0 {
		err := fmt.Errorf("checkpoint %s: %w", ts.Format(time.RFC3339), errs[0])
		r.a.recordError("lake", err)
		return ts, err
	}
	return ts, nil
}

// detailPage is the LIST page size of checkpoint details: a page of 100
// whole pods is about a megabyte decoded; a daily checkpoint of 5,000
// pods costs 50 LISTs.
const detailPage = 100

// burstGCPercent is the GOGC of the agent's bursts of allocation — the
// initial sync and the checkpoints with details, which decode, encode
// and write every object: collecting at 1.2× the live heap instead of
// 1.5× keeps the peak RSS (what a memory limit must allow) near the
// steady state for a few seconds of extra GC work, once a day.
const burstGCPercent = 20

// collectHarder lowers GOGC to burstGCPercent (unless it is already lower
// or off) and returns what restores it.
func collectHarder() (restore func()) {
	prev := debug.SetGCPercent(burstGCPercent)
	if prev < 0 || prev <= burstGCPercent {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// checkpointDetails writes the detail of every object, from the API
// server, in objects of rows.DetailChunk rows.
func (r *run) checkpointDetails(ctx context.Context, ts time.Time) (int, error) {
	var d rows.Batch
	n := 0
	flush := func() error {
		if len(d.Details) == 0 {
			return nil
		}
		n += len(d.Details)
		err := lake.WriteNow(ctx, r.w, lake.Details, d.Details)
		d.Reset()
		// Each chunk's pages of objects, JSON and Parquet are garbage
		// now: return them before the next, rather than let the
		// scavenger trail the burst (a GC per 1,000 objects).
		debug.FreeOSMemory()
		return err
	}
	for _, kind := range r.set.Watched() {
		if kind == rows.KindEvent {
			continue
		}
		err := r.set.ListDetails(ctx, kind, detailPage, r.cfg.MaxDetailBytes, func(obj metav1.Object, data []byte) error {
			d.Detail(rows.CheckpointMeta(obj, kind, ts), data)
			if len(d.Details) >= rows.DetailChunk {
				return flush()
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("details of %s: %w", kind, err)
		}
	}
	return n, flush()
}
