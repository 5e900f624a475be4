package lakeview

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// fleet caches the cluster list and the agents' small state objects,
// revalidating them with conditional GETs.
type fleet struct {
	v     *View
	group singleflight.Group

	mu       sync.Mutex
	clusters []string
	listedAt time.Time
	objs     map[string]*smallObject
}

type smallObject struct {
	etag    string
	data    []byte // nil: absent
	checked time.Time
	parsed  any
}

func newFleet(v *View) *fleet { return &fleet{v: v, objs: map[string]*smallObject{}} }

func (f *fleet) list(ctx context.Context, maxAge time.Duration) ([]string, error) {
	f.mu.Lock()
	ids, at := f.clusters, f.listedAt
	f.mu.Unlock()
	if !at.IsZero() && f.v.cfg.Now().Sub(at) < maxAge {
		return ids, nil
	}
	res, err, _ := f.group.Do("clusters", func() (any, error) {
		ids, err := lake.Clusters(ctx, f.v.cfg.Bucket)
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == lake.GlobalCluster })
		sort.Strings(ids)
		f.mu.Lock()
		f.clusters, f.listedAt = ids, f.v.cfg.Now()
		f.mu.Unlock()
		return ids, nil
	})
	if err != nil {
		return nil, err
	}
	return res.([]string), nil
}

// Clusters lists the registered cluster ids, sorted.
func (v *View) Clusters(ctx context.Context) ([]string, error) {
	return v.fleet.list(ctx, v.cfg.ClusterListTTL)
}

func (f *fleet) known(ctx context.Context, id string) (bool, error) {
	ids, err := f.list(ctx, f.v.cfg.ClusterListTTL)
	if err != nil {
		return false, err
	}
	if _, ok := slices.BinarySearch(ids, id); ok {
		return true, nil
	}
	// A cluster registered since the last listing shows up within 5 s.
	ids, err = f.list(ctx, 5*time.Second)
	if err != nil {
		return false, err
	}
	_, ok := slices.BinarySearch(ids, id)
	return ok, nil
}

// get returns a small JSON object decoded into T, or nil when absent.
func getSmall[T any](ctx context.Context, f *fleet, key string) (*T, error) {
	f.mu.Lock()
	o := f.objs[key]
	f.mu.Unlock()
	now := f.v.cfg.Now()
	if o != nil && now.Sub(o.checked) < f.v.cfg.CurrentTTL {
		p, _ := o.parsed.(*T)
		return p, nil
	}
	res, err, _ := f.group.Do("obj/"+key, func() (any, error) {
		etag := ""
		if o != nil && o.data != nil {
			etag = o.etag
		}
		data, info, err := f.v.cfg.Bucket.Get(ctx, key, etag)
		n := &smallObject{checked: f.v.cfg.Now()}
		switch {
		case store.IsNotModified(err):
			n.etag, n.data, n.parsed = o.etag, o.data, o.parsed
		case store.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", key, err)
		default:
			var t T
			if err := json.Unmarshal(data, &t); err != nil {
				f.v.cfg.Logger.Warn("lakeview: unreadable state object", "key", key, "error", err)
				n.etag, n.data = info.ETag, data // remember, so we do not refetch it every time
			} else {
				n.etag, n.data, n.parsed = info.ETag, data, &t
			}
		}
		f.mu.Lock()
		f.objs[key] = n
		f.mu.Unlock()
		return n, nil
	})
	if err != nil {
		return nil, err
	}
	p, _ := res.(*smallObject).parsed.(*T)
	return p, nil
}

// ClusterInfo is one cluster's registration and agent liveness.
type ClusterInfo struct {
	ID string `json:"id"`
	// Status is the agent's liveness: online, stale (late, or it cannot
	// reach its API server) or offline; see health for the thresholds.
	Status              string     `json:"status"`
	Online              bool       `json:"online"`
	LastHeartbeat       *time.Time `json:"last_heartbeat,omitempty"`
	HeartbeatAgeSeconds *float64   `json:"heartbeat_age_seconds,omitempty"`
	// HeartbeatIntervalSeconds is how often the agent writes at the least.
	HeartbeatIntervalSeconds int        `json:"heartbeat_interval_seconds,omitempty"`
	Agent                    string     `json:"agent,omitempty"`
	AgentVersion             string     `json:"agent_version,omitempty"`
	AgentStartedAt           *time.Time `json:"agent_started_at,omitempty"`
	// AgentStopped is set when the agent released its lease (a clean stop)
	// and no successor took it yet.
	AgentStopped      bool       `json:"agent_stopped,omitempty"`
	KubernetesVersion string     `json:"kubernetes_version,omitempty"`
	KubeAPIDownSince  *time.Time `json:"kube_api_down_since,omitempty"`
	Synced            bool       `json:"synced"`
	LastFlush         *time.Time `json:"last_flush,omitempty"`
	LastCheckpoint    *time.Time `json:"last_checkpoint,omitempty"`
	SpoolBytes        int64      `json:"spool_bytes"`
	SpoolFull         bool       `json:"spool_full,omitempty"`
	Errors            int64      `json:"errors"`
	LastError         string     `json:"last_error,omitempty"`
	LastErrorAt       *time.Time `json:"last_error_at,omitempty"`
	// StateUpdatedAt is when the summary shown was computed.
	StateUpdatedAt *time.Time `json:"state_updated_at,omitempty"`
	// Watched is true while the agent publishes a tail (someone watches
	// the cluster): lists are then seconds behind, as DataAsOf says.
	Watched bool `json:"watched"`
	// DataAsOf is the moment the cluster's lists reflect: the tail's
	// moment while watched, else the moment before which the agent had
	// stored every row (its heartbeat's complete_until).
	DataAsOf *time.Time `json:"data_as_of,omitempty"`
}

// Reason explains a health status. Code is stable (the dashboard
// translates by it); Params carry its values; Message is English.
type Reason struct {
	Severity string         `json:"severity"`
	Code     string         `json:"code"`
	Message  string         `json:"message"`
	Params   map[string]any `json:"params,omitempty"`
}

// Health is a cluster's status with reasons.
type Health struct {
	Status  string   `json:"status"` // healthy | degraded | critical | stale | offline | unknown
	Reasons []Reason `json:"reasons"`
}

// Summary is a cluster at a glance (the agent's summary plus derived counts).
type Summary struct {
	lake.Summary
	Namespaces int `json:"namespaces"`
}

type clusterState struct {
	info    ClusterInfo
	current *lake.CurrentState // the freshest: the tail's while watched
	health  Health
}

// Liveness thresholds, in heartbeat intervals I (current.json carries I;
// 3 min by default): a heartbeat older than I + lateSlack is late (the
// cluster is stale), older than offlineAfter intervals the agent is
// offline — by then a standby replica has taken over (its lease lasts
// three intervals by default).
const (
	lateSlack    = 60 * time.Second
	offlineAfter = 3
)

func (v *View) clusterState(ctx context.Context, id string) (clusterState, error) {
	var cur *lake.CurrentState
	var tail *lake.TailManifest
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		cur, err = getSmall[lake.CurrentState](gctx, v.fleet, lake.ClusterKey(id, lake.CurrentKey))
		return err
	})
	g.Go(func() (err error) { tail, err = v.e.Tail(gctx, id); return err })
	if err := g.Wait(); err != nil {
		return clusterState{}, err
	}
	now := v.cfg.Now()
	info := ClusterInfo{ID: id}
	var hb *lake.HeartbeatState
	if cur != nil {
		hb = cur.Heartbeat
		info.AgentStopped = cur.Lease != nil && cur.Lease.Holder == ""
	}
	if tail != nil {
		info.Watched = true
		t := tail.AsOf.UTC()
		info.DataAsOf = &t
		if tail.Current != nil && (cur == nil || tail.AsOf.After(cur.GeneratedAt)) {
			// The tail is newer: its state and heartbeat are what the
			// agent holds now, and what the lists show.
			cur = tail.Current
			if cur.Heartbeat != nil {
				hb = cur.Heartbeat
			}
			info.AgentStopped = false
		}
	}
	if hb != nil {
		ts := hb.TS.UTC()
		age := now.Sub(ts).Seconds()
		info.LastHeartbeat, info.HeartbeatAgeSeconds = &ts, &age
		info.HeartbeatIntervalSeconds = hb.IntervalSeconds
		info.Agent, info.AgentVersion, info.KubernetesVersion = hb.Agent.Instance, hb.Agent.Version, hb.Agent.KubernetesVersion
		if !hb.Agent.StartedAt.IsZero() {
			st := hb.Agent.StartedAt.UTC()
			info.AgentStartedAt = &st
		}
		info.Synced, info.LastFlush, info.LastCheckpoint = hb.Synced, hb.LastFlush, hb.LastCheckpoint
		info.SpoolBytes, info.SpoolFull = hb.Spool.Bytes, hb.Spool.Full
		info.Errors, info.LastError, info.LastErrorAt = hb.Errors, hb.LastError, hb.LastErrorAt
		info.KubeAPIDownSince = hb.KubeAPIDownSince
		if c := hb.CompleteUntil; c != nil && (info.DataAsOf == nil || c.After(*info.DataAsOf)) {
			t := c.UTC()
			info.DataAsOf = &t
		}
	}
	info.Status = liveness(info, now)
	info.Online = info.Status == "online" || info.Status == "stale"
	if cur != nil {
		ts := cur.GeneratedAt.UTC()
		info.StateUpdatedAt = &ts
		if info.KubernetesVersion == "" {
			info.KubernetesVersion = cur.Agent.KubernetesVersion
		}
	}
	return clusterState{info: info, current: cur, health: health(info, cur, now)}, nil
}

// liveness is online, stale (heartbeat late, or the agent cannot reach its
// API server), offline (no heartbeat for offlineAfter intervals, or the
// agent stopped cleanly), or "" when the agent never wrote one.
func liveness(info ClusterInfo, now time.Time) string {
	if info.LastHeartbeat == nil {
		return ""
	}
	interval := time.Duration(info.HeartbeatIntervalSeconds) * time.Second
	if interval <= 0 {
		interval = 2 * time.Minute
	}
	age := now.Sub(*info.LastHeartbeat)
	switch {
	case info.AgentStopped, age > offlineAfter*interval:
		return "offline"
	case age > interval+lateSlack, info.KubeAPIDownSince != nil:
		return "stale"
	}
	return "online"
}

func health(info ClusterInfo, cur *lake.CurrentState, now time.Time) Health {
	h := Health{Reasons: []Reason{}}
	add := func(sev, code string, params map[string]any, format string, args ...any) {
		h.Reasons = append(h.Reasons, Reason{Severity: sev, Code: code, Params: params, Message: fmt.Sprintf(format, args...)})
	}
	secs := func(d time.Duration) int64 { return int64(d.Round(time.Second) / time.Second) }
	if info.LastHeartbeat == nil && cur == nil {
		h.Status = "unknown"
		add("warning", "no_data", nil, "no heartbeat or state from this cluster's agent yet")
		return h
	}
	switch info.Status {
	case "":
		add("warning", "no_heartbeat", nil, "no heartbeat from the agent")
	case "offline":
		h.Status = "offline"
		if info.AgentStopped {
			add("critical", "agent_stopped", map[string]any{"since": info.LastHeartbeat}, "the agent stopped (released its lease) at %s", info.LastHeartbeat.Format(time.RFC3339))
		} else {
			age := now.Sub(*info.LastHeartbeat)
			add("critical", "agent_offline", map[string]any{"seconds": secs(age)}, "no heartbeat for %s", age.Round(time.Second))
		}
	case "stale":
		h.Status = "stale"
		if info.KubeAPIDownSince != nil {
			d := now.Sub(*info.KubeAPIDownSince)
			add("warning", "kube_api_unreachable", map[string]any{"seconds": secs(d)}, "the agent cannot reach the Kubernetes API server for %s: what it reports is that old", d.Round(time.Second))
		} else {
			age := now.Sub(*info.LastHeartbeat)
			add("warning", "heartbeat_late", map[string]any{"seconds": secs(age)}, "the last heartbeat is %s old (expected every %ds)", age.Round(time.Second), info.HeartbeatIntervalSeconds)
		}
	}
	if info.SpoolFull {
		add("warning", "spool_full", nil, "the agent's spool is full: rows may be lost if it stops")
	}
	if info.LastHeartbeat != nil && !info.Synced {
		add("info", "not_synced", nil, "the agent has not finished its initial sync; counts are partial")
	}
	if cur != nil {
		s := cur.Summary
		if n := s.Anomalies.Critical; n > 0 {
			add("critical", "critical_anomalies", map[string]any{"count": n}, "%d critical anomalies open", n)
		}
		if n := s.Nodes.NotReady; n > 0 {
			sev := "warning"
			if s.Nodes.Total > 0 && 2*n >= s.Nodes.Total {
				sev = "critical"
			}
			add(sev, "nodes_not_ready", map[string]any{"count": n, "total": s.Nodes.Total}, "%d of %d nodes not ready", n, s.Nodes.Total)
		}
		if n := s.Anomalies.Warning; n > 0 {
			add("warning", "warning_anomalies", map[string]any{"count": n}, "%d warning anomalies open", n)
		}
		if bad := s.Workloads.Total - s.Workloads.Healthy; bad > 0 {
			add("warning", "workloads_unhealthy", map[string]any{"count": bad, "total": s.Workloads.Total}, "%d of %d workloads unhealthy", bad, s.Workloads.Total)
		}
		if n := s.Pods.CrashLooping; n > 0 {
			add("warning", "pods_crash_looping", map[string]any{"count": n}, "%d pods crash-looping", n)
		}
		if n := s.Pods.WaitingErrors; n > 0 {
			add("warning", "pods_waiting_errors", map[string]any{"count": n}, "%d pods cannot start a container (image or configuration errors)", n)
		}
		if n := s.Pods.NotReady; n > 0 {
			add("info", "pods_not_ready", map[string]any{"count": n}, "%d pods not ready", n)
		}
		if n := s.Pods.Failed; n > 0 {
			add("info", "pods_failed", map[string]any{"count": n}, "%d pods failed", n)
		}
		if n := s.Pods.Pending; n > 0 {
			add("info", "pods_pending", map[string]any{"count": n}, "%d pods pending", n)
		}
	}
	if h.Status == "" {
		h.Status = "healthy"
		for _, r := range h.Reasons {
			switch {
			case r.Severity == "critical":
				h.Status = "critical"
			case r.Severity == "warning" && h.Status != "critical":
				h.Status = "degraded"
			}
		}
	}
	sort.SliceStable(h.Reasons, func(i, j int) bool { return sevRank(h.Reasons[i].Severity) < sevRank(h.Reasons[j].Severity) })
	return h
}

func sevRank(s string) int {
	switch s {
	case "critical":
		return 0
	case "warning":
		return 1
	}
	return 2
}

// DataAsOf is the moment a live read of cluster reflects: its tail's
// while watched, else the agent's last flush; now when unknown.
func (v *View) DataAsOf(ctx context.Context, cluster string) time.Time {
	st, err := v.clusterState(ctx, cluster)
	if err != nil || st.info.DataAsOf == nil {
		return v.cfg.Now().UTC()
	}
	return *st.info.DataAsOf
}

// Cluster returns one cluster's info.
func (v *View) Cluster(ctx context.Context, id string) (ClusterInfo, error) {
	if err := v.checkCluster(ctx, id); err != nil {
		return ClusterInfo{}, err
	}
	st, err := v.clusterState(ctx, id)
	return st.info, err
}

// ClusterList returns every cluster's info.
func (v *View) ClusterList(ctx context.Context) ([]ClusterInfo, error) {
	states, err := v.allStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ClusterInfo, len(states))
	for i, s := range states {
		out[i] = s.info
	}
	return out, nil
}

func (v *View) allStates(ctx context.Context) ([]clusterState, error) {
	ids, err := v.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	states := make([]clusterState, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i, id := range ids {
		g.Go(func() (err error) {
			states[i], err = v.clusterState(gctx, id)
			return err
		})
	}
	return states, g.Wait()
}

// AgentHeartbeat is one cluster's liveness, as the cluster list reports
// it, with the agent's whole heartbeat (nil when it wrote none).
type AgentHeartbeat struct {
	Info      ClusterInfo
	Heartbeat *lake.HeartbeatState
}

// Heartbeats returns every registered cluster's agent heartbeat, from the
// same cached, conditionally revalidated objects as the fleet views.
func (v *View) Heartbeats(ctx context.Context) ([]AgentHeartbeat, error) {
	states, err := v.allStates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AgentHeartbeat, len(states))
	for i, s := range states {
		out[i] = AgentHeartbeat{Info: s.info}
		if s.current != nil {
			out[i].Heartbeat = s.current.Heartbeat
		}
	}
	return out, nil
}

// FleetCluster is one cluster in the fleet overview.
type FleetCluster struct {
	ClusterInfo
	Health  Health   `json:"health"`
	Summary *Summary `json:"summary,omitempty"`
}

// FleetOverview is every cluster at a glance.
type FleetOverview struct {
	GeneratedAt time.Time      `json:"generated_at"`
	Totals      map[string]int `json:"totals"`
	Clusters    []FleetCluster `json:"clusters"`
}

// Fleet returns the fleet overview.
func (v *View) Fleet(ctx context.Context) (FleetOverview, error) {
	states, err := v.allStates(ctx)
	if err != nil {
		return FleetOverview{}, err
	}
	out := FleetOverview{GeneratedAt: v.cfg.Now().UTC(), Clusters: make([]FleetCluster, 0, len(states))}
	t := map[string]int{}
	for _, k := range []string{"clusters", "online", "offline", "healthy", "degraded", "critical", "stale", "unknown", "nodes", "nodes_ready", "pods", "pods_running", "pods_pending", "pods_failed", "anomalies_open", "anomalies_critical"} {
		t[k] = 0
	}
	for _, s := range states {
		fc := FleetCluster{ClusterInfo: s.info, Health: s.health}
		t["clusters"]++
		if s.info.Online {
			t["online"]++
		} else {
			t["offline"]++
		}
		// "online"/"offline" count liveness (above); a health status of
		// offline is the same cluster again, not a second one.
		if _, ok := t[s.health.Status]; ok && s.health.Status != "offline" {
			t[s.health.Status]++
		}
		if s.current != nil {
			sum := summary(s.current)
			fc.Summary = &sum
			t["nodes"] += sum.Nodes.Total
			t["nodes_ready"] += sum.Nodes.Ready
			t["pods"] += sum.Pods.Total
			t["pods_running"] += sum.Pods.Running
			t["pods_pending"] += sum.Pods.Pending
			t["pods_failed"] += sum.Pods.Failed
			t["anomalies_open"] += sum.Anomalies.Open
			t["anomalies_critical"] += sum.Anomalies.Critical
		}
		out.Clusters = append(out.Clusters, fc)
	}
	out.Totals = t
	return out, nil
}

func summary(cur *lake.CurrentState) Summary {
	return Summary{Summary: cur.Summary, Namespaces: len(cur.Namespaces)}
}

// ClusterOverview is one cluster's dashboard.
type ClusterOverview struct {
	Cluster       ClusterInfo        `json:"cluster"`
	Health        Health             `json:"health"`
	Summary       *Summary           `json:"summary"`
	Counts        map[string]int     `json:"counts"`
	OpenAnomalies []lake.OpenAnomaly `json:"open_anomalies"`
	// AnomaliesOmitted counts open anomalies beyond those listed.
	AnomaliesOmitted int    `json:"anomalies_omitted,omitempty"`
	AnomalyTrend     *Trend `json:"anomaly_trend"`
}

// Overview returns one cluster's overview with its 24 h anomaly trend.
func (v *View) Overview(ctx context.Context, id string) (ClusterOverview, error) {
	if err := v.checkCluster(ctx, id); err != nil {
		return ClusterOverview{}, err
	}
	var st clusterState
	var trend Trend
	now := v.cfg.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { st, err = v.clusterState(gctx, id); return err })
	g.Go(func() (err error) {
		trend, err = v.AnomalyTrend(gctx, []string{id}, now.Add(-24*time.Hour), now, nil)
		return err
	})
	if err := g.Wait(); err != nil {
		return ClusterOverview{}, err
	}
	out := ClusterOverview{Cluster: st.info, Health: st.health, Counts: map[string]int{}, OpenAnomalies: []lake.OpenAnomaly{}, AnomalyTrend: &trend}
	if st.current != nil {
		sum := summary(st.current)
		out.Summary = &sum
		for kind, n := range st.current.Objects {
			if k, ok := KindByName(kind); ok {
				out.Counts[k.Path] = n
			} else {
				out.Counts[kind] = n
			}
		}
		for _, a := range st.current.Anomalies {
			if a.Status == "" { // written by an agent before statuses existed
				a.Status = lake.AnomalyOpen
			}
			out.OpenAnomalies = append(out.OpenAnomalies, a)
		}
		out.AnomaliesOmitted = st.current.AnomaliesOmitted
	}
	return out, nil
}

// NamespaceSummaries returns the per-namespace counts of a cluster.
func (v *View) NamespaceSummaries(ctx context.Context, id string) ([]lake.NamespaceSummary, *time.Time, error) {
	if err := v.checkCluster(ctx, id); err != nil {
		return nil, nil, err
	}
	st, err := v.clusterState(ctx, id)
	if err != nil || st.current == nil {
		return []lake.NamespaceSummary{}, nil, err
	}
	ts := st.current.GeneratedAt.UTC()
	if st.current.Namespaces == nil {
		return []lake.NamespaceSummary{}, &ts, nil
	}
	return st.current.Namespaces, &ts, nil
}
