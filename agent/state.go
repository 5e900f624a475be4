package agent

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/anomaly"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// payload is current.json's content for the lease to publish: the
// cluster's state, the agent's heartbeat and its private state. The lease
// calls it at every renewal (each heartbeat interval), at every Publish
// and when it is released. Before the pipeline runs (a new leader still
// discovering the API), the previous holder's state is kept and only the
// heartbeat is new.
func (a *Agent) payload(ctx context.Context) (json.RawMessage, error) {
	now := a.now()
	if _, err := a.probeAPI(); err != nil {
		a.recordError("kube", err)
	}
	r := a.current()
	hb := a.heartbeatState(r, now)
	var cur lake.CurrentState
	if r != nil && r.set != nil {
		cur = r.current()
		cur.GeneratedAt = now
		state, err := json.Marshal(r.privateState(now))
		if err != nil {
			return nil, err
		}
		cur.AgentState = state
		r.heartbeatRow(&hb, now)
	} else {
		a.mu.Lock()
		prev := a.prevState
		a.mu.Unlock()
		if len(prev) == 0 || json.Unmarshal(prev, &cur) != nil {
			cur = lake.CurrentState{Cluster: a.cfg.Cluster, GeneratedAt: now}
		}
		cur.Agent = a.info(r)
		cur.Lease = nil
	}
	cur.SchemaVersion, cur.Cluster, cur.Heartbeat = lake.CurrentSchemaVersion, a.cfg.Cluster, &hb
	return json.Marshal(cur)
}

// publish rewrites current.json now. A lost lease stops the term (the
// lease cancels it); other errors are retried at the next tick.
func (r *run) publish(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	r.urgent.Store(false)
	if err := r.lease.Publish(pctx); err != nil {
		r.urgent.Store(true)
		r.a.recordError("store", err)
		r.log.Warn("cannot write current state; will retry", "error", err)
		return err
	}
	r.pubMu.Lock()
	r.lastPublished = r.a.now()
	r.pubMu.Unlock()
	return nil
}

// tick publishes current.json if something it shows urgently changed (an
// anomaly opened, changed severity or resolved, a node's readiness changed)
// and StateInterval has passed since the last write. Everything else —
// counts, last-seen times, the private state's counters — reaches it with
// the next heartbeat: a busy cluster's anomalies would otherwise rewrite
// it every few seconds.
func (r *run) tick(ctx context.Context) {
	if d := r.urgentDigest(); d != r.lastOpenDigest.Load() {
		r.urgent.Store(true)
	}
	r.pubMu.Lock()
	due := r.a.now().Sub(r.lastPublished) >= r.cfg.StateInterval
	r.pubMu.Unlock()
	if due && r.urgent.Load() {
		r.publish(ctx)
	}
}

// privateState is current.json's agent_state. The events mark only
// advances while no event row is waiting in the writer, so a crash never
// leaves the mark ahead of rows that did not reach the store or spool.
func (r *run) privateState(now time.Time) persisted {
	r.lastOpenDigest.Store(r.urgentDigest())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w.Buffered()[lake.Events.Name()] == 0 && r.w.Stats().PendingObjects == 0 {
		keys := make([]string, 0, len(r.hwmKeys))
		for k := range r.hwmKeys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		r.stateHWM, r.stateKeys = r.eventsHWM, keys
	}
	return persisted{SchemaVersion: persistedVersion, Instance: r.cfg.Instance, SavedAt: now,
		EventsUntil: r.stateHWM, EventsAt: r.stateKeys, Anomalies: r.engine.Snapshot()}
}

// heartbeatRow adds a heartbeats row, one per heartbeat interval: urgent
// writes in between are not heartbeats of their own.
func (r *run) heartbeatRow(hb *lake.HeartbeatState, now time.Time) {
	r.pubMu.Lock()
	due := now.Sub(r.lastHeartbeatRow) >= r.cfg.HeartbeatInterval/2
	if due {
		r.lastHeartbeatRow = now
	}
	r.pubMu.Unlock()
	if !due {
		return
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
	if op := a.cfg.Operations; op != nil {
		info.Operations = &lake.OperationsInfo{Actions: op.Allow.Actions, Namespaces: op.Allow.Namespaces,
			KeyIDs: slices.Sorted(maps.Keys(op.Keys))}
		if info.Operations.Actions == nil {
			for _, x := range kinds.Actions() {
				info.Operations.Actions = append(info.Operations.Actions, x.Name)
			}
		}
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
	sv, err := a.cfg.Kube.ServerVersion()
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
	a.mu.Lock()
	if !a.apiDownSince.IsZero() {
		t := a.apiDownSince.UTC()
		hb.KubeAPIDownSince = &t
	}
	a.mu.Unlock()
	req := a.meter.Requests()
	hb.Requests = &req
	if r != nil {
		hb.Synced = r.synced.Load()
		ws := r.w.Stats()
		if !ws.LastFlush.IsZero() {
			t := ws.LastFlush.UTC()
			hb.LastFlush = &t
		}
		complete := ws.CompleteUntil.UTC()
		hb.CompleteUntil = &complete
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
	workload := func(namespace string, healthy, below bool) {
		for _, c := range []*lake.WorkloadCounts{&sum.Workloads, &nsOf(namespace).Workloads} {
			c.Total++
			if healthy {
				c.Healthy++
			}
			if below {
				c.BelowDesired++
			}
		}
	}
	for _, o := range r.set.List(rows.KindDeployment) {
		d := o.(*appsv1.Deployment)
		below := d.Status.AvailableReplicas < replicas(d.Spec.Replicas)
		workload(d.Namespace, !below && !rows.DeploymentProgressDeadlineExceeded(d), below)
	}
	for _, o := range r.set.List(rows.KindStatefulSet) {
		s := o.(*appsv1.StatefulSet)
		below := s.Status.ReadyReplicas < replicas(s.Spec.Replicas)
		workload(s.Namespace, !below, below)
	}
	for _, o := range r.set.List(rows.KindDaemonSet) {
		d := o.(*appsv1.DaemonSet)
		below := d.Status.NumberUnavailable > 0 || d.Status.NumberReady < d.Status.DesiredNumberScheduled
		workload(d.Namespace, !below, below)
	}
	for _, o := range r.set.List(rows.KindReplicaSet) {
		s := o.(*appsv1.ReplicaSet)
		if ref := metav1.GetControllerOf(s); ref != nil && ref.Kind == rows.KindDeployment {
			continue
		}
		below := s.Status.AvailableReplicas < replicas(s.Spec.Replicas)
		workload(s.Namespace, !below, below)
	}
	for _, o := range r.set.List(rows.KindJob) {
		j := o.(*batchv1.Job)
		if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == rows.KindCronJob {
			continue
		}
		workload(j.Namespace, rows.JobStatus(j) != "Failed", false)
	}
	for _, o := range r.set.List(rows.KindCronJob) {
		c := o.(*batchv1.CronJob)
		last := anomaly.LastFinishedJob(r.jobsOf(c))
		workload(c.Namespace, last == nil || rows.JobStatus(last) != "Failed", false)
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
	} else if p.Phase != string(corev1.PodSucceeded) && p.Phase != string(corev1.PodFailed) {
		c.NotReady++
	}
	c.Restarts += int64(p.Restarts)
	crash, waitErr := false, false
	for _, ct := range p.Containers {
		if ct.State != "waiting" {
			continue
		}
		switch ct.Reason {
		case "CrashLoopBackOff":
			crash = true
		case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
			"CreateContainerError", "RunContainerError", "ErrImageNeverPull":
			waitErr = true
		}
	}
	if crash {
		c.CrashLooping++
	}
	if waitErr {
		c.WaitingErrors++
	}
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

// urgentDigest sums up what makes current.json different enough to
// rewrite at once: which anomalies are open and how severe, and which
// nodes are ready and schedulable. Whether an open anomaly's condition
// still holds waits for the heartbeat (or the tail, while watched): a
// crash loop flips it at every back-off.
func (r *run) urgentDigest() uint64 {
	h := fnv.New64a()
	for _, a := range r.engine.Open() {
		h.Write([]byte(a.Fingerprint))
		h.Write([]byte{0})
		h.Write([]byte(a.Severity))
		h.Write([]byte{1})
	}
	sum := h.Sum64()
	if r.set != nil {
		// The informer lists in no particular order: add up per-node
		// hashes instead of chaining them.
		for _, o := range r.set.List(rows.KindNode) {
			n := o.(*corev1.Node)
			nh := fnv.New64a()
			nh.Write([]byte(n.Name))
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady {
					nh.Write([]byte(c.Status))
				}
			}
			if n.Spec.Unschedulable {
				nh.Write([]byte{2})
			}
			sum += nh.Sum64()
		}
	}
	return sum
}
