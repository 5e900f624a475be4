package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// storeUnconditional: state objects are plain puts; the leader lease is
// what keeps a second writer away.
var storeUnconditional = store.Condition{}

// tick rewrites current.json if what it shows changed, and
// agent-state.json if the anomaly state or the events high-water mark
// moved. force skips the "nothing changed" shortcut of current.json's
// recomputation (not its comparison).
func (r *run) tick(ctx context.Context, force bool) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	now := r.a.now()
	due := force || r.urgent.Load() || now.Sub(r.lastPublished) >= r.cfg.CurrentInterval
	if r.set != nil && due && (force || r.dirty.Load()) {
		r.urgent.Store(false)
		r.dirty.Store(false)
		r.lastPublished = now
		r.publishCurrent(ctx)
	}
	r.persist(ctx, force)
}

func (r *run) publishCurrent(ctx context.Context) {
	cur := r.current()
	cur.GeneratedAt = time.Time{}
	cmp, err := json.Marshal(cur)
	if err != nil {
		r.a.recordError("state", err)
		return
	}
	if bytes.Equal(cmp, r.lastCurrent) {
		return
	}
	cur.GeneratedAt = r.a.now()
	data, _ := json.Marshal(cur)
	key := lake.ClusterKey(r.cfg.Cluster, lake.CurrentKey)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := r.a.bucket.Put(pctx, key, data, storeUnconditional); err != nil {
		r.a.recordError("store", err)
		r.log.Warn("cannot write current state; will retry", "key", key, "error", err)
		r.dirty.Store(true)
		r.urgent.Store(true)
		return
	}
	r.lastCurrent = cmp
}

// persistEvery spaces saves of agent-state.json for the events mark alone:
// after a crash, a stale mark re-records at most a few minutes of events.
// Changes to open anomalies are saved within StateInterval.
const persistEvery = 5 * time.Minute

// persist writes agent-state.json when it changed. The events mark only
// advances while no event row is waiting in the writer, so a crash never
// leaves the mark ahead of rows that did not reach the store or spool.
func (r *run) persist(ctx context.Context, force bool) {
	_, open := r.engine.Version()
	hwm, keys := r.lastStateHWM, r.lastStateKeys
	if r.w.Buffered()[lake.Events.Name()] == 0 && r.w.Stats().PendingObjects == 0 {
		r.mu.Lock()
		hwm, keys = r.eventsHWM, make([]string, 0, len(r.hwmKeys))
		for k := range r.hwmKeys {
			keys = append(keys, k)
		}
		r.mu.Unlock()
		sort.Strings(keys)
	}
	changed := !hwm.Equal(r.lastStateHWM) || !slices.Equal(keys, r.lastStateKeys)
	now := r.a.now()
	switch {
	case force, open != r.lastOpenVer:
	case changed && now.Sub(r.lastPersist) >= persistEvery:
	default:
		return
	}
	p := persisted{SchemaVersion: persistedVersion, Cluster: r.cfg.Cluster, Instance: r.cfg.Instance,
		SavedAt: now, EventsUntil: hwm, EventsAt: keys, Anomalies: r.engine.Snapshot()}
	data, err := json.Marshal(p)
	if err != nil {
		r.a.recordError("state", err)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := r.a.bucket.Put(pctx, lake.ClusterKey(r.cfg.Cluster, StateKey), data, storeUnconditional); err != nil {
		r.a.recordError("store", err)
		r.log.Warn("cannot save agent state; will retry", "error", err)
		return
	}
	r.lastOpenVer, r.lastStateHWM, r.lastStateKeys, r.lastPersist = open, hwm, keys, now
}

// heartbeat writes heartbeat.json and a heartbeats row.
func (r *run) heartbeat(ctx context.Context) {
	now := r.a.now()
	r.lastHeartbeat = now
	if _, err := r.a.probeAPI(); err != nil {
		r.a.recordError("kube", err)
	}
	hb := r.a.heartbeatState(r, now)
	data, _ := json.Marshal(hb)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := r.a.bucket.Put(pctx, lake.ClusterKey(r.cfg.Cluster, lake.HeartbeatKey), data, storeUnconditional); err != nil {
		r.a.recordError("store", err)
		r.log.Warn("cannot write heartbeat; will retry", "error", err)
	}
	lake.Add(r.w, lake.Heartbeats, lake.Heartbeat{
		TS: now, Agent: r.cfg.Instance, Version: Version, StartedAt: r.a.started.UTC(), LastFlush: hb.LastFlush,
		SpoolBytes: hb.Spool.Bytes, SpoolObjects: int32(hb.Spool.Objects), WatchedObjects: hb.WatchedObjects,
		Nodes: int32(hb.Objects[rows.KindNode]), Pods: int32(hb.Objects[rows.KindPod]), Errors: hb.Errors, LastError: hb.LastError,
	})
}

func (a *Agent) info(r *run) lake.AgentInfo {
	info := lake.AgentInfo{Instance: a.cfg.Instance, Version: Version, StartedAt: a.started.UTC()}
	if r != nil && r.set != nil {
		info.Skipped = r.set.Skipped()
	}
	if v, err := a.kubeVersion(); err == nil {
		info.KubernetesVersion = v
	}
	return info
}

func (a *Agent) kubeVersion() (string, error) {
	a.mu.Lock()
	v := a.kubeVer
	a.mu.Unlock()
	if v != "" {
		return v, nil
	}
	return a.probeAPI()
}

// probeAPI asks the API server its version (one small GET, allowed to
// everyone) and logs when it stops or starts answering: client-go itself
// retries broken watches silently at the default log level, so without
// this an API server outage would leave no trace.
func (a *Agent) probeAPI() (string, error) {
	sv, err := a.cfg.Kube.Discovery().ServerVersion()
	now := a.cfg.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		if a.apiDownSince.IsZero() {
			a.apiDownSince = now
			a.log.Warn("API server not answering; informers retry with backoff", "error", err)
		}
		return "", err
	}
	if !a.apiDownSince.IsZero() {
		a.log.Info("API server answering again", "down_for", now.Sub(a.apiDownSince).Round(time.Second), "version", sv.GitVersion)
		a.apiDownSince = time.Time{}
	}
	a.kubeVer = sv.GitVersion
	return sv.GitVersion, nil
}

func (a *Agent) heartbeatState(r *run, now time.Time) lake.HeartbeatState {
	hb := lake.HeartbeatState{SchemaVersion: lake.HeartbeatSchemaVersion, Cluster: a.cfg.Cluster, TS: now,
		IntervalSeconds: int(a.cfg.HeartbeatInterval / time.Second), Agent: a.info(r),
		UptimeSeconds: int64(now.Sub(a.started) / time.Second)}
	req := a.meter.Requests()
	hb.Requests = &req
	if r != nil {
		hb.Synced = r.synced.Load()
		ws := r.w.Stats()
		if !ws.LastFlush.IsZero() {
			t := ws.LastFlush.UTC()
			hb.LastFlush = &t
		}
		hb.Written = lake.WrittenInfo{Rows: ws.Rows, Objects: ws.Objects, Bytes: ws.Bytes}
		r.cpMu.Lock()
		if !r.lastCheckpoint.IsZero() {
			t := r.lastCheckpoint
			hb.LastCheckpoint = &t
		}
		r.cpMu.Unlock()
		if r.set != nil {
			hb.Objects = r.set.Counts()
			for kind, n := range hb.Objects {
				hb.WatchedObjects += int64(n)
				if n == 0 {
					delete(hb.Objects, kind) // absent means none: the object stays small
				}
			}
		}
	}
	sp := a.spoolStats()
	hb.Spool = lake.SpoolInfo{Objects: sp.Objects, Bytes: sp.Bytes, MaxBytes: sp.MaxBytes, Full: sp.Full}
	if !sp.Oldest.IsZero() {
		t := sp.Oldest.UTC()
		hb.Spool.Oldest = &t
	}
	if a.cfg.Collectors != nil {
		n, stale := a.cfg.Collectors(now)
		hb.Collectors = &lake.CollectorInfo{Nodes: n, Stale: stale}
	}
	n, last, at := a.errorState()
	hb.Errors, hb.LastError = n, last
	if !at.IsZero() {
		hb.LastErrorAt = &at
	}
	return hb
}

// current computes current.json from the informer caches and the engine.
func (r *run) current() lake.CurrentState {
	cur := lake.CurrentState{SchemaVersion: lake.CurrentSchemaVersion, Cluster: r.cfg.Cluster, Agent: r.a.info(r),
		Objects: r.set.Counts()}
	ns := map[string]*lake.NamespaceSummary{}
	nsOf := func(name string) *lake.NamespaceSummary {
		s := ns[name]
		if s == nil {
			s = &lake.NamespaceSummary{Name: name}
			ns[name] = s
		}
		return s
	}
	for _, o := range r.set.List(rows.KindNamespace) {
		n := o.(*corev1.Namespace)
		nsOf(n.Name).Phase = string(n.Status.Phase)
	}
	sum := &cur.Summary
	for _, o := range r.set.List(rows.KindNode) {
		n := o.(*corev1.Node)
		row := rows.Node(n, lake.Meta{})
		sum.Nodes.Total++
		if row.Ready {
			sum.Nodes.Ready++
		} else {
			sum.Nodes.NotReady++
		}
		if row.Unschedulable {
			sum.Nodes.Unschedulable++
		}
		sum.Resources.CPUAllocatableMilli += row.CPUAllocMilli
		sum.Resources.MemAllocatableBytes += row.MemAllocBytes
	}
	for _, c := range r.set.Cached(rows.KindPod) {
		p := c.Object.(*corev1.Pod)
		row := rows.PodWith(p, lake.Meta{}, c.PodResources())
		for _, c := range []*lake.PodCounts{&sum.Pods, &nsOf(p.Namespace).Pods} {
			countPod(c, &row)
		}
		if row.Phase != string(corev1.PodSucceeded) && row.Phase != string(corev1.PodFailed) {
			sum.Resources.CPURequestMilli += row.CPURequestMilli
			sum.Resources.MemRequestBytes += row.MemRequestBytes
			sum.Resources.CPULimitMilli += row.CPULimitMilli
			sum.Resources.MemLimitBytes += row.MemLimitBytes
		}
	}
	workload := func(namespace string, healthy bool) {
		for _, c := range []*lake.WorkloadCounts{&sum.Workloads, &nsOf(namespace).Workloads} {
			c.Total++
			if healthy {
				c.Healthy++
			}
		}
	}
	for _, o := range r.set.List(rows.KindDeployment) {
		d := o.(*appsv1.Deployment)
		workload(d.Namespace, d.Status.AvailableReplicas >= replicas(d.Spec.Replicas) && !rows.DeploymentProgressDeadlineExceeded(d))
	}
	for _, o := range r.set.List(rows.KindStatefulSet) {
		s := o.(*appsv1.StatefulSet)
		workload(s.Namespace, s.Status.ReadyReplicas >= replicas(s.Spec.Replicas))
	}
	for _, o := range r.set.List(rows.KindDaemonSet) {
		d := o.(*appsv1.DaemonSet)
		workload(d.Namespace, d.Status.NumberUnavailable == 0 && d.Status.NumberReady >= d.Status.DesiredNumberScheduled)
	}
	for _, o := range r.set.List(rows.KindReplicaSet) {
		s := o.(*appsv1.ReplicaSet)
		if ref := metav1.GetControllerOf(s); ref != nil && ref.Kind == rows.KindDeployment {
			continue
		}
		workload(s.Namespace, s.Status.AvailableReplicas >= replicas(s.Spec.Replicas))
	}
	for _, o := range r.set.List(rows.KindJob) {
		j := o.(*batchv1.Job)
		if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == rows.KindCronJob {
			continue
		}
		workload(j.Namespace, rows.JobStatus(j) != "Failed")
	}
	for _, o := range r.set.List(rows.KindCronJob) {
		c := o.(*batchv1.CronJob)
		last := anomaly.LastFinishedJob(r.jobsOf(c))
		workload(c.Namespace, last == nil || rows.JobStatus(last) != "Failed")
	}
	for _, o := range r.set.List(rows.KindService) {
		nsOf(o.(*corev1.Service).Namespace).Services++
	}
	open := r.engine.Open()
	for _, a := range open {
		countAnomaly(&sum.Anomalies, a.Severity)
		if a.Namespace != "" { // cluster-scoped objects count in the summary only
			countAnomaly(&nsOf(a.Namespace).Anomalies, a.Severity)
		}
	}
	delete(ns, "")
	if len(open) > lake.MaxCurrentAnomalies {
		cur.AnomaliesOmitted = len(open) - lake.MaxCurrentAnomalies
		open = open[:lake.MaxCurrentAnomalies]
	}
	cur.Anomalies = open
	if cur.Anomalies == nil {
		cur.Anomalies = []lake.OpenAnomaly{}
	}
	cur.Namespaces = make([]lake.NamespaceSummary, 0, len(ns))
	for _, s := range ns {
		cur.Namespaces = append(cur.Namespaces, *s)
	}
	sort.Slice(cur.Namespaces, func(i, j int) bool { return cur.Namespaces[i].Name < cur.Namespaces[j].Name })
	return cur
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func countPod(c *lake.PodCounts, p *lake.Pod) {
	c.Total++
	switch corev1.PodPhase(p.Phase) {
	case corev1.PodRunning:
		c.Running++
	case corev1.PodPending:
		c.Pending++
	case corev1.PodSucceeded:
		c.Succeeded++
	case corev1.PodFailed:
		c.Failed++
	default:
		c.Unknown++
	}
	if p.Ready {
		c.Ready++
	}
	c.Restarts += int64(p.Restarts)
}

func countAnomaly(c *lake.AnomalyCounts, sev string) {
	c.Open++
	switch sev {
	case anomaly.Critical:
		c.Critical++
	case anomaly.Warning:
		c.Warning++
	case anomaly.Info:
		c.Info++
	}
}
