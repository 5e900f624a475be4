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
	"github.com/atlhyper/atlhyper/query/compact"
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
	cfg   Config
	mu    sync.Mutex
	cache map[string]cachedObject
}

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
	return &Reporter{cfg: cfg, cache: map[string]cachedObject{}}, nil
}

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
	// no_heartbeat, agent_rate_pending, api_rate_pending or
	// agent_requests_unreported.
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
	Compaction   *Compaction     `json:"compaction,omitempty"`
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
	// EstimatedPutsPerHour is lake objects written per hour of uptime
	// plus heartbeat rewrites; nil before MinRateWindow of uptime.
	EstimatedPutsPerHour *float64 `json:"estimated_puts_per_hour"`
	// RequestsPerHour are the agent's own counts per hour of uptime (agents
	// that report them in heartbeats).
	RequestsPerHour *RequestRates `json:"requests_per_hour,omitempty"`
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
		if j.State == "never_run" {
			miss("job_never_ran", name, "the scheduled job %q has not run yet (is the scheduler running?)", name)
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
		a := agent(b, now)
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
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	etag := ""
	if ok {
		etag = c.etag
	}
	data, info, err := r.cfg.Bucket.Get(ctx, key, etag)
	switch {
	case store.IsNotModified(err) && ok:
		data = c.data
	case store.IsNotFound(err):
		r.mu.Lock()
		delete(r.cache, key)
		r.mu.Unlock()
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", key, err)
	default:
		r.mu.Lock()
		r.cache[key] = cachedObject{etag: info.ETag, data: data}
		r.mu.Unlock()
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

func agent(b lakeview.AgentHeartbeat, now time.Time) Agent {
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
	if q := hb.Requests; q != nil && up >= MinRateWindow {
		h := up.Hours()
		rate := func(n int64) float64 { return round(float64(n)/h, 1) }
		a.RequestsPerHour = &RequestRates{Put: rate(q.Put), Get: rate(q.Get), List: rate(q.List), Delete: rate(q.Delete),
			Head: rate(q.Head), Errors: rate(q.Errors)}
		puts := round(a.RequestsPerHour.Put+a.RequestsPerHour.List, 1)
		a.EstimatedPutsPerHour = &puts
	} else if up >= MinRateWindow {
		puts := float64(hb.Written.Objects) / up.Hours()
		if hb.IntervalSeconds > 0 {
			puts += 3600 / float64(hb.IntervalSeconds)
		}
		puts = round(puts, 1)
		a.EstimatedPutsPerHour = &puts
	}
	return a
}
