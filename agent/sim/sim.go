// Package sim is the fleet simulator: N simulated clusters in one process,
// each an in-memory API server (client-go's fake clientset and fake
// metadata client) watched by the REAL agent (agent.New, informers,
// transforms, rows, anomaly rules, lake writer, state objects), driven by a
// seeded script — deployments rolling out, pods crash-looping, OOM kills,
// image pull errors, nodes going NotReady and recovering, scaling, jobs
// failing — with node metrics as a collector would push them.
//
// Time is virtual (ScaledClock): Speed 1 runs live for demos; a Start in the
// past with a high Speed backfills days of history in minutes, for the API
// benchmark. Only the Kubernetes side is simulated; everything from the
// informers to the store is production code.
package sim

import (
	"container/heap"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch/watchtest"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// Config configures a simulated fleet.
type Config struct {
	Store    store.Bucket // required
	Clusters int          // default 3
	Nodes    int          // per cluster, default 10
	Pods     int          // per cluster, default 300
	Seed     int64        // default 1
	// Speed is virtual seconds per real second (default 1).
	Speed float64
	// Start is the virtual time the fleet starts at (default now). With
	// Start in the past and a high Speed, Run backfills history.
	Start time.Time
	// Duration stops the fleet after this much virtual time (0: run until
	// ctx ends).
	Duration time.Duration
	// ClusterPrefix names clusters <prefix>-1 … (default "sim").
	ClusterPrefix string
	// SpoolDir, if set, gives each agent a spool under it.
	SpoolDir string
	// NodeMetrics makes every node push samples every 15 s (virtual).
	NodeMetrics bool
	// HostNode, if set, adds a node of that name to the first cluster whose
	// metrics come from elsewhere (a real collector on this machine, pushing
	// through the agent's ingest); the script leaves it alone.
	HostNode string
	// EventRate is the mean number of scripted incidents per cluster per
	// virtual hour (default 12).
	EventRate float64
	// CommandKeys, if set, turn remote operations on: each agent runs the
	// commands signed with one of these keys (agent/ops) against its
	// simulated cluster, which reacts as its controllers would.
	CommandKeys map[string]ed25519.PublicKey
	Logger      *slog.Logger
	// Agent, if set, adjusts each agent's configuration.
	Agent func(*agent.Config)
	// Clock, if set, is the fleet's clock instead of a ScaledClock at
	// Speed (which must then be left unset): everything virtual — agents'
	// timers, the script, node metrics, Duration — runs on it, and every
	// agent interval keeps its default. A StepClock lets a benchmark run a
	// day as fast as the machine can without changing any interval.
	Clock clock.WithTicker
}

func (c *Config) defaults() error {
	if c.Store == nil {
		return errors.New("sim: no store")
	}
	if c.Clusters <= 0 {
		c.Clusters = 3
	}
	if c.Nodes <= 0 {
		c.Nodes = 10
	}
	if c.Pods <= 0 {
		c.Pods = 300
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Clock != nil && c.Speed != 0 {
		return errors.New("sim: Speed applies to the built-in scaled clock only")
	}
	if c.Speed <= 0 {
		c.Speed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	if c.ClusterPrefix == "" {
		c.ClusterPrefix = "sim"
	}
	if c.EventRate <= 0 {
		c.EventRate = 12
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// Fleet is a running simulation.
type Fleet struct {
	cfg      Config
	clock    clock.WithTicker
	clusters []*cluster
}

// New builds the fleet (objects, fake API servers, agents) without
// starting it.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, clock: cfg.Clock}
	if f.clock == nil {
		f.clock = NewScaledClock(cfg.Start, cfg.Speed)
	}
	for i := 1; i <= cfg.Clusters; i++ {
		c, err := newCluster(f, fmt.Sprintf("%s-%d", cfg.ClusterPrefix, i), cfg.Seed*1000+int64(i))
		if err != nil {
			return nil, err
		}
		f.clusters = append(f.clusters, c)
	}
	return f, nil
}

// Clock is the fleet's virtual clock.
func (f *Fleet) Clock() clock.WithTicker { return f.clock }

// Agents returns the agents, one per cluster.
func (f *Fleet) Agents() []*agent.Agent {
	out := make([]*agent.Agent, len(f.clusters))
	for i, c := range f.clusters {
		out[i] = c.agent
	}
	return out
}

// Clusters returns the cluster ids.
func (f *Fleet) Clusters() []string {
	out := make([]string, len(f.clusters))
	for i, c := range f.clusters {
		out[i] = c.id
	}
	return out
}

// Scripted reports whether every cluster's agent leads and has synced
// and its script is scheduled: the owner of a StepClock starts stepping
// then.
func (f *Fleet) Scripted() bool {
	for _, c := range f.clusters {
		if !c.scripted.Load() {
			return false
		}
	}
	return true
}

// Run runs agents and scripts until ctx ends or Duration of virtual time
// has passed; the agents then shut down gracefully (flushing everything).
func (f *Fleet) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if f.cfg.Duration > 0 {
		go func() {
			select {
			case <-ctx.Done():
			case <-f.clock.After(f.cfg.Duration):
				cancel()
			}
		}()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(f.clusters))
	for i, c := range f.clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Run builds and runs a fleet.
func Run(ctx context.Context, cfg Config) error {
	f, err := New(cfg)
	if err != nil {
		return err
	}
	return f.Run(ctx)
}

// cluster is one simulated cluster and its agent.
type cluster struct {
	f      *Fleet
	id     string
	rng    *rand.Rand
	clock  clock.WithTicker
	kube   *fake.Clientset
	meta   *metadatafake.FakeMetadataClient
	agent  *agent.Agent
	log    *slog.Logger
	rv     atomic.Int64
	writes int

	scripted atomic.Bool // the script is scheduled: virtual time may run
	podNames map[string]bool

	nodes    []string
	notReady map[string]bool
	apps     []*app
	steps    stepQueue
	crashing map[string]bool
	jobSeq   int
	// kicks wakes the script's loop after a command changed the cluster
	// (react).
	kicks    chan struct{}
	cordoned map[string]bool // nodes remote operations cordoned (react)
}

func newCluster(f *Fleet, id string, seed int64) (*cluster, error) {
	c := &cluster{f: f, id: id, rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)*7919)), clock: f.clock,
		log: f.cfg.Logger.With("cluster", id), notReady: map[string]bool{}, crashing: map[string]bool{}, kicks: make(chan struct{}, 1)}
	objs, metas := c.build()
	c.kube = fake.NewSimpleClientset(objs...)
	c.kube.Resources = discoveryResources()
	c.kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		r.Status.Allowed = true
		return true, r, nil
	})
	sch := metadatafake.NewTestScheme()
	metav1.AddMetaToScheme(sch)
	c.meta = metadatafake.NewSimpleMetadataClient(sch, metas...)

	cfg := agent.Config{Cluster: id, Instance: id + "-agent", Kube: watchtest.Kube(c.kube), Source: watchtest.Source(c.kube, c.meta), Store: f.cfg.Store,
		Clock: f.clock, Logger: f.cfg.Logger, LeaderElection: true}
	if f.cfg.Clock == nil {
		// Keep real-time write rates sane when virtual time runs fast.
		scaled := func(floor, perRealSecond time.Duration) time.Duration {
			return max(floor, time.Duration(f.cfg.Speed*float64(perRealSecond)))
		}
		cfg.StateInterval = scaled(10*time.Second, 500*time.Millisecond)
		cfg.HeartbeatInterval = scaled(2*time.Minute, 2*time.Second)
		cfg.IdlePoll = scaled(15*time.Second, time.Second)
		cfg.WatchedPoll = scaled(2*time.Second, 500*time.Millisecond)
		cfg.TailInterval = scaled(12*time.Second, time.Second)
		cfg.FlushAge = hourDivisor(scaled(20*time.Minute, time.Second))
	}
	if len(f.cfg.CommandKeys) > 0 {
		cfg.Operations = &agent.Operations{API: opsAPI{c}, Keys: f.cfg.CommandKeys}
	}
	if f.cfg.SpoolDir != "" {
		cfg.SpoolDir = filepath.Join(f.cfg.SpoolDir, id)
	}
	if f.cfg.Agent != nil {
		f.cfg.Agent(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		return nil, err
	}
	c.agent = a
	return c, nil
}

// discoveryResources is what a v1.37 API server serves for the collected
// kinds (CRD kinds are not installed in a simulated cluster).
func discoveryResources() []*metav1.APIResourceList {
	byGV := map[schema.GroupVersion][]metav1.APIResource{}
	for _, k := range rows.Bindings {
		if k.Optional {
			continue
		}
		gv := k.GVR().GroupVersion()
		byGV[gv] = append(byGV[gv], metav1.APIResource{Name: k.Resource, Kind: k.Name, Namespaced: k.Namespaced,
			Verbs: metav1.Verbs{"get", "list", "watch"}})
	}
	var out []*metav1.APIResourceList
	for gv, rs := range byGV {
		out = append(out, &metav1.APIResourceList{GroupVersion: gv.String(), APIResources: rs})
	}
	return out
}

var namespaces = []string{"shop", "payments", "search", "data", "platform", "monitoring", "batch", "identity"}

// build creates the initial objects: nodes, a DaemonSet on every node, a
// StatefulSet, Deployments taking the remaining pods, Services with
// EndpointSlices, a CronJob, volumes, ConfigMap and Secret metadata, and
// the platform objects around them (platform.go).
func (c *cluster) build() ([]runtime.Object, []runtime.Object) {
	cfg := c.f.cfg
	var objs, metas []runtime.Object
	for _, ns := range append([]string{"default", "kube-system"}, namespaces...) {
		n := &corev1.Namespace{ObjectMeta: c.objMeta("", ns, map[string]string{"kubernetes.io/metadata.name": ns}),
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
		objs = append(objs, n)
		for _, kind := range []string{"ConfigMap", "Secret"} {
			m := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: kind},
				ObjectMeta: c.objMeta(ns, "kube-root-ca.crt", nil)}
			if kind == "Secret" {
				m.Name = ns + "-credentials"
			}
			metas = append(metas, m)
		}
		objs = append(objs, &corev1.ServiceAccount{ObjectMeta: c.objMeta(ns, "default", nil)})
	}
	for i := range cfg.Nodes {
		n := c.node(i)
		c.nodes = append(c.nodes, n.Name)
		objs = append(objs, n)
	}
	if cfg.HostNode != "" && c.id == cfg.ClusterPrefix+"-1" {
		objs = append(objs, c.hostNode(cfg.HostNode))
	}
	budget := cfg.Pods
	addApp := func(a *app) {
		a.uid = c.uid()
		a.image = fmt.Sprintf("registry.example/%s/%s:1.%d.0", a.ns, a.name, c.rng.IntN(20))
		a.version = 1
		if a.kind == "Deployment" {
			a.rsName = fmt.Sprintf("%s-%x", a.name, c.rng.Uint32()&0xfffffff)
			a.rsUID = c.uid()
		}
		for i := range a.replicas {
			var name, node string
			switch a.kind {
			case "DaemonSet":
				name, node = c.podName(a.name), c.nodes[i%len(c.nodes)]
			case "StatefulSet":
				name, node = fmt.Sprintf("%s-%d", a.name, i), c.nodes[c.rng.IntN(len(c.nodes))]
			default:
				name, node = c.podName(a.rsName), c.nodes[c.rng.IntN(len(c.nodes))]
			}
			a.pods = append(a.pods, name)
			objs = append(objs, c.newPod(a, name, node))
		}
		switch a.kind {
		case "Deployment":
			d, rs := c.deployment(a)
			objs = append(objs, d, rs)
		case "StatefulSet":
			objs = append(objs, c.statefulSet(a))
			for i := range a.replicas {
				pvc := c.pvc(a.ns, fmt.Sprintf("data-%s-%d", a.name, i))
				objs = append(objs, pvc, c.volume(pvc))
			}
		case "DaemonSet":
			objs = append(objs, c.daemonSet(a))
		}
		if a.kind != "DaemonSet" {
			svc, es := c.service(a)
			objs = append(objs, svc, es)
		}
		metas = append(metas, &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: c.objMeta(a.ns, a.name+"-config", nil)},
			&metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: c.objMeta(a.ns, a.name+"-secrets", nil)})
		c.apps = append(c.apps, a)
		budget -= a.replicas
	}
	if budget >= 2*cfg.Nodes {
		addApp(&app{ns: "monitoring", name: "node-exporter", kind: "DaemonSet", replicas: cfg.Nodes, cpu: "50m", mem: "64Mi"})
	}
	if budget > 10 {
		addApp(&app{ns: "data", name: "postgres", kind: "StatefulSet", replicas: 3, cpu: "1", mem: "4Gi"})
	}
	names := []string{"web", "api", "cart", "checkout", "catalog", "search", "auth", "gateway", "worker", "ledger", "notify", "media"}
	for i := 0; budget > 0; i++ {
		r := min(budget, 2+c.rng.IntN(18))
		ns := namespaces[i%len(namespaces)]
		name := names[i%len(names)]
		if i >= len(names) {
			name = fmt.Sprintf("%s-%d", name, i/len(names))
		}
		addApp(&app{ns: ns, name: name, kind: "Deployment", replicas: r, cpu: []string{"100m", "250m", "500m"}[i%3],
			mem: []string{"128Mi", "256Mi", "512Mi"}[i%3], sidecar: i%4 == 0})
	}
	objs = append(objs, c.platform()...)
	cj := c.cronJob("batch", "nightly-report")
	objs = append(objs, cj)
	for i := range 3 {
		j := c.job(cj, fmt.Sprintf("nightly-report-%d", 1000+i))
		completeJob(j, c.clock.Now().Add(-time.Duration(3-i)*time.Hour))
		objs = append(objs, j)
	}
	return objs, metas
}

// run starts the agent, waits for it to lead and sync, then plays the
// script until ctx ends.
func (c *cluster) run(ctx context.Context) error {
	agentCtx, stopAgent := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAgent()
	done := make(chan error, 1)
	go func() { done <- c.agent.Run(agentCtx) }()
	for !c.agent.Ready() {
		select {
		case <-ctx.Done():
			stopAgent()
			return <-done
		case err := <-done:
			return fmt.Errorf("%s: agent stopped: %w", c.id, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The fake API server does not replay events between a list and its
	// watch: give the watches a moment to open.
	time.Sleep(200 * time.Millisecond)
	c.log.Info("simulated cluster ready", "nodes", len(c.nodes), "pods", c.f.cfg.Pods, "apps", len(c.apps))
	c.schedule()
	c.scripted.Store(true)
	for ctx.Err() == nil {
		next := c.steps.peek()
		if wait := next.at.Sub(c.clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
			case <-c.clock.After(wait):
			case <-c.kicks:
				c.react()
			}
			continue
		}
		heap.Pop(&c.steps)
		next.do()
	}
	stopAgent()
	return <-done
}

// step is one scripted action at a virtual time.
type step struct {
	at  time.Time
	seq int
	do  func()
}

type stepQueue []step

func (q stepQueue) Len() int { return len(q) }
func (q stepQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)   { *q = append(*q, x.(step)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}
func (q stepQueue) peek() step { return q[0] }

var stepSeq atomic.Int64

func (c *cluster) after(d time.Duration, do func()) {
	heap.Push(&c.steps, step{at: c.clock.Now().Add(d), seq: int(stepSeq.Add(1)), do: do})
}

// podName draws a pod name for a controller, as Kubernetes does (five
// random characters), never one the cluster has used.
func (c *cluster) podName(owner string) string {
	if c.podNames == nil {
		c.podNames = map[string]bool{}
	}
	for {
		name := fmt.Sprintf("%s-%05x", owner, c.rng.Uint32()&0xfffff)
		if !c.podNames[name] {
			c.podNames[name] = true
			return name
		}
	}
}

// exp draws an exponential delay with the given mean.
func (c *cluster) exp(mean time.Duration) time.Duration {
	return time.Duration(-math.Log(1-c.rng.Float64()) * float64(mean))
}

func (c *cluster) nextRV(o metav1.Object) {
	o.SetResourceVersion(strconv.FormatInt(c.rv.Add(1)+1000, 10))
	c.writes++
	// The fake watch channel holds 100 events and panics when full:
	// let the informers drain it during bursts (rollouts, node outages).
	if c.writes%20 == 0 {
		time.Sleep(2 * time.Millisecond)
	}
}

// lakeNodeMetric is a convenience for the node metrics sink.
func lakeNodeMetric(ts time.Time, node, metric, device string, v float64) lake.NodeMetric {
	return lake.NodeMetric{TS: ts, Node: node, Metric: metric, Device: device, Value: float32(v)}
}

// Topology returns the initial objects of one simulated cluster — the
// same shapes the fleet uses — for loading into a real API server
// (the agent benchmark). ConfigMaps and Secrets come back as
// PartialObjectMetadata in meta. Objects carry made-up UIDs and
// resourceVersions; clear them before creating the objects.
func Topology(nodes, pods int, seed int64, now time.Time) (objs, meta []runtime.Object) {
	f := &Fleet{cfg: Config{Nodes: nodes, Pods: pods}, clock: NewScaledClock(now, 1)}
	c := &cluster{f: f, rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)*7919)), clock: f.clock,
		notReady: map[string]bool{}, crashing: map[string]bool{}}
	return c.build()
}

// hourDivisor is the least flush interval at or above d that divides an
// hour or is whole hours, as the agent's aligned flushes need.
func hourDivisor(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Truncate(time.Hour)
	}
	for _, m := range []time.Duration{1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60} {
		if m*time.Minute >= d {
			return m * time.Minute
		}
	}
	return time.Hour
}
