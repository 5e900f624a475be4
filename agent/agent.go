// Package agent is AtlHyper's in-cluster agent: it watches one cluster
// through informers and is the only writer of that cluster's data in the
// lake — state history (a change row per add/update/delete plus hourly
// checkpoints), object details, events, anomalies, heartbeats — and of its
// state objects under _sys/clusters/<id>/: current.json (cluster state,
// liveness and its leader lease in one object) and, while someone watches
// the cluster, tail.zip (rows not yet flushed).
//
// Data flow:
//
//	informers (agent/watch, stripped by transforms)
//	  → Handle: change detection, rows (agent/rows), anomaly rules (agent/anomaly)
//	  → lake.Writer (batches per table) → spool (agent/spool) → store
//	current.json: every heartbeat interval (the lease renewal), and within
//	  seconds of an anomaly or node change
//	control.json (query/control): polled with conditional GETs; while the
//	  cluster is watched, tail.zip every few seconds while rows change;
//	  queued commands run by agent/ops, ended ones archived to the lake
//	checkpoints: hourly snapshot rows of every watched object
//
// Only the holder of the cluster's lease (query/lease) runs the pipeline;
// a second replica stands by. The agent writes to the Kubernetes API only
// to run the signed commands of remote operations (agent/ops), and never
// reads a Secret's or ConfigMap's data.
package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/utils/clock"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/agent/spool"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
)

// Version is the agent's version, set at build time with
// -ldflags "-X github.com/atlhyper/atlhyper/agent.Version=v1.2.3".
var Version = "dev"

// WriterName names the agent in lake object keys.
const WriterName = "agent"

// Kube is what the agent asks the API server besides lists and watches
// (agent/kubeapi; watchtest.Kube over client-go's fakes).
type Kube interface {
	watch.API
	ServerVersion() (*version.Info, error)
	PodLogs(ctx context.Context, namespace, pod string, opts *corev1.PodLogOptions) ([]byte, error)
}

// Config configures an Agent. Zero values take the documented defaults
// (docs/agent.md).
type Config struct {
	Cluster  string // lake cluster id (required)
	Instance string // this process, e.g. the pod name (required, unique)

	Kube Kube // required
	// Source lists and watches the collected kinds (required:
	// watch.NewSource, or watchtest.Source over client-go's fakes).
	Source watch.Source
	// Namespace limits namespaced kinds to one namespace ("" for all).
	Namespace string
	// Kinds selects the collected kinds (watch.Select); empty: every kind
	// of query/kinds that is not opt-in.
	Kinds []string
	// SkipAccessCheck skips the SelfSubjectAccessReviews per kind.
	SkipAccessCheck bool

	Store store.Bucket // required
	// SpoolDir holds objects the store could not take. Empty: no spool
	// (objects wait in memory; only for tests and the simulator).
	SpoolDir      string
	SpoolMaxBytes int64 // default 256 MiB

	// FlushAge spaces flushes: every buffered table is written at each
	// multiple of it in UTC (default 20 min: :00, :20, :40), so no object
	// straddles an hour; FlushRows flushes a table earlier (default
	// 5,000,000, or 32 MiB encoded: rows wait as compressed row groups,
	// so the bound is the object's size, not memory). A watched cluster's
	// unflushed rows reach readers through its tail object instead.
	FlushAge  time.Duration
	FlushRows int
	// CheckpointInterval spaces full checkpoints (default 1 h, aligned to
	// the clock: 10:00, 11:00, …). One is written right after start too.
	CheckpointInterval time.Duration
	// StateInterval is how often anomaly timers run and how soon
	// current.json is rewritten after an anomaly opens, changes severity
	// or resolves or a node changes (default 10 s).
	StateInterval time.Duration
	// Trim, if set, is called after each checkpoint and each flush that
	// wrote objects, to hand memory back to the kernel (the binary sets
	// memtrim.Trim); without it the heap's free pages are returned after
	// checkpoints only.
	Trim func()
	// HeartbeatInterval is the longest current.json goes unwritten: every
	// write renews the lease and is a heartbeat (default 3 min).
	HeartbeatInterval time.Duration
	// LeaderElection turns on the lease's election (default in the binary:
	// on); without it current.json is written with plain PUTs.
	// LeaseDuration is how long a standby waits for an unchanged
	// current.json before it takes over (default 3 heartbeat intervals);
	// a standby polls it every StandbyPoll (default 1 min).
	LeaderElection bool
	LeaseDuration  time.Duration
	StandbyPoll    time.Duration
	// IdlePoll and WatchedPoll space the conditional GETs of the cluster's
	// control object (query/control) while nobody watches the cluster
	// (default 15 s) and while someone does (default 2 s). TailInterval is
	// the least time between two tail objects while watched (default 12 s).
	IdlePoll, WatchedPoll, TailInterval time.Duration
	// MaxDetailBytes bounds one object's detail JSON (default 256 KiB);
	// larger objects keep their row and get a truncated detail.
	MaxDetailBytes int

	// Anomaly rules (default anomaly.Defaults) and the least interval
	// between update rows of one anomaly (default 5 min).
	AnomalyRules          []anomaly.Rule
	AnomalyUpdateInterval time.Duration
	// LogTail configures capturing the previous container's log.
	LogTail LogTailConfig

	// Operations, when set, runs the commands the API queues for the
	// cluster (agent/ops) while this agent holds the lease.
	Operations *Operations

	// Collectors, if set, reports the node metrics collectors heard from
	// and which went quiet, for the heartbeat.
	Collectors func(now time.Time) (nodes int, stale []string)

	Clock      clock.WithTicker      // default real time
	Logger     *slog.Logger          // default slog.Default()
	Registerer prometheus.Registerer // nil: no metrics registered
}

// Operations configures remote operations (agent/ops, docs/agent.md).
type Operations struct {
	API   ops.API // the Kubernetes API the actions call (required)
	Keys  map[string]ed25519.PublicKey
	Allow ops.Allow
	// Lease is a running command's lease (default 1 min).
	Lease       time.Duration
	MaxLogBytes int64 // default 1 MiB
}

// LogTailConfig bounds log capture at crash detection.
type LogTailConfig struct {
	Lines    int64         // default 50
	MaxBytes int64         // default 16 KiB
	Timeout  time.Duration // default 5 s
	Workers  int           // default 2; 0 after defaults means disabled
	Disabled bool
}

func (c *Config) defaults() error {
	if err := lake.ValidCluster(c.Cluster); err != nil {
		return err
	}
	if c.Instance == "" {
		return errors.New("agent: instance is required")
	}
	if c.Kube == nil || c.Source == nil || c.Store == nil {
		return errors.New("agent: Kubernetes client, source and store are required")
	}
	if c.Operations != nil && c.Operations.API == nil {
		return errors.New("agent: operations need a Kubernetes API client")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FlushAge, 20*time.Minute)
	def(&c.CheckpointInterval, time.Hour)
	def(&c.StateInterval, 10*time.Second)
	def(&c.HeartbeatInterval, 3*time.Minute)
	def(&c.LeaseDuration, 3*c.HeartbeatInterval)
	def(&c.StandbyPoll, time.Minute)
	def(&c.IdlePoll, control.IdlePoll)
	def(&c.WatchedPoll, control.WatchedPoll)
	def(&c.TailInterval, 12*time.Second)
	def(&c.AnomalyUpdateInterval, 5*time.Minute)
	def(&c.LogTail.Timeout, 5*time.Second)
	if time.Hour%c.FlushAge != 0 && c.FlushAge%time.Hour != 0 {
		return fmt.Errorf("agent: flush age %s must divide an hour (or be whole hours)", c.FlushAge)
	}
	if c.MaxDetailBytes <= 0 {
		c.MaxDetailBytes = 256 << 10
	}
	if c.LogTail.Lines <= 0 {
		c.LogTail.Lines = 50
	}
	if c.LogTail.MaxBytes <= 0 {
		c.LogTail.MaxBytes = 16 << 10
	}
	if c.LogTail.Workers <= 0 {
		c.LogTail.Workers = 2
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Agent watches one cluster and writes its lake data.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	m       *metrics
	bucket  store.Bucket
	meter   *store.Metered // the agent's store requests, for heartbeats
	sink    lake.Sink
	spool   *spool.Spool
	started time.Time

	leader  atomic.Bool
	mu      sync.Mutex
	run     *run   // the current term as leader, nil while standing by
	kubeVer string // API server version, once known
	// apiDownSince is when the API server stopped answering probes.
	apiDownSince time.Time
	// prevState is current.json as found when the lease was taken: kept
	// until this term's pipeline can compute its own.
	prevState []byte

	errMu     sync.Mutex
	errCount  int64
	lastErr   string
	lastErrAt time.Time
}

// New builds an agent.
func New(cfg Config) (*Agent, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, log: cfg.Logger.With("cluster", cfg.Cluster), m: newMetrics(), started: cfg.Clock.Now()}
	a.meter = store.NewMetered(cfg.Store)
	a.bucket = countingBucket{Bucket: a.meter, m: a.m}
	if cfg.SpoolDir != "" {
		sp, err := spool.Open(spool.Config{Dir: cfg.SpoolDir, Bucket: a.bucket, MaxBytes: cfg.SpoolMaxBytes,
			Logger: a.log.With("component", "spool")})
		if err != nil {
			return nil, err
		}
		a.spool, a.sink = sp, sp
	} else {
		a.sink = lake.StoreSink{Bucket: a.bucket}
	}
	if cfg.Registerer != nil {
		if err := a.m.register(cfg.Registerer, a); err != nil {
			return nil, fmt.Errorf("agent: register metrics: %w", err)
		}
	}
	return a, nil
}

// Run runs the agent until ctx ends: as leader if it holds (or needs no)
// lease, otherwise standing by. On return everything buffered has been
// handed to the store or the spool. It returns lease.ErrLost if another
// agent took over (the process should exit and restart as a standby).
func (a *Agent) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	spoolCtx, stopSpool := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSpool()
	if a.spool != nil {
		// Uploads leftovers even while standing by: they are rows this
		// agent wrote as leader.
		wg.Add(1)
		go func() { defer wg.Done(); a.spool.Run(spoolCtx) }()
	}
	var leadErr error
	err := lease.Run(ctx, lease.Config{
		Bucket: a.bucket, Key: lake.ClusterKey(a.cfg.Cluster, lake.CurrentKey), Identity: a.cfg.Instance,
		Duration: a.cfg.LeaseDuration, RenewInterval: a.cfg.HeartbeatInterval, PollInterval: a.cfg.StandbyPoll,
		Payload: a.payload, Unconditional: !a.cfg.LeaderElection,
		Clock: a.cfg.Clock, Logger: a.log.With("component", "lease"), OnChange: a.setLeader,
	}, func(ctx context.Context, l *lease.Lease) { leadErr = a.lead(ctx, l) })
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil // stopped while standing by
	}
	err = errors.Join(err, leadErr)
	if a.spool != nil {
		// A last attempt to empty the spool; what remains stays on disk
		// for the next start.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		if n, derr := a.spool.Drain(dctx); derr != nil {
			a.log.Warn("objects left in spool for the next start", "objects", n, "error", derr)
		}
		cancel()
	}
	return err
}

func (a *Agent) setLeader(v bool) {
	if v {
		a.mu.Lock()
		a.run = nil // the previous term's, if any
		a.mu.Unlock()
	}
	a.leader.Store(v)
	a.m.leader.Set(b2f(v))
}

// Leader reports whether this agent currently holds the lease.
func (a *Agent) Leader() bool { return a.leader.Load() }

// Ready reports whether the agent leads and every informer has synced.
func (a *Agent) Ready() bool {
	r := a.current()
	return r != nil && r.synced.Load()
}

// current is the running term, nil unless this agent holds the lease.
func (a *Agent) current() *run {
	if !a.Leader() {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.run
}

// NodeMetrics is the sink for the collectors' node metrics (see
// agent/ingest): rows join the node_metrics buffer of the lake writer.
// A standby refuses them, so collectors retry against the leader.
func (a *Agent) NodeMetrics(_ context.Context, rows []lake.NodeMetric) error {
	r := a.current()
	if r == nil {
		return errors.New("agent is not the leader")
	}
	lake.Add(r.w, lake.NodeMetrics, rows...)
	return nil
}

// Flush writes every buffered row now (tests, benchmarks, admin).
func (a *Agent) Flush(ctx context.Context) error {
	r := a.current()
	if r == nil {
		return errors.New("agent is not the leader")
	}
	return r.w.Flush(ctx)
}

// Checkpoint writes a checkpoint now (tests).
func (a *Agent) Checkpoint(ctx context.Context, details bool) (time.Time, error) {
	r := a.current()
	if r == nil {
		return time.Time{}, errors.New("agent is not the leader")
	}
	return r.checkpoint(ctx, details)
}

// PublishState rewrites current.json now (tests).
func (a *Agent) PublishState(ctx context.Context) error {
	r := a.current()
	if r == nil {
		return errors.New("agent is not the leader")
	}
	return r.publish(ctx)
}

func (a *Agent) recordError(component string, err error) {
	a.m.errors.WithLabelValues(component).Inc()
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.errCount++
	a.lastErr = component + ": " + err.Error()
	a.lastErrAt = a.cfg.Clock.Now().UTC()
}

func (a *Agent) errorState() (int64, string, time.Time) {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.errCount, a.lastErr, a.lastErrAt
}

type spoolStats = spool.Stats

func (a *Agent) spoolStats() spool.Stats {
	if a.spool == nil {
		return spool.Stats{}
	}
	return a.spool.Stats()
}

func (a *Agent) writerStats() lake.WriterStats {
	if r := a.current(); r != nil {
		return r.w.Stats()
	}
	return lake.WriterStats{}
}

func (a *Agent) buffered() map[string]int {
	if r := a.current(); r != nil {
		return r.w.Buffered()
	}
	return nil
}

func (a *Agent) counts() map[string]int {
	if r := a.current(); r != nil && r.set != nil {
		return r.set.Counts()
	}
	return nil
}

func (a *Agent) openAnomalies() int {
	if r := a.current(); r != nil {
		return len(r.engine.Open())
	}
	return 0
}

// DefaultInstance names this process: the pod name (POD_NAME, else the
// host name).
func DefaultInstance() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "agent"
	}
	return h
}

// Stats is a snapshot of what the agent is doing.
type Stats struct {
	Leader, Ready bool
	Writer        lake.WriterStats // the current term's writer
	Buffered      map[string]int   // rows per table not yet written
	Spool         spool.Stats
	Objects       map[string]int // watched objects per kind
	Requests      store.Requests // the agent's store requests since start
	Errors        int64
	LastError     string
}

// Stats returns a snapshot of the agent's counters.
func (a *Agent) Stats() Stats {
	n, last, _ := a.errorState()
	return Stats{Leader: a.Leader(), Ready: a.Ready(), Writer: a.writerStats(), Buffered: a.buffered(),
		Spool: a.spoolStats(), Objects: a.counts(), Requests: a.meter.Requests(), Errors: n, LastError: last}
}
