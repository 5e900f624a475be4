package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
)

// run is one term as leader: informers, writer, anomaly engine and the
// loops that publish state and write checkpoints. Everything it starts it
// stops before lead returns.
type run struct {
	a      *Agent
	cfg    *Config
	log    *slog.Logger
	w      *lake.Writer
	engine *anomaly.Engine
	set    *watch.Set
	synced atomic.Bool
	lease  *lease.Lease
	// changes counts what a tail would show differently (rows, anomaly
	// and count changes); urgent asks for current.json within
	// StateInterval.
	changes atomic.Uint64
	urgent  atomic.Bool

	mu        sync.Mutex
	eventSigs map[types.UID]uint64
	// Events before restoredHWM, or at it and in restoredAt, were
	// recorded by an earlier run; eventsHWM is the newest event time
	// recorded and hwmKeys the events recorded at exactly that time
	// (event times have second resolution). stateHWM and stateKeys are
	// the mark as last saved in current.json.
	restoredHWM, eventsHWM time.Time
	restoredAt, hwmKeys    map[string]bool
	stateHWM               time.Time
	stateKeys              []string

	evalMu sync.Mutex // serialises rules that read several caches

	cpMu           sync.Mutex
	lastCheckpoint time.Time
	detailsDay     time.Time

	lastOpenDigest   atomic.Uint64 // urgentDigest of the last current.json
	pubMu            sync.Mutex
	lastPublished    time.Time // when current.json was last written by this run
	lastHeartbeatRow time.Time

	fresh freshness     // the watch and the tail (fresh.go)
	ops   *ops.Executor // remote operations; nil when off

	logq chan logJob
}

func (a *Agent) now() time.Time { return a.cfg.Clock.Now().UTC() }

// lead runs one term as leader until ctx ends, then shuts down in order:
// informers, log fetches, writer (flush); the lease then publishes the
// final state as it releases.
func (a *Agent) lead(ctx context.Context, l *lease.Lease) error {
	cfg := &a.cfg
	a.mu.Lock()
	a.prevState = l.Previous()
	a.mu.Unlock()
	r := &run{a: a, cfg: cfg, log: a.log, lease: l, eventSigs: map[types.UID]uint64{},
		logq: make(chan logJob, 256)}
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: cfg.Cluster, Writer: WriterName, Sink: a.sink,
		MaxRows: cfg.FlushRows, MaxAge: cfg.FlushAge, Align: true, Logger: a.log.With("component", "writer"), Now: a.now,
		NewTicker: func(d time.Duration) (<-chan time.Time, func()) { t := cfg.Clock.NewTicker(d); return t.C(), t.Stop },
		// A flush encodes every table's rows: hand that memory back
		// rather than carry it to the next flush.
		AfterFlush: cfg.Trim})
	if err != nil {
		return err
	}
	r.w = w
	if op := cfg.Operations; op != nil {
		r.ops, err = ops.New(ops.Config{Cluster: cfg.Cluster, Instance: cfg.Instance, Bucket: a.bucket, API: op.API,
			Keys: op.Keys, Allow: op.Allow, Lease: op.Lease, MaxLogBytes: op.MaxLogBytes, Now: a.now,
			Logger: a.log.With("component", "ops"),
			// Written at once, not batched: the entry leaves the control
			// object only once its row is stored.
			Archive: func(ctx context.Context, rows []lake.Command) error {
				return lake.WriteNow(ctx, w, lake.Commands, rows)
			}})
		if err != nil {
			return err
		}
	}
	r.engine = anomaly.New(anomaly.Config{Cluster: cfg.Cluster, Rules: cfg.AnomalyRules,
		UpdateInterval: cfg.AnomalyUpdateInterval, Now: a.now, Emit: r.emitAnomaly, Context: r.anomalyContext})
	r.restore(l.Previous())

	// Discovery needs the API server; retry until it answers.
	for attempt := 0; ; attempt++ {
		r.set, err = watch.New(ctx, watch.Config{Kube: cfg.Kube, Source: cfg.Source, Namespace: cfg.Namespace,
			Kinds: cfg.Kinds, SkipAccessCheck: cfg.SkipAccessCheck, Logger: a.log.With("component", "watch"),
			MaxDetailBytes: cfg.MaxDetailBytes,
			OnTruncated: func(kind string, obj metav1.Object, size int) {
				a.log.Warn("object detail too large; storing a stub", "kind", kind, "namespace", obj.GetNamespace(),
					"name", obj.GetName(), "bytes", size, "max", cfg.MaxDetailBytes)
			},
			OnLag: func(kind string, lag time.Duration) { a.m.lag.WithLabelValues(kind).Observe(max(lag, 0).Seconds()) },
			OnWatchError: func(kind string, err error) {
				a.m.watchErrors.WithLabelValues(kind).Inc()
				a.recordError("kube", fmt.Errorf("watch %s: %w", kind, err))
			}}, watch.HandlerFunc(r.handle))
		if err == nil {
			break
		}
		a.recordError("kube", err)
		d := min(time.Second<<min(attempt, 5), 30*time.Second)
		a.log.Warn("cannot discover the API; retrying", "error", err, "retry_in", d)
		select {
		case <-ctx.Done():
			return nil
		case <-a.cfg.Clock.After(d):
		}
	}
	// a.run stays set after lead returns: the lease's release publishes
	// this term's final state. current() hides it once the lease is gone.
	a.mu.Lock()
	a.run = r
	a.mu.Unlock()

	bg := context.WithoutCancel(ctx)
	infCtx, stopInformers := context.WithCancel(bg)
	defer stopInformers()
	r.set.Start(infCtx)

	var wg sync.WaitGroup
	writerCtx, stopWriter := context.WithCancel(bg)
	wg.Add(1)
	go func() { defer wg.Done(); w.Run(writerCtx) }()
	var logs sync.WaitGroup
	for range cfg.LogTail.Workers {
		logs.Add(1)
		go func() { defer logs.Done(); r.logWorker(bg) }()
	}
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); r.loop(loopCtx) }()
	freshDone := make(chan struct{})
	go func() { defer close(freshDone); r.fresh.run(loopCtx, r) }()

	<-ctx.Done()
	a.log.Info("shutting down: stopping informers, flushing")
	stopLoop()
	<-loopDone
	<-freshDone
	if r.ops != nil {
		// Running commands report (an interrupted change as failed)
		// before the writer closes.
		octx, cancel := context.WithTimeout(bg, 45*time.Second)
		r.ops.Stop(octx)
		cancel()
	}
	stopInformers()
	r.set.Wait()
	close(r.logq) // workers finish queued fetches (bounded by their timeout)
	logs.Wait()
	stopWriter()
	wg.Wait()
	fctx, cancel := context.WithTimeout(bg, 2*time.Minute)
	defer cancel()
	err = w.Close(fctx)
	if err != nil {
		a.recordError("lake", err)
	}
	r.fresh.stop(fctx, r)
	// The lease publishes the final state as it releases, once every
	// event row is written, so that its events mark covers them.
	return err
}

// loop waits for the initial sync, writes the startup checkpoint, then
// publishes state, ticks the anomaly engine, heartbeats and checkpoints.
func (r *run) loop(ctx context.Context) {
	endBurst := collectHarder() // until the startup checkpoint is written
	defer func() { endBurst() }()
	syncedCh := make(chan struct{})
	go func() {
		if r.set.WaitForSync(ctx) {
			close(syncedCh)
		}
	}()
	tick := r.cfg.Clock.NewTicker(r.cfg.StateInterval)
	defer tick.Stop()
	var nextCheckpoint time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-syncedCh:
			syncedCh = nil
			r.synced.Store(true)
			r.engine.Synced()
			r.log.Info("informers synced", "objects", r.set.Counts(), "skipped", len(r.set.Skipped()))
			ts, err := r.checkpoint(ctx, true)
			if err != nil {
				r.log.Error("startup checkpoint failed; rows are held for retry", "error", err)
			}
			nextCheckpoint = r.nextCheckpoint(ts)
			endBurst()
			endBurst = func() {}
			r.publish(ctx)
			continue
		case <-tick.C():
		}
		r.engine.Tick()
		r.tick(ctx)
		now := r.a.now()
		if r.synced.Load() && !now.Before(nextCheckpoint) {
			details := !r.detailsDay.Equal(lake.Day(now))
			ts, err := r.checkpoint(ctx, details)
			if err != nil {
				r.log.Error("checkpoint failed; rows are held for retry", "error", err)
			}
			nextCheckpoint = r.nextCheckpoint(ts)
		}
	}
}

// nextCheckpoint is the multiple of the interval (10:00, 11:00, …) after
// the checkpoint taken at last, so every hourly partition starts with a
// checkpoint and a reader needs only that hour's objects to rebuild any
// moment in it. A slow checkpoint delays the next one; it never skips it.
func (r *run) nextCheckpoint(last time.Time) time.Time {
	return last.Truncate(r.cfg.CheckpointInterval).Add(r.cfg.CheckpointInterval)
}

// persisted is current.json's agent_state: what a restarted agent needs to
// neither duplicate nor lose.
type persisted struct {
	SchemaVersion int       `json:"schema_version"`
	Instance      string    `json:"instance"`
	SavedAt       time.Time `json:"saved_at"`
	// EventsUntil: events last seen before it, or at it and listed in
	// EventsAt ("<uid>:<count>"), are in the lake.
	EventsUntil time.Time     `json:"events_until"`
	EventsAt    []string      `json:"events_at,omitempty"`
	Anomalies   anomaly.State `json:"anomalies"`
}

const persistedVersion = 1

// restore loads the agent_state of the current.json found when the lease
// was taken. None is a first start; an unreadable one is logged and the
// agent starts fresh (open anomalies may be reported again).
func (r *run) restore(prev []byte) {
	var cur struct {
		AgentState *persisted `json:"agent_state"`
	}
	if len(prev) == 0 || json.Unmarshal(prev, &cur) != nil || cur.AgentState == nil {
		r.log.Info("no saved agent state: first start for this cluster")
		return
	}
	p := cur.AgentState
	if p.SchemaVersion != persistedVersion {
		r.log.Error("saved agent state unreadable; starting fresh", "schema", p.SchemaVersion)
		return
	}
	if err := r.engine.Restore(p.Anomalies); err != nil {
		r.log.Error("saved anomaly state rejected; starting fresh", "error", err)
	}
	r.restoredHWM, r.eventsHWM = p.EventsUntil, p.EventsUntil
	r.restoredAt, r.hwmKeys = map[string]bool{}, map[string]bool{}
	for _, k := range p.EventsAt {
		r.restoredAt[k], r.hwmKeys[k] = true, true
	}
	r.stateHWM, r.stateKeys = p.EventsUntil, p.EventsAt
	r.log.Info("restored agent state", "anomalies", len(p.Anomalies.Anomalies), "saved_at", p.SavedAt, "by", p.Instance)
}

// recoverHandler keeps one bad object from taking the agent down: client-go
// would crash the process on a handler panic.
func (r *run) recoverHandler(ev watch.Event) {
	if p := recover(); p != nil {
		r.a.m.handleErrors.WithLabelValues(ev.Kind).Inc()
		err := fmt.Errorf("panic handling %s %s/%s: %v", ev.Kind, ev.Obj.GetNamespace(), ev.Obj.GetName(), p)
		r.a.recordError("kube", err)
		r.log.Error("object handler panicked; object skipped", "error", err, "stack", string(debug.Stack()))
	}
}
