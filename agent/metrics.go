package agent

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// metrics are the agent's Prometheus metrics. All carry no cluster label:
// one agent watches one cluster (the simulator registers none).
type metrics struct {
	events        *prometheus.CounterVec // kind, op
	changes       *prometheus.CounterVec // kind, op
	unchanged     *prometheus.CounterVec // kind
	handleErrors  *prometheus.CounterVec // kind
	watchErrors   *prometheus.CounterVec // kind
	missedDeletes *prometheus.CounterVec // kind
	lastEvent     *prometheus.GaugeVec   // kind
	lag           *prometheus.HistogramVec
	storeReqs     *prometheus.CounterVec // op, class
	storeBytes    *prometheus.CounterVec // class
	storeErrors   *prometheus.CounterVec // op
	checkpoints   prometheus.Counter
	checkpointS   prometheus.Histogram
	transitions   *prometheus.CounterVec // rule, state
	logTails      *prometheus.CounterVec // result
	errors        *prometheus.CounterVec // component
	leader        prometheus.Gauge
}

func newMetrics() *metrics {
	return &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_watch_events_total",
			Help: "Informer notifications handled, by kind and operation."}, []string{"kind", "op"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_changes_total",
			Help: "Change rows recorded, by kind and operation."}, []string{"kind", "op"}),
		unchanged: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_unchanged_updates_total",
			Help: "Updates skipped because nothing the lake stores changed (resourceVersion or heartbeat churn)."}, []string{"kind"}),
		handleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_handle_errors_total",
			Help: "Objects the agent could not process (malformed, unencodable); each is logged."}, []string{"kind"}),
		watchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_watch_errors_total",
			Help: "Watches dropped with an error (expiry, API server down, refused)."}, []string{"kind"}),
		missedDeletes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_relist_deletes_total",
			Help: "Deletes found by a relist rather than delivered by the watch (a watch expired or broke)."}, []string{"kind"}),
		lastEvent: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "atlhyper_agent_watch_last_event_timestamp_seconds",
			Help: "Unix time of the last notification per kind."}, []string{"kind"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "atlhyper_agent_informer_lag_seconds",
			Help:    "Time from the API server write (managedFields time, 1 s resolution) to the agent handling the change.",
			Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 300}}, []string{"kind"}),
		storeReqs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_store_requests_total",
			Help: "Object store requests by operation and key class (data: Parquet objects, state: _sys JSON)."}, []string{"op", "class"}),
		storeBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_store_put_bytes_total",
			Help: "Bytes sent to the object store in PUTs, by key class."}, []string{"class"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_store_errors_total",
			Help: "Object store requests that failed (412 on a create-only put is not a failure)."}, []string{"op"}),
		checkpoints: prometheus.NewCounter(prometheus.CounterOpts{Name: "atlhyper_agent_checkpoints_total",
			Help: "Checkpoints written."}),
		checkpointS: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "atlhyper_agent_checkpoint_duration_seconds",
			Help: "Time to write one checkpoint.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 10)}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_anomaly_transitions_total",
			Help: "Anomaly rows by rule and state (open, update, resolved)."}, []string{"rule", "state"}),
		logTails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_log_tail_fetches_total",
			Help: "Previous-container log tails fetched for crash anomalies, by result."}, []string{"result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_errors_total",
			Help: "Errors by component (store, spool, state, kube, lake)."}, []string{"component"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "atlhyper_agent_leader",
			Help: "1 while this agent holds the cluster's leader lease."}),
	}
}

// register adds the metrics, and gauges reading a's live state, to reg.
func (m *metrics) register(reg prometheus.Registerer, a *Agent) error {
	cs := []prometheus.Collector{m.events, m.changes, m.unchanged, m.handleErrors, m.watchErrors, m.missedDeletes, m.lastEvent, m.lag,
		m.storeReqs, m.storeBytes, m.storeErrors, m.checkpoints, m.checkpointS, m.transitions, m.logTails, m.errors, m.leader}
	gauge := func(name, help string, f func() float64) {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	w := func() lake.WriterStats { return a.writerStats() }
	counter("atlhyper_agent_lake_rows_total", "Rows written to the lake (store or spool).", func() float64 { return float64(w().Rows) })
	counter("atlhyper_agent_lake_objects_total", "Parquet objects written (store or spool).", func() float64 { return float64(w().Objects) })
	counter("atlhyper_agent_lake_bytes_total", "Parquet bytes written (store or spool).", func() float64 { return float64(w().Bytes) })
	counter("atlhyper_agent_lake_flush_errors_total", "Failed flushes (encode errors, full spool).", func() float64 { return float64(w().Errors) })
	gauge("atlhyper_agent_lake_pending_objects", "Encoded objects held in memory because the store and spool refused them.", func() float64 { return float64(w().PendingObjects) })
	gauge("atlhyper_agent_lake_pending_bytes", "Bytes of those objects (bounded; the oldest are dropped beyond 64 MiB).", func() float64 { return float64(w().PendingBytes) })
	counter("atlhyper_agent_lake_dropped_rows_total", "Rows given up because the in-memory backlog was full.", func() float64 { return float64(w().DroppedRows) })
	gauge("atlhyper_agent_lake_last_flush_timestamp_seconds", "Unix time of the last complete flush.", func() float64 { return unix(w().LastFlush) })
	gauge("atlhyper_agent_lake_buffered_rows", "Rows buffered, not yet written.", func() float64 {
		n := 0
		for _, v := range a.buffered() {
			n += v
		}
		return float64(n)
	})
	sp := func() spoolStats { return a.spoolStats() }
	gauge("atlhyper_agent_spool_objects", "Objects in the on-disk spool.", func() float64 { return float64(sp().Objects) })
	gauge("atlhyper_agent_spool_bytes", "Bytes in the on-disk spool.", func() float64 { return float64(sp().Bytes) })
	gauge("atlhyper_agent_spool_max_bytes", "Spool capacity.", func() float64 { return float64(sp().MaxBytes) })
	gauge("atlhyper_agent_spool_full", "1 when the spool refused the last object offered.", func() float64 { return b2f(sp().Full) })
	gauge("atlhyper_agent_spool_oldest_timestamp_seconds", "Unix time the oldest spooled object was spooled (0 if empty).", func() float64 { return unix(sp().Oldest) })
	counter("atlhyper_agent_spool_spooled_total", "Objects spooled because the store failed.", func() float64 { return float64(sp().Spooled) })
	counter("atlhyper_agent_spool_uploaded_total", "Objects delivered to the store (directly or from the spool).", func() float64 { return float64(sp().Uploaded) })
	counter("atlhyper_agent_spool_refused_total", "Objects the full spool refused (held in memory).", func() float64 { return float64(sp().Refused) })
	counter("atlhyper_agent_spool_upload_errors_total", "Failed uploads (each followed by backoff).", func() float64 { return float64(sp().UploadErrors) })
	gauge("atlhyper_agent_informers_synced", "1 while this agent leads and every informer has finished its initial list (0 on a standby; see atlhyper_agent_leader).", func() float64 { return b2f(a.Ready()) })
	cs = append(cs, &watchedCollector{a: a, desc: prometheus.NewDesc("atlhyper_agent_watched_objects",
		"Objects in the informer caches, by kind.", []string{"kind"}, nil)})
	gauge("atlhyper_agent_anomalies_open", "Open anomalies.", func() float64 { return float64(a.openAnomalies()) })
	gauge("atlhyper_agent_start_time_seconds", "Unix time the agent started.", func() float64 { return unix(a.started) })
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

type watchedCollector struct {
	a    *Agent
	desc *prometheus.Desc
}

func (c *watchedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c *watchedCollector) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range c.a.counts() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), kind)
	}
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// countingBucket counts the agent's store requests and bytes: what the
// cluster costs in the object store.
type countingBucket struct {
	store.Bucket
	m *metrics
}

func keyClass(key string) string {
	if strings.HasPrefix(key, lake.SysPrefix) {
		return "state"
	}
	return "data"
}

func (b countingBucket) count(op, key string, err error) {
	b.m.storeReqs.WithLabelValues(op, keyClass(key)).Inc()
	if err != nil && !store.IsNotFound(err) && !store.IsNotModified(err) && !store.IsPreconditionFailed(err) {
		b.m.storeErrors.WithLabelValues(op).Inc()
	}
}

func (b countingBucket) Put(ctx context.Context, key string, data []byte, c store.Condition) (store.Info, error) {
	info, err := b.Bucket.Put(ctx, key, data, c)
	b.count("put", key, err)
	if err == nil {
		b.m.storeBytes.WithLabelValues(keyClass(key)).Add(float64(len(data)))
	}
	return info, err
}

func (b countingBucket) Get(ctx context.Context, key, inm string) ([]byte, store.Info, error) {
	data, info, err := b.Bucket.Get(ctx, key, inm)
	b.count("get", key, err)
	return data, info, err
}

func (b countingBucket) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	data, err := b.Bucket.GetRange(ctx, key, off, n)
	b.count("get", key, err)
	return data, err
}

func (b countingBucket) Stat(ctx context.Context, key string) (store.Info, error) {
	info, err := b.Bucket.Stat(ctx, key)
	b.count("head", key, err)
	return info, err
}

func (b countingBucket) List(ctx context.Context, prefix, after string, limit int) ([]store.Info, bool, error) {
	page, more, err := b.Bucket.List(ctx, prefix, after, limit)
	b.count("list", prefix, err)
	return page, more, err
}

func (b countingBucket) Delete(ctx context.Context, key string) error {
	err := b.Bucket.Delete(ctx, key)
	b.count("delete", key, err)
	return err
}
