package usage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures a Reporter.
type Config struct {
	// Bucket is read for the inventory and the job statuses (through the
	// metered bucket, so these reads count as the API's own).
	Bucket store.Bucket
	// Meter measures this process's store requests.
	Meter *Meter
	// Fleet serves the agents' heartbeats.
	Fleet *lakeview.View
	// Prices default to S3Standard.
	Prices Prices
	Logger *slog.Logger
	Now    func() time.Time
}

// Reporter builds usage reports.
type Reporter struct {
	cfg Config
	// cache holds the small objects a report reads (one per cluster and
	// job), revalidated with conditional GETs; bounded in bytes.
	cache *lru.Cache[string, cachedObject]
}

// maxCachedBytes bounds the Reporter's cache: ~8 KB per cluster's
// objects leaves room for thousands of clusters.
const maxCachedBytes = 16 << 20

type cachedObject struct {
	etag string
	data []byte
}

// New returns a Reporter.
func New(cfg Config) (*Reporter, error) {
	if cfg.Bucket == nil || cfg.Meter == nil || cfg.Fleet == nil {
		return nil, errors.New("usage: bucket, meter and fleet are required")
	}
	if cfg.Prices == (Prices{}) {
		cfg.Prices = S3Standard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Reporter{cfg: cfg, cache: lru.New[string, cachedObject](maxCachedBytes, func(c cachedObject) int64 { return int64(len(c.data) + len(c.etag)) })}, nil
}

// MemoryCache reports the cache of small objects against its bound
// (cost: bytes).
func (r *Reporter) MemoryCache() lru.Stats { return r.cache.Stats() }

// Report is the self-monitoring answer.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Inventory is nil until the scheduler's inventory job has run.
	Inventory *Inventory `json:"inventory"`
	Jobs      []Job      `json:"jobs"`
	Agents    []Agent    `json:"agents"`
	// API is this instance's own store requests.
	API  Requests `json:"api"`
	Cost Cost     `json:"cost_estimate"`
	// Missing lists what the report could not include and why.
	Missing []Missing `json:"missing"`
}

// Missing is one absent input.
type Missing struct {
	// Code is no_inventory, inventory_stale, unreadable, job_never_ran,
	// job_rate_pending, no_heartbeat, agent_rate_pending, api_rate_pending
	// or agent_requests_unreported.
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"` // job, cluster or object key
	Message string `json:"message"`
}

// Inventory is the stored lake inventory, summed up.
type Inventory struct {
	TakenAt    time.Time `json:"taken_at"`
	AgeSeconds float64   `json:"age_seconds"`
	// Stale: older than two inventory intervals (and 15 minutes).
	Stale             bool    `json:"stale"`
	Objects           int64   `json:"objects"`
	Bytes             int64   `json:"bytes"`
	CompactedObjects  int64   `json:"compacted_objects"`
	CompactionBacklog int     `json:"compaction_backlog"`
	Tables            []Table `json:"tables"`   // by bytes, largest first
	Clusters          []Share `json:"clusters"` // by bytes, largest first
}

// Table is one lake table's share.
type Table struct {
	Table            string           `json:"table"`
	Objects          int64            `json:"objects"`
	Bytes            int64            `json:"bytes"`
	CompactedObjects int64            `json:"compacted_objects"`
	BytesByCluster   map[string]int64 `json:"bytes_by_cluster"`
}

// Share is one cluster's part of the lake.
type Share struct {
	Cluster string `json:"cluster"`
	// Objects is nil for inventories that did not count objects per
	// cluster.
	Objects      *int64           `json:"objects"`
	Bytes        int64            `json:"bytes"`
	BytesByTable map[string]int64 `json:"bytes_by_table"`
}

// Job is a scheduled job's last run.
type Job struct {
	Job string `json:"job"`
	// State is ok, failed or never_run.
	State        string          `json:"state"`
	Started      *time.Time      `json:"started,omitempty"`
	Finished     *time.Time      `json:"finished,omitempty"`
	DurationMS   int64           `json:"duration_ms"`
	AgeSeconds   *float64        `json:"age_seconds,omitempty"`
	EverySeconds int64           `json:"every_seconds,omitempty"`
	Error        string          `json:"error,omitempty"`
	Requests     *store.Requests `json:"requests,omitempty"`
	// Rate is what the job's recorded runs of the last day asked of the
	// store, per hour; nil until its history covers one interval.
	Rate       *JobRate    `json:"rate,omitempty"`
	Compaction *Compaction `json:"compaction,omitempty"`
}

// JobRate is a job's store requests per hour over a window of its runs.
type JobRate struct {
	Runs          int          `json:"runs"`
	WindowSeconds float64      `json:"window_seconds"`
	PerHour       RequestRates `json:"per_hour"`
}

// Compaction is what a compaction run did.
type Compaction struct {
	Partitions     int      `json:"partitions"`
	ObjectsMerged  int      `json:"objects_merged"`
	ObjectsWritten int      `json:"objects_written"`
	ObjectsDeleted int      `json:"objects_deleted"`
	ObjectsExpired int      `json:"objects_expired"`
	BytesIn        int64    `json:"bytes_in"`
	BytesOut       int64    `json:"bytes_out"`
	CorruptCount   int      `json:"corrupt_count"`
	Corrupt        []string `json:"corrupt"` // at most maxListed
	ErrorCount     int      `json:"error_count"`
	Errors         []string `json:"errors"` // at most maxListed
}

const maxListed = 50

// Agent is one cluster's agent as its heartbeat describes it.
type Agent struct {
	Cluster string `json:"cluster"`
	// State is online, offline or no_heartbeat.
	State           string     `json:"state"`
	LastHeartbeat   *time.Time `json:"last_heartbeat,omitempty"`
	AgeSeconds      *float64   `json:"age_seconds,omitempty"`
	IntervalSeconds int        `json:"interval_seconds"`
	Instance        string     `json:"instance,omitempty"`
	Version         string     `json:"version,omitempty"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	UptimeSeconds   int64      `json:"uptime_seconds"`
	Synced          bool       `json:"synced"`
	LastFlush       *time.Time `json:"last_flush,omitempty"`
	Spool           Spool      `json:"spool"`
	Written         Written    `json:"written"`
	WatchedObjects  int64      `json:"watched_objects"`
	Errors          int64      `json:"errors"`
	LastError       string     `json:"last_error,omitempty"`
	LastErrorAt     *time.Time `json:"last_error_at,omitempty"`
	// EstimatedPutsPerHour is the agent's PUT+LIST requests per hour:
	// RequestsPerHour where it reports its counts, else lake objects written
	// per hour of uptime plus heartbeat rewrites; nil until measured over
	// MinRateWindow.
	EstimatedPutsPerHour *float64 `json:"estimated_puts_per_hour"`
	// RequestsPerHour are the agent's own counts per hour (agents that
	// report them in heartbeats) over RequestsWindowSeconds: the last day
	// of the scheduler's samples up to this heartbeat, or the agent's
	// uptime until samples cover MinRateWindow.
	RequestsPerHour       *RequestRates `json:"requests_per_hour,omitempty"`
	RequestsWindowSeconds float64       `json:"requests_window_seconds,omitempty"`
}

// Spool is an agent's on-disk spool.
type Spool struct {
	Objects  int        `json:"objects"`
	Bytes    int64      `json:"bytes"`
	MaxBytes int64      `json:"max_bytes"`
	Full     bool       `json:"full"`
	Oldest   *time.Time `json:"oldest,omitempty"`
}

// Written counts an agent's lake writes since it started.
type Written struct {
	Rows    int64 `json:"rows"`
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

// Report builds the report. Only an unreachable store is an error.
func (r *Reporter) Report(ctx context.Context) (*Report, error) {
	now := r.cfg.Now()
	rep := &Report{GeneratedAt: now.UTC(), Jobs: []Job{}, Agents: []Agent{}, Missing: []Missing{}}
	var (
		inv      schedule.Inventory
		invFound bool
		samples  schedule.AgentSamples
		statuses = make([]*schedule.Status, len(schedule.JobNames()))
		beats    []lakeview.AgentHeartbeat
		mu       sync.Mutex
	)
	miss := func(code, subject, format string, args ...any) {
		mu.Lock()
		rep.Missing = append(rep.Missing, Missing{Code: code, Subject: subject, Message: fmt.Sprintf(format, args...)})
		mu.Unlock()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		invFound, err = r.get(gctx, schedule.InventoryKey, &inv, miss)
		return err
	})
	g.Go(func() (err error) {
		_, err = r.get(gctx, schedule.AgentSamplesKey, &samples, miss)
		return err
	})
	for i, name := range schedule.JobNames() {
		g.Go(func() error {
			var st schedule.Status
			found, err := r.get(gctx, schedule.StatusKey(name), &st, miss)
			if found {
				statuses[i] = &st
			}
			return err
		})
	}
	g.Go(func() (err error) {
		beats, err = r.cfg.Fleet.Heartbeats(gctx)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Unreadable objects were reported by get in goroutine order.
	slices.SortStableFunc(rep.Missing, func(a, b Missing) int { return cmp.Compare(a.Subject, b.Subject) })

	var invEvery int64
	for i, name := range schedule.JobNames() {
		j := job(name, statuses[i], now)
		switch {
		case j.State == "never_run":
			miss("job_never_ran", name, "the scheduled job %q has not run yet (is the scheduler running?)", name)
		case j.Rate == nil:
			miss("job_rate_pending", name, "the scheduled job %q has not recorded runs over one interval yet: its cost is not estimated", name)
		}
		if name == schedule.JobInventory {
			invEvery = j.EverySeconds
		}
		rep.Jobs = append(rep.Jobs, j)
	}
	if invFound {
		rep.Inventory = inventory(&inv, now, invEvery)
		if rep.Inventory.Stale {
			miss("inventory_stale", "", "the last inventory was taken %s ago", time.Duration(rep.Inventory.AgeSeconds*float64(time.Second)).Round(time.Minute))
		}
	} else if !slices.ContainsFunc(rep.Missing, func(m Missing) bool { return m.Subject == schedule.InventoryKey }) {
		miss("no_inventory", "", "no lake inventory has been taken yet: objects and bytes per table appear after the scheduler's first inventory run")
	}
	for _, b := range beats {
		a := agent(b, samples.Clusters[b.Info.ID], now)
		switch {
		case a.State == "no_heartbeat":
			miss("no_heartbeat", a.Cluster, "cluster %q has no agent heartbeat", a.Cluster)
		case a.State == "online" && a.EstimatedPutsPerHour == nil:
			miss("agent_rate_pending", a.Cluster, "the agent of %q has been up for less than %s: its request rate is not estimated yet", a.Cluster, MinRateWindow)
		}
		rep.Agents = append(rep.Agents, a)
	}
	for _, a := range rep.Agents {
		if a.State == "online" && a.EstimatedPutsPerHour != nil && a.RequestsPerHour == nil {
			miss("agent_requests_unreported", a.Cluster, "the agent of %q does not report its store request counts (an older version); its requests are estimated from lake objects written and the heartbeat interval", a.Cluster)
		}
	}
	rep.API = r.cfg.Meter.Snapshot(now)
	if rep.API.PerHour == nil {
		miss("api_rate_pending", "", "this API instance has measured its requests for less than %s", MinRateWindow)
	}
	rep.Cost = estimate(r.cfg.Prices, rep)
	return rep, nil
}

// get reads a small JSON object, revalidating a cached copy with a
// conditional GET. An absent object is found=false; an unreadable one is
// reported as missing, not as an error.
func (r *Reporter) get(ctx context.Context, key string, v any, miss func(code, subject, format string, args ...any)) (found bool, err error) {
	c, ok := r.cache.Get(key)
	etag := ""
	if ok {
		etag = c.etag
	}
	data, info, err := r.cfg.Bucket.Get(ctx, key, etag)
	switch {
	case store.IsNotModified(err) && ok:
		data = c.data
	case store.IsNotFound(err):
		r.cache.Remove(key)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", key, err)
	default:
		r.cache.Put(key, cachedObject{etag: info.ETag, data: data})
	}
	if err := json.Unmarshal(data, v); err != nil {
		r.cfg.Logger.Warn("usage: unreadable object", "key", key, "error", err)
		miss("unreadable", key, "%s could not be read: %v", key, err)
		return false, nil
	}
	return true, nil
}

func job(name string, st *schedule.Status, now time.Time) Job {
	j := Job{Job: name, State: "never_run"}
	if st == nil {
		return j
	}
	started, finished := st.Started.UTC(), st.Finished.UTC()
	age := now.Sub(finished).Seconds()
	j.State, j.Started, j.Finished, j.AgeSeconds = "ok", &started, &finished, &age
	j.DurationMS = finished.Sub(started).Milliseconds()
	j.EverySeconds, j.Error, j.Requests = st.EverySeconds, st.Error, st.Requests
	if !st.OK {
		j.State = "failed"
	}
	j.Rate = jobRate(st, now)
	if name == schedule.JobCompact && len(st.Report) > 0 {
		var cr compact.Report
		if json.Unmarshal(st.Report, &cr) == nil {
			j.Compaction = &Compaction{Partitions: cr.Partitions, ObjectsMerged: cr.ObjectsMerged, ObjectsWritten: cr.ObjectsWritten,
				ObjectsDeleted: cr.ObjectsDeleted, ObjectsExpired: cr.ObjectsExpired, BytesIn: cr.BytesIn, BytesOut: cr.BytesOut,
				CorruptCount: len(cr.Corrupt), Corrupt: firstN(cr.Corrupt), ErrorCount: len(cr.Errors), Errors: firstN(cr.Errors)}
		}
	}
	return j
}

func firstN(s []string) []string {
	if len(s) > maxListed {
		s = s[:maxListed]
	}
	return append([]string{}, s...)
}

func inventory(inv *schedule.Inventory, now time.Time, everySeconds int64) *Inventory {
	every := time.Duration(everySeconds) * time.Second
	if every <= 0 {
		every = time.Hour
	}
	age := now.Sub(inv.At)
	out := &Inventory{TakenAt: inv.At.UTC(), AgeSeconds: age.Seconds(), Stale: age > max(2*every, every+15*time.Minute),
		CompactionBacklog: inv.Backlog, Tables: []Table{}, Clusters: []Share{}}
	shares := map[string]*Share{}
	for _, name := range inv.TableNames() {
		ti := inv.Tables[name]
		if ti == nil {
			continue
		}
		t := Table{Table: name, Objects: ti.Objects, Bytes: ti.Bytes, CompactedObjects: ti.Compacted, BytesByCluster: map[string]int64{}}
		out.Objects += ti.Objects
		out.Bytes += ti.Bytes
		out.CompactedObjects += ti.Compacted
		for c, n := range ti.Clusters {
			t.BytesByCluster[c] = n
			s := shares[c]
			if s == nil {
				s = &Share{Cluster: c, BytesByTable: map[string]int64{}}
				if ti.ClusterObjects != nil {
					s.Objects = new(int64)
				}
				shares[c] = s
			}
			s.Bytes += n
			s.BytesByTable[name] = n
			if s.Objects != nil {
				*s.Objects += ti.ClusterObjects[c]
			}
		}
		out.Tables = append(out.Tables, t)
	}
	for _, s := range shares {
		out.Clusters = append(out.Clusters, *s)
	}
	slices.SortFunc(out.Tables, func(a, b Table) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Table, b.Table)) })
	slices.SortFunc(out.Clusters, func(a, b Share) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Cluster, b.Cluster)) })
	return out
}

func agent(b lakeview.AgentHeartbeat, samples []schedule.AgentSample, now time.Time) Agent {
	a := Agent{Cluster: b.Info.ID, State: "no_heartbeat"}
	hb := b.Heartbeat
	if hb == nil {
		return a
	}
	a.State = "offline"
	if b.Info.Online {
		a.State = "online"
	}
	ts := hb.TS.UTC()
	age := now.Sub(ts).Seconds()
	a.LastHeartbeat, a.AgeSeconds, a.IntervalSeconds = &ts, &age, hb.IntervalSeconds
	a.Instance, a.Version, a.UptimeSeconds, a.Synced, a.LastFlush = hb.Agent.Instance, hb.Agent.Version, hb.UptimeSeconds, hb.Synced, hb.LastFlush
	if !hb.Agent.StartedAt.IsZero() {
		st := hb.Agent.StartedAt.UTC()
		a.StartedAt = &st
	}
	a.Spool = Spool{Objects: hb.Spool.Objects, Bytes: hb.Spool.Bytes, MaxBytes: hb.Spool.MaxBytes, Full: hb.Spool.Full, Oldest: hb.Spool.Oldest}
	a.Written = Written{Rows: hb.Written.Rows, Objects: hb.Written.Objects, Bytes: hb.Written.Bytes}
	a.WatchedObjects, a.Errors, a.LastError, a.LastErrorAt = hb.WatchedObjects, hb.Errors, hb.LastError, hb.LastErrorAt
	up := time.Duration(hb.UptimeSeconds) * time.Second
	if rates, window := agentRate(samples, hb, now); rates != nil {
		a.RequestsPerHour, a.RequestsWindowSeconds = rates, window.Seconds()
		puts := round(rates.Put+rates.List, 1)
		a.EstimatedPutsPerHour = &puts
	} else if up >= MinRateWindow && hb.Requests == nil {
		puts := float64(hb.Written.Objects) / up.Hours()
		if hb.IntervalSeconds > 0 {
			puts += 3600 / float64(hb.IntervalSeconds)
		}
		puts = round(puts, 1)
		a.EstimatedPutsPerHour = &puts
	}
	return a
}

// jobRate is a job's requests per hour over its runs in the last
// HistoryWindow (from HistorySince at the earliest): nil until that window
// covers the job's interval, so that one run is never taken for a rate.
func jobRate(st *schedule.Status, now time.Time) *JobRate {
	if len(st.History) == 0 {
		return nil
	}
	from := now.Add(-schedule.HistoryWindow)
	if st.HistorySince.After(from) {
		from = st.HistorySince
	}
	window, need := now.Sub(from), time.Duration(st.EverySeconds)*time.Second
	if need <= 0 {
		need = MinRateWindow
	}
	if window < need {
		return nil
	}
	var sum store.Requests
	runs := 0
	for _, r := range st.History {
		if r.Started.Before(from) || r.Started.After(now) {
			continue
		}
		runs++
		sum = sum.Add(store.Requests{Put: r.Put, Get: r.Get, List: r.List, Delete: r.Delete, Head: r.Head,
			NotModified: r.NotModified, PreconditionFailed: r.PreconditionFailed})
	}
	return &JobRate{Runs: runs, WindowSeconds: window.Seconds(), PerHour: rates(sum, window)}
}

// agentRate differentiates an agent's cumulative request counters: the
// requests between the first of the scheduler's samples in the last
// HistoryWindow (or the agent's start, if later) and its latest heartbeat,
// per hour. A restart (another instance or start time, or counters going
// down) begins a new run of counters, all within the window; requests the
// old instance made after its last sample are not seen. Until samples span
// MinRateWindow, the counters of the latest heartbeat over its uptime.
func agentRate(samples []schedule.AgentSample, hb *lake.HeartbeatState, now time.Time) (*RequestRates, time.Duration) {
	if hb.Requests == nil {
		return nil, 0
	}
	from := now.Add(-schedule.HistoryWindow)
	var pts []schedule.AgentSample
	for _, s := range samples {
		if !s.TS.Before(from) && s.TS.Before(hb.TS) {
			pts = append(pts, s)
		}
	}
	pts = append(pts, schedule.AgentSample{TS: hb.TS, Instance: hb.Agent.Instance, StartedAt: hb.Agent.StartedAt, Requests: *hb.Requests})
	begin, sum := pts[0].TS, store.Requests{}
	if st := pts[0].StartedAt; !st.IsZero() && !st.Before(from) && st.Before(begin) {
		begin, sum = st, pts[0].Requests // the agent started within the window
	}
	for i := 1; i < len(pts); i++ {
		p, q := pts[i-1], pts[i]
		if q.Instance == p.Instance && q.StartedAt.Equal(p.StartedAt) && q.Requests.Put >= p.Requests.Put && q.Requests.Get >= p.Requests.Get {
			sum = sum.Add(q.Requests.Sub(p.Requests))
		} else {
			sum = sum.Add(q.Requests) // restarted: its counters began at zero
		}
	}
	if w := hb.TS.Sub(begin); w >= MinRateWindow {
		return ptr(rates(sum, w)), w
	}
	if up := time.Duration(hb.UptimeSeconds) * time.Second; up >= MinRateWindow {
		return ptr(rates(*hb.Requests, up)), up
	}
	return nil, 0
}

func rates(r store.Requests, over time.Duration) RequestRates {
	h := over.Hours()
	rate := func(n int64) float64 { return round(float64(n)/h, 1) }
	return RequestRates{Put: rate(r.Put), Get: rate(r.Get), List: rate(r.List), Delete: rate(r.Delete), Head: rate(r.Head),
		Errors: rate(r.Errors), NotModified: rate(r.NotModified), PreconditionFailed: rate(r.PreconditionFailed)}
}

func ptr[T any](v T) *T { return &v }
