// Package fleetgen writes a synthetic but realistic fleet history into a
// lake with the real lake writers: hourly checkpoints of every state
// table, pod churn (restarts, rollouts, deletions), anomalies that open
// and resolve, Warning events, node metrics, object details, and each
// cluster's current-state and heartbeat objects. The API's tests and
// benchmark use it where days of history must be made in seconds.
package fleetgen

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
)

// Spec sizes a fleet.
type Spec struct {
	Clusters, Nodes, Pods, Namespaces int
	// History spans [End-Hours, End); checkpoints at every hour.
	End   time.Time
	Hours int
	// ChurnPerHour pod changes per cluster-hour; AnomaliesPerHour opened.
	ChurnPerHour, AnomaliesPerHour int
	// MetricHours of node metrics at MetricEvery before End (0: none).
	MetricHours int
	MetricEvery time.Duration
	// DetailHours of object_details before End (daily rows + changes).
	DetailHours int
	Seed        uint64
	Parallel    int
}

// ClusterID names cluster i.
func ClusterID(i int) string { return fmt.Sprintf("cluster-%02d", i) }

// Generate writes the fleet.
func Generate(ctx context.Context, b store.Bucket, s Spec) error {
	if s.Parallel <= 0 {
		s.Parallel = 2
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.Parallel)
	for i := 0; i < s.Clusters; i++ {
		g.Go(func() error { return genCluster(gctx, b, s, i) })
	}
	return g.Wait()
}

type pod struct {
	lake.Pod
}

type clusterGen struct {
	s     Spec
	id    string
	rnd   *rand.Rand
	w     *lake.Writer
	nodes []lake.Node
	pods  map[string]*lake.Pod // uid -> pod
	wl    []lake.Workload
	objs  []lake.Object
	seq   int
	open  map[string]lake.Anomaly
}

func genCluster(ctx context.Context, b store.Bucket, s Spec, i int) error {
	id := ClusterID(i)
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: id, Writer: "agent", Sink: lake.StoreSink{Bucket: b}, MaxRows: 10_000_000, MaxBytes: 1 << 30, MaxAge: time.Hour})
	if err != nil {
		return err
	}
	c := &clusterGen{s: s, id: id, rnd: rand.New(rand.NewPCG(s.Seed, uint64(i))), w: w, pods: map[string]*lake.Pod{}, open: map[string]lake.Anomaly{}}
	start := s.End.Add(-time.Duration(s.Hours) * time.Hour).Truncate(time.Hour)
	c.initial(start)
	for h := 0; h < s.Hours; h++ {
		t0 := start.Add(time.Duration(h) * time.Hour)
		if !t0.Before(s.End) {
			break
		}
		if err := c.checkpoint(ctx, t0); err != nil {
			return err
		}
		c.hour(t0)
		if err := w.Flush(ctx); err != nil {
			return err
		}
	}
	if err := c.metrics(ctx); err != nil {
		return err
	}
	return c.stateObjects(ctx, b)
}

func (c *clusterGen) uid() string {
	c.seq++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", c.rnd.Uint32(), c.seq)
}

func meta(ts time.Time, op, kind, ns, name, uid string, created time.Time) lake.Meta {
	cr := created
	return lake.Meta{TS: ts, Op: op, Kind: kind, Namespace: ns, Name: name, UID: uid, ResourceVersion: fmt.Sprint(ts.UnixMilli()), CreatedAt: &cr}
}

func (c *clusterGen) initial(t time.Time) {
	created := t.Add(-30 * 24 * time.Hour)
	for n := 0; n < c.s.Nodes; n++ {
		c.nodes = append(c.nodes, lake.Node{Meta: meta(t, lake.OpAdd, "Node", "", fmt.Sprintf("node-%03d", n), c.uid(), created),
			Ready: true, ReadyStatus: "True", Roles: []string{"worker"}, CPUCapacityMilli: 16000, MemCapacityBytes: 64 << 30, PodsCapacity: 110,
			CPUAllocMilli: 15800, MemAllocBytes: 62 << 30, PodsAlloc: 110, KubeletVersion: "v1.37.2", OSImage: "Debian GNU/Linux 13", Architecture: "amd64",
			InternalIP: fmt.Sprintf("10.0.%d.%d", n/250, n%250+1), Zone: fmt.Sprintf("zone-%c", 'a'+n%3)})
	}
	for ns := 0; ns < c.s.Namespaces; ns++ {
		name := fmt.Sprintf("team-%02d", ns)
		c.objs = append(c.objs, lake.Object{Meta: meta(t, lake.OpAdd, "Namespace", "", name, c.uid(), created), Phase: "Active"},
			lake.Object{Meta: meta(t, lake.OpAdd, "Service", name, "web", c.uid(), created), Type: "ClusterIP", ClusterIP: "10.96.0.1", Ports: []string{"80/TCP"}},
			lake.Object{Meta: meta(t, lake.OpAdd, "ConfigMap", name, "settings", c.uid(), created)},
			lake.Object{Meta: meta(t, lake.OpAdd, "Secret", name, "credentials", c.uid(), created), SecretType: "Opaque"})
	}
	perNS := max(1, c.s.Pods/max(1, c.s.Namespaces))
	deploys := max(1, perNS/10)
	for p := 0; p < c.s.Pods; p++ {
		ns := fmt.Sprintf("team-%02d", p%c.s.Namespaces)
		d := (p / c.s.Namespaces) % deploys
		c.addPod(t, ns, fmt.Sprintf("app-%02d", d), created)
	}
	for ns := 0; ns < c.s.Namespaces; ns++ {
		for d := 0; d < deploys; d++ {
			name := fmt.Sprintf("app-%02d", d)
			c.wl = append(c.wl, lake.Workload{Meta: meta(t, lake.OpAdd, "Deployment", fmt.Sprintf("team-%02d", ns), name, c.uid(), created),
				Desired: 10, Current: 10, Ready: 10, Available: 10, Updated: 10, Strategy: "RollingUpdate", Images: []string{"registry.example/" + name + ":1.0"}})
		}
	}
}

func (c *clusterGen) addPod(t time.Time, ns, deploy string, created time.Time) *lake.Pod {
	uid := c.uid()
	node := c.nodes[c.rnd.IntN(len(c.nodes))].Name
	p := &lake.Pod{Meta: meta(t, lake.OpAdd, "Pod", ns, fmt.Sprintf("%s-%s", deploy, uid[:8]), uid, created), Phase: "Running", Node: node,
		QOSClass: "Burstable", PodIP: fmt.Sprintf("10.244.%d.%d", c.rnd.IntN(250), c.rnd.IntN(250)), Ready: true, Scheduled: true,
		ReadyContainers: 1, TotalContainers: 1, CPURequestMilli: 100, MemRequestBytes: 128 << 20, ServiceAccount: "default",
		Containers: []lake.Container{{Name: deploy, Image: "registry.example/" + deploy + ":1.0", Ready: true, State: "running", CPURequestMilli: 100, MemRequestBytes: 128 << 20}}}
	p.Labels = map[string]string{"app": deploy, "tier": []string{"frontend", "backend", "batch"}[c.rnd.IntN(3)]}
	p.OwnerKind, p.OwnerName = "ReplicaSet", deploy+"-5d8f"
	c.pods[uid] = p
	return p
}

func (c *clusterGen) sortedPods() []*lake.Pod {
	out := make([]*lake.Pod, 0, len(c.pods))
	for _, p := range c.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out
}

func (c *clusterGen) checkpoint(ctx context.Context, t time.Time) error {
	pods := make([]lake.Pod, 0, len(c.pods))
	for _, p := range c.sortedPods() {
		r := *p
		r.TS, r.Op = t, lake.OpCheckpoint
		pods = append(pods, r)
	}
	nodes := make([]lake.Node, len(c.nodes))
	for i, n := range c.nodes {
		n.TS, n.Op = t, lake.OpCheckpoint
		nodes[i] = n
	}
	wl := make([]lake.Workload, len(c.wl))
	for i, x := range c.wl {
		x.TS, x.Op = t, lake.OpCheckpoint
		wl[i] = x
	}
	objs := make([]lake.Object, len(c.objs))
	for i, x := range c.objs {
		x.TS, x.Op = t, lake.OpCheckpoint
		objs[i] = x
	}
	if err := lake.WriteNow(ctx, c.w, lake.Pods, pods); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, c.w, lake.Nodes, nodes); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, c.w, lake.Workloads, wl); err != nil {
		return err
	}
	if err := lake.WriteNow(ctx, c.w, lake.Objects, objs); err != nil {
		return err
	}
	hb := lake.Heartbeat{TS: t, Agent: "agent-0", Version: "fleetgen", StartedAt: t.Add(-time.Hour), Nodes: int32(len(c.nodes)), Pods: int32(len(c.pods))}
	lake.Add(c.w, lake.Heartbeats, hb)
	if c.s.DetailHours > 0 && !t.Before(c.s.End.Add(-time.Duration(c.s.DetailHours)*time.Hour)) && (t.Hour() == 0 || t.Equal(c.s.End.Add(-time.Duration(c.s.DetailHours)*time.Hour).Truncate(time.Hour))) {
		for _, p := range c.sortedPods() {
			c.detail(t, p, lake.OpCheckpoint)
		}
	}
	return nil
}

func (c *clusterGen) detail(t time.Time, p *lake.Pod, op string) {
	if c.s.DetailHours == 0 || t.Before(c.s.End.Add(-time.Duration(c.s.DetailHours)*time.Hour)) {
		return
	}
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": p.Name, "namespace": p.Namespace, "uid": p.UID, "resourceVersion": p.ResourceVersion, "labels": p.Labels},
		"spec":     map[string]any{"nodeName": p.Node, "containers": []any{map[string]any{"name": p.Containers[0].Name, "image": p.Containers[0].Image, "env": []any{map[string]any{"name": "MODE", "value": "<redacted>"}}}}},
		"status":   map[string]any{"phase": p.Phase, "podIP": p.PodIP, "containerStatuses": []any{map[string]any{"name": p.Containers[0].Name, "restartCount": p.Restarts, "ready": p.Ready}}}}
	data, _ := json.Marshal(obj)
	lake.Add(c.w, lake.Details, lake.Detail{TS: t, Op: op, Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID, ResourceVersion: p.ResourceVersion, Object: string(data)})
}

var rules = []struct{ rule, sev, reason string }{
	{"container_crashloop", "critical", "CrashLoopBackOff"}, {"container_oomkilled", "critical", "OOMKilled"},
	{"image_pull", "warning", "ImagePullBackOff"}, {"pod_pending", "warning", "Unschedulable"}, {"readiness", "info", "NotReady"},
}

func (c *clusterGen) hour(t0 time.Time) {
	pods := c.sortedPods()
	// The hour's change times, in order: a pod's history must not show an
	// update after its delete (which would bring it back to life).
	times := make([]time.Time, c.s.ChurnPerHour)
	for i := range times {
		times[i] = t0.Add(time.Duration(c.rnd.Int64N(int64(time.Hour-time.Second))) + time.Second)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 0; i < c.s.ChurnPerHour && len(pods) > 0; i++ {
		ts := times[i]
		p := pods[c.rnd.IntN(len(pods))]
		if _, alive := c.pods[p.UID]; !alive {
			continue
		}
		switch x := c.rnd.IntN(10); {
		case x < 6: // restart
			p.Restarts++
			p.Containers = append([]lake.Container(nil), p.Containers...)
			p.Containers[0].Restarts = p.Restarts
			p.Containers[0].LastReason = "Error"
			p.TS, p.Op, p.ResourceVersion = ts, lake.OpUpdate, fmt.Sprint(ts.UnixMilli())
			lake.Add(c.w, lake.Pods, *p)
			c.detail(ts, p, lake.OpUpdate)
		case x < 8: // replaced: delete + add
			d := *p
			d.TS, d.Op, d.ResourceVersion = ts, lake.OpDelete, fmt.Sprint(ts.UnixMilli())
			lake.Add(c.w, lake.Pods, d)
			delete(c.pods, p.UID)
			np := c.addPod(ts, p.Namespace, p.Labels["app"], ts)
			lake.Add(c.w, lake.Pods, *np)
			c.detail(ts, np, lake.OpAdd)
		default: // readiness flap
			p.Ready = !p.Ready
			if p.Ready {
				p.ReadyContainers = 1
			} else {
				p.ReadyContainers = 0
			}
			p.TS, p.Op, p.ResourceVersion = ts, lake.OpUpdate, fmt.Sprint(ts.UnixMilli())
			lake.Add(c.w, lake.Pods, *p)
			c.detail(ts, p, lake.OpUpdate)
		}
	}
	// anomalies: open new ones, resolve some open ones
	for fp, a := range c.open {
		if c.rnd.IntN(3) == 0 {
			a.TS = t0.Add(time.Duration(c.rnd.Int64N(int64(time.Hour))))
			a.State, a.LastSeen = lake.AnomalyResolved, a.TS
			lake.Add(c.w, lake.Anomalies, a)
			delete(c.open, fp)
		}
	}
	for i := 0; i < c.s.AnomaliesPerHour && len(pods) > 0; i++ {
		p := pods[c.rnd.IntN(len(pods))]
		r := rules[c.rnd.IntN(len(rules))]
		ts := t0.Add(time.Duration(c.rnd.Int64N(int64(time.Hour))))
		fp := fmt.Sprintf("%s-%s", r.rule, p.UID[:8]+fmt.Sprint(c.seq))
		c.seq++
		a := lake.Anomaly{TS: ts, Fingerprint: fp, Rule: r.rule, Severity: r.sev, State: lake.AnomalyOpen, Kind: "Pod", Namespace: p.Namespace,
			Name: p.Name, UID: p.UID, Node: p.Node, Container: p.Containers[0].Name, Reason: r.reason, Message: r.reason + " for " + p.Name,
			FirstSeen: ts, LastSeen: ts, Count: 1}
		if r.rule == "container_oomkilled" {
			code := int32(137)
			a.ExitCode, a.TerminationReason, a.LogTail = &code, "OOMKilled", "allocating buffer\nkilled\n"
		}
		lake.Add(c.w, lake.Anomalies, a)
		c.open[fp] = a
		lake.Add(c.w, lake.Events, lake.Event{TS: ts, Namespace: p.Namespace, Name: p.Name + "." + fp[len(fp)-6:], UID: c.uid(), Type: "Warning",
			Reason: "BackOff", Message: "Back-off restarting failed container", Count: 1, InvolvedKind: "Pod", InvolvedNamespace: p.Namespace,
			InvolvedName: p.Name, InvolvedUID: p.UID, Source: "kubelet"})
	}
}

var metricNames = []string{"cpu.user_pct", "cpu.system_pct", "mem.used_bytes", "load.1"}

func (c *clusterGen) metrics(ctx context.Context) error {
	if c.s.MetricHours == 0 {
		return nil
	}
	every := c.s.MetricEvery
	if every <= 0 {
		every = 15 * time.Second
	}
	from := c.s.End.Add(-time.Duration(c.s.MetricHours) * time.Hour)
	var rows []lake.NodeMetric
	for _, n := range c.nodes {
		for _, m := range metricNames {
			for t := from; t.Before(c.s.End); t = t.Add(every) {
				v := float32(20 + 10*c.rnd.Float64())
				if m == "mem.used_bytes" {
					v = float32(30<<30) + float32(c.rnd.IntN(1<<30))
				}
				rows = append(rows, lake.NodeMetric{TS: t, Node: n.Name, Metric: m, Value: v})
			}
		}
		for t := from; t.Before(c.s.End); t = t.Add(every) {
			rows = append(rows, lake.NodeMetric{TS: t, Node: n.Name, Metric: "cpu.user_pct", Device: "cpu0", Value: float32(30 * c.rnd.Float64())})
		}
	}
	lake.Add(c.w, lake.NodeMetrics, rows...)
	return c.w.Flush(ctx)
}

func (c *clusterGen) stateObjects(ctx context.Context, b store.Bucket) error {
	now := c.s.End
	cur := lake.CurrentState{SchemaVersion: lake.CurrentSchemaVersion, Cluster: c.id, GeneratedAt: now,
		Agent: lake.AgentInfo{Instance: "agent-0", Version: "fleetgen", StartedAt: now.Add(-time.Hour), KubernetesVersion: "v1.37.2"}, Objects: map[string]int{}}
	s := &cur.Summary
	s.Nodes.Total, s.Nodes.Ready = len(c.nodes), len(c.nodes)
	nsIdx := map[string]int{}
	for i := 0; i < c.s.Namespaces; i++ {
		name := fmt.Sprintf("team-%02d", i)
		nsIdx[name] = i
		cur.Namespaces = append(cur.Namespaces, lake.NamespaceSummary{Name: name, Phase: "Active", Services: 1})
	}
	for _, p := range c.pods {
		s.Pods.Total++
		s.Pods.Running++
		s.Pods.Restarts += int64(p.Restarts)
		ns := &cur.Namespaces[nsIdx[p.Namespace]]
		ns.Pods.Total++
		ns.Pods.Running++
		if p.Ready {
			s.Pods.Ready++
			ns.Pods.Ready++
		}
	}
	s.Workloads.Total, s.Workloads.Healthy = len(c.wl), len(c.wl)
	var open []lake.OpenAnomaly
	for _, a := range c.open {
		s.Anomalies.Open++
		switch a.Severity {
		case "critical":
			s.Anomalies.Critical++
		case "warning":
			s.Anomalies.Warning++
		default:
			s.Anomalies.Info++
		}
		open = append(open, lake.OpenAnomaly{Fingerprint: a.Fingerprint, Rule: a.Rule, Severity: a.Severity, Status: lake.AnomalyOpen, Kind: a.Kind, Namespace: a.Namespace,
			Name: a.Name, Reason: a.Reason, Message: a.Message, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Count: a.Count})
	}
	sort.Slice(open, func(i, j int) bool { return open[i].Fingerprint < open[j].Fingerprint })
	cur.Anomalies = open
	cur.Objects["Pod"], cur.Objects["Node"], cur.Objects["Deployment"] = len(c.pods), len(c.nodes), len(c.wl)
	cur.Objects["Namespace"] = c.s.Namespaces
	cur.Heartbeat = &lake.HeartbeatState{SchemaVersion: lake.HeartbeatSchemaVersion, Cluster: c.id, TS: now, IntervalSeconds: 120,
		Agent: cur.Agent, Synced: true, Objects: cur.Objects, WatchedObjects: int64(len(c.pods) + len(c.nodes))}
	cur.Lease = &lease.Record{Holder: cur.Agent.Instance, AcquiredAt: now, RenewedAt: now, DurationSeconds: 360, Transitions: 1}
	data, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	if _, err := b.Put(ctx, lake.ClusterKey(c.id, lake.CurrentKey), data, store.Condition{}); err != nil {
		return err
	}
	return nil
}
