// Command bench measures the lake (metric names as in docs/node-metrics.md): it synthesizes a realistic multi-cluster
// week, writes it through the real batching writer into a store, compacts
// it, and times queries through the engine against stock DuckDB on the same
// files. It prints one figure per line: `name value unit`.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var (
	clusters = flag.Int("clusters", 10, "clusters")
	days     = flag.Int("days", 7, "days of history")
	nodes    = flag.Int("nodes", 6, "nodes per cluster")
	cores    = flag.Int("cores", 4, "CPU cores per node")
	pods     = flag.Int("pods", 300, "pods per cluster")
	runs     = flag.Int("runs", 20, "timed runs per warm query")
	dir      = flag.String("dir", "", "work directory (default: a temp dir, removed afterwards)")
	profile  = flag.String("cpuprofile", "", "write a CPU profile of the compaction phase here")
)

func main() {
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "lake bench: "+format+"\n", args...)
}

func figure(name string, value float64, unit string) { fmt.Printf("%s %.3g %s\n", name, value, unit) }

func run(ctx context.Context) error {
	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "atlhyper-lakebench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	root := filepath.Join(work, "lake")
	b, err := store.NewFile(root)
	if err != nil {
		return err
	}
	end := lake.Day(time.Now())
	start := end.AddDate(0, 0, -*days)

	// Write.
	progress("writing %d clusters × %d days (%d nodes, %d pods each)…", *clusters, *days, *nodes, *pods)
	t0 := time.Now()
	var total writeStats
	names := make([]string, *clusters)
	for c := range names {
		names[c] = fmt.Sprintf("cluster-%02d", c)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	var firstErr error
	for c := 0; c < *clusters; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			st, err := writeCluster(ctx, b, names[c], start, end, int64(c))
			mu.Lock()
			defer mu.Unlock()
			total.add(st)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}(c)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	progress("wrote %d rows in %s", total.rows, time.Since(t0).Round(time.Millisecond))
	before, err := objectsPerTableDay(ctx, b, start, end)
	if err != nil {
		return err
	}

	// Compact as the schedule would have while the week was written (every
	// hour here; the scheduler's default is every 15 min): hours merge as
	// they close, days merge from those hourly objects once 48 h old. Then
	// once more past the grace period so the last inputs are gone.
	progress("compacting hour by hour through the week…")
	now := start.Add(time.Hour)
	cp, err := compact.New(compact.Config{Bucket: b, WorkDir: work, Lookback: *days + 1, Now: func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer cp.Close()
	t1 := time.Now()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for ; !now.After(end.Add(2 * time.Hour)); now = now.Add(time.Hour) {
		rep, err := cp.Run(ctx, names...)
		if err != nil {
			return err
		}
		if len(rep.Errors) > 0 {
			return fmt.Errorf("compaction: %v", rep.Errors)
		}
	}
	progress("compacted in %s", time.Since(t1).Round(time.Millisecond))
	after, err := objectsPerTableDay(ctx, b, start, end)
	if err != nil {
		return err
	}
	podBytes, podRows, err := tableSize(ctx, b, "pods", root)
	if err != nil {
		return err
	}
	nmBytes, nmRows, err := tableSize(ctx, b, "node_metrics", root)
	if err != nil {
		return err
	}

	rate, err := throughput(ctx, work, end)
	if err != nil {
		return err
	}
	figure("lake.write.rows_per_s", rate, "rows/s")
	figure("lake.pods.bytes_per_row", float64(podBytes)/float64(podRows), "B")
	figure("lake.node_metrics.bytes_per_sample", float64(nmBytes)/float64(nmRows), "B")
	figure("lake.objects_per_cluster_day.before_compaction", before, "objects")
	figure("lake.objects_per_cluster_day.after_compaction", after, "objects")
	return queries(ctx, b, root, work, end)
}

type writeStats struct{ rows int64 }

func (s *writeStats) add(o writeStats) { s.rows += o.rows }

// throughput times the writer alone (Add, sort, encode, put to a file
// store) on one pre-generated cluster-day, flushing every five minutes.
func throughput(ctx context.Context, work string, end time.Time) (float64, error) {
	b, err := store.NewFile(filepath.Join(work, "throughput"))
	if err != nil {
		return 0, err
	}
	sim := newCluster(rand.New(rand.NewSource(99)), "throughput")
	start := end.AddDate(0, 0, -1)
	var batches []*batch
	for t := start; t.Before(end); t = t.Add(5 * time.Minute) {
		batches = append(batches, sim.step(t, 5*time.Minute))
	}
	now := start
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "throughput", Writer: "agent", Sink: lake.StoreSink{Bucket: b}, Now: func() time.Time { return now }})
	if err != nil {
		return 0, err
	}
	var rows int64
	t0 := time.Now()
	for _, bt := range batches {
		rows += bt.add(w)
		if err := w.Flush(ctx); err != nil {
			return 0, err
		}
		now = now.Add(5 * time.Minute)
	}
	return float64(rows) / time.Since(t0).Seconds(), w.Close(ctx)
}

// writeCluster plays one cluster's week through a writer that flushes every
// five minutes, as the agent does at its defaults.
func writeCluster(ctx context.Context, b store.Bucket, cluster string, start, end time.Time, seed int64) (writeStats, error) {
	var st writeStats
	r := rand.New(rand.NewSource(seed))
	now := start
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: cluster, Writer: "agent", Sink: lake.StoreSink{Bucket: b}, Now: func() time.Time { return now }})
	if err != nil {
		return st, err
	}
	sim := newCluster(r, cluster)
	for now = start; now.Before(end); now = now.Add(5 * time.Minute) {
		st.rows += sim.step(now, 5*time.Minute).add(w)
		if now.Minute() == 0 {
			st.rows += sim.checkpoint(ctx, w, now)
		}
		if err := w.Flush(ctx); err != nil {
			return st, err
		}
	}
	return st, w.Close(ctx)
}

type simPod struct {
	lake.Pod
	crashy bool
}

type simCluster struct {
	r       *rand.Rand
	name    string
	pods    []*simPod
	nodes   []lake.Node
	series  []series
	anomaly map[string]lake.Anomaly
	rv      int64 // the cluster's etcd revision: every change bumps it
}

type series struct {
	node, metric, device string
	next                 func(i int) float64
	i                    int
}

func uuid(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Intn(1<<16), r.Intn(1<<16), r.Intn(1<<16), r.Int63n(1<<48))
}

func newCluster(r *rand.Rand, name string) *simCluster {
	c := &simCluster{r: r, name: name, anomaly: map[string]lake.Anomaly{}, rv: 48_000_000}
	created := time.Now().AddDate(0, -1, 0)
	for n := 0; n < *nodes; n++ {
		c.nodes = append(c.nodes, lake.Node{Meta: lake.Meta{Kind: "Node", Name: fmt.Sprintf("%s-node-%02d", name, n), UID: uuid(r), CreatedAt: &created,
			Labels: map[string]string{"kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.xlarge"}},
			Ready: true, ReadyStatus: "True", CPUCapacityMilli: int64(*cores) * 1000, MemCapacityBytes: 16 << 30, PodsCapacity: 110,
			CPUAllocMilli: int64(*cores)*1000 - 100, MemAllocBytes: 15 << 30, PodsAlloc: 110, KubeletVersion: "v1.37.2",
			OSImage: "Debian GNU/Linux 12", KernelVersion: "6.1.0-26-amd64", ContainerRuntime: "containerd://1.7.22", Architecture: "amd64"})
		node := c.nodes[n].Name
		for core := 0; core < *cores; core++ {
			for _, m := range []string{"cpu.user_pct", "cpu.system_pct", "cpu.iowait_pct", "cpu.steal_pct", "cpu.idle_pct"} {
				base := r.Float64() * 20
				c.series = append(c.series, series{node: node, metric: m, device: fmt.Sprintf("cpu%d", core), next: func(i int) float64 {
					return round1(math.Max(0, base+r.NormFloat64()*2+5*math.Sin(float64(i)/240)))
				}})
			}
		}
		for _, m := range []string{"cpu.user_pct", "cpu.system_pct", "cpu.iowait_pct", "cpu.steal_pct", "cpu.idle_pct", "load.1m", "load.5m", "load.15m", "psi.some_avg10_pct", "psi.full_avg10_pct"} {
			base := r.Float64() * 10
			c.series = append(c.series, series{node: node, metric: m, next: func(i int) float64 { return round1(math.Max(0, base+r.NormFloat64()+3*math.Sin(float64(i)/300))) }})
		}
		for _, m := range []string{"mem.total_bytes", "mem.used_bytes", "mem.available_bytes", "mem.cached_bytes", "mem.buffers_bytes", "mem.swap_total_bytes", "mem.swap_used_bytes", "host.uptime_seconds"} {
			base, drift := 1e10*(1+r.Float64()), r.Float64()*0.05
			c.series = append(c.series, series{node: node, metric: m, next: func(i int) float64 { return sig3(base * (1 + drift*math.Sin(float64(i)/2000))) }})
		}
		for _, fs := range []string{"/", "/var/lib/kubelet"} {
			for _, m := range []string{"fs.size_bytes", "fs.used_bytes", "fs.inodes_total", "fs.inodes_used"} {
				base := 1e11 * (1 + r.Float64())
				c.series = append(c.series, series{node: node, metric: m, device: fs, next: func(i int) float64 { return sig3(base * (1 + float64(i)/1e6)) }})
			}
		}
		for _, m := range []string{"disk.read_bytes_per_s", "disk.write_bytes_per_s", "disk.reads_per_s", "disk.writes_per_s", "disk.util_pct",
			"net.rx_bytes_per_s", "net.tx_bytes_per_s", "net.rx_packets_per_s", "net.tx_packets_per_s"} {
			c.series = append(c.series, series{node: node, metric: m, device: "nvme0n1", next: func(int) float64 {
				if r.Float64() < 0.5 {
					return 0
				}
				return sig3(r.ExpFloat64() * 1e5)
			}})
		}
		c.series = append(c.series, series{node: node, metric: "temp.celsius", device: "coretemp/Package id 0", next: func(i int) float64 { return math.Round(45 + 5*math.Sin(float64(i)/500)) }})
	}
	apps := []string{"web", "api", "worker", "cache", "db", "queue", "auth", "search", "billing", "mailer"}
	for i := 0; i < *pods; i++ {
		app := apps[i%len(apps)]
		rs := fmt.Sprintf("%s-%x", app, 0x5d4f8c6b5+i%len(apps))
		p := &simPod{crashy: r.Float64() < 0.01}
		p.Pod = lake.Pod{Meta: lake.Meta{Kind: "Pod", Namespace: []string{"shop", "platform", "data", "default"}[i%4], Name: fmt.Sprintf("%s-%05x", rs, r.Intn(1<<20)),
			UID: uuid(r), ResourceVersion: fmt.Sprint(1000 + i), CreatedAt: &created, Labels: map[string]string{"app": app, "pod-template-hash": rs[len(app)+1:]},
			OwnerKind: "ReplicaSet", OwnerName: rs},
			Phase: "Running", Node: c.nodes[i%len(c.nodes)].Name, QOSClass: "Burstable", PodIP: fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256),
			Ready: true, Scheduled: true, ReadyContainers: 1, TotalContainers: 1, CPURequestMilli: 100, MemRequestBytes: 128 << 20, MemLimitBytes: 256 << 20,
			ServiceAccount: "default", StartTime: &created,
			Containers: []lake.Container{{Name: app, Image: "registry.example.com/" + app + ":1.4.2", Ready: true, State: "running", StartedAt: &created,
				CPURequestMilli: 100, MemRequestBytes: 128 << 20, MemLimitBytes: 256 << 20}}}
		c.pods = append(c.pods, p)
	}
	return c
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func sig3(v float64) float64 {
	if v == 0 {
		return 0
	}
	p := math.Pow(10, 3-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// batch is what the agent would hand its writer in one flush interval.
type batch struct {
	metrics   []lake.NodeMetric
	changes   []lake.Pod
	details   []lake.Detail
	anomalies []lake.Anomaly
	events    []lake.Event
	heartbeat lake.Heartbeat
}

func (b *batch) add(w *lake.Writer) int64 {
	lake.Add(w, lake.NodeMetrics, b.metrics...)
	lake.Add(w, lake.Pods, b.changes...)
	lake.Add(w, lake.Details, b.details...)
	lake.Add(w, lake.Anomalies, b.anomalies...)
	lake.Add(w, lake.Events, b.events...)
	lake.Add(w, lake.Heartbeats, b.heartbeat)
	return int64(len(b.metrics) + len(b.changes) + len(b.details) + len(b.anomalies) + len(b.events) + 1)
}

// step advances the cluster by d: metrics every 15 s, pod churn, restarts
// of crash-looping pods with their anomalies, a few events.
func (c *simCluster) step(now time.Time, d time.Duration) *batch {
	var ms []lake.NodeMetric
	for t := now; t.Before(now.Add(d)); t = t.Add(15 * time.Second) {
		for i := range c.series {
			s := &c.series[i]
			ms = append(ms, lake.NodeMetric{TS: t, Node: s.node, Metric: s.metric, Device: s.device, Value: float32(s.next(s.i))})
			s.i++
		}
	}
	var changes []lake.Pod
	var details []lake.Detail
	var anomalies []lake.Anomaly
	var events []lake.Event
	for _, p := range c.pods {
		ts := now.Add(time.Duration(c.r.Int63n(int64(d))))
		switch {
		case p.crashy:
			p.Restarts++
			p.Ready, p.ReadyContainers, p.WaitingReason = false, 0, "CrashLoopBackOff"
			p.LastTermReason, p.LastExitCode = "Error", ptr(int32(1))
			p.Containers[0].Restarts, p.Containers[0].State, p.Containers[0].Reason = p.Restarts, "waiting", "CrashLoopBackOff"
			fp := "crash/" + p.UID
			a, open := c.anomaly[fp]
			if !open {
				a = lake.Anomaly{Fingerprint: fp, Rule: "container.crashloop", Severity: "critical", Kind: "Pod", Namespace: p.Namespace, Name: p.Name,
					UID: p.UID, Node: p.Node, Container: p.Containers[0].Name, Reason: "CrashLoopBackOff", FirstSeen: ts, State: lake.AnomalyOpen,
					Message: "back-off 5m0s restarting failed container", TerminationReason: "Error", ExitCode: ptr(int32(1)),
					LogTail: "panic: connection refused\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1d"}
			} else {
				a.State = lake.AnomalyUpdate
			}
			a.TS, a.LastSeen, a.Count = ts, ts, a.Count+1
			c.anomaly[fp] = a
			anomalies = append(anomalies, a)
			events = append(events, lake.Event{TS: ts, Namespace: p.Namespace, Name: p.Name + ".17f", UID: uuid(c.r), Type: "Warning", Reason: "BackOff",
				Message: "Back-off restarting failed container", Count: p.Restarts, InvolvedKind: "Pod", InvolvedNamespace: p.Namespace, InvolvedName: p.Name, InvolvedUID: p.UID, Source: "kubelet"})
		case c.r.Float64() < 0.01: // a change per pod every ~8 hours: readiness flaps, restarts, rollouts
			p.Ready = !p.Ready || c.r.Float64() < 0.5
		default:
			continue
		}
		p.TS, p.Op = ts, lake.OpUpdate
		c.rv += 1 + c.r.Int63n(40)
		p.ResourceVersion = fmt.Sprint(c.rv)
		changes = append(changes, p.Pod)
		details = append(details, lake.Detail{TS: ts, Op: lake.OpUpdate, Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID,
			ResourceVersion: p.ResourceVersion, Object: podJSON(p)})
	}
	return &batch{metrics: ms, changes: changes, details: details, anomalies: anomalies, events: events,
		heartbeat: lake.Heartbeat{TS: now, Agent: "agent-0", Version: "v0.1.0", StartedAt: now.Add(-time.Hour), LastFlush: &now, Pods: int32(len(c.pods)), Nodes: int32(len(c.nodes))}}
}

func ptr[T any](v T) *T { return &v }

func podJSON(p *simPod) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q,"uid":%q,"resourceVersion":%q,"labels":{"app":%q}},"spec":{"nodeName":%q,"containers":[{"name":%q,"image":%q,"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}}}]},"status":{"phase":%q,"podIP":%q,"containerStatuses":[{"name":%q,"ready":%v,"restartCount":%d}]}}`,
		p.Name, p.Namespace, p.UID, p.ResourceVersion, p.Labels["app"], p.Node, p.Containers[0].Name, p.Containers[0].Image, p.Phase, p.PodIP, p.Containers[0].Name, p.Ready, p.Restarts)
}

// checkpoint writes the hourly snapshot of pods and nodes as single objects.
func (c *simCluster) checkpoint(ctx context.Context, w *lake.Writer, now time.Time) int64 {
	ps := make([]lake.Pod, len(c.pods))
	for i, p := range c.pods {
		ps[i] = p.Pod
		ps[i].TS, ps[i].Op = now, lake.OpCheckpoint
	}
	ns := make([]lake.Node, len(c.nodes))
	for i, n := range c.nodes {
		ns[i] = n
		ns[i].TS, ns[i].Op = now, lake.OpCheckpoint
	}
	lake.WriteNow(ctx, w, lake.Pods, ps)
	lake.WriteNow(ctx, w, lake.Nodes, ns)
	return int64(len(ps) + len(ns))
}

// objectsPerTableDay is the mean over cluster-days of the busiest table's
// object count.
func objectsPerTableDay(ctx context.Context, b store.Bucket, start, end time.Time) (float64, error) {
	var sum, n float64
	for c := 0; c < *clusters; c++ {
		for _, d := range lake.Days(start, end) {
			most := 0
			for _, t := range lake.All() {
				objs, err := lake.ListPartition(ctx, b, t.Name(), fmt.Sprintf("cluster-%02d", c), d)
				if err != nil {
					return 0, err
				}
				most = max(most, len(objs))
			}
			sum += float64(most)
			n++
		}
	}
	return sum / n, nil
}

// tableSize sums the bytes and rows of a table at rest: its objects that
// hold whole days (daily compaction output). Hourly objects of the last two
// days carry a Parquet footer each, which daily compaction amortises.
func tableSize(ctx context.Context, b store.Bucket, table, root string) (int64, int64, error) {
	infos, err := store.ListAll(ctx, b, table+"/")
	if err != nil {
		return 0, 0, err
	}
	var bytes, rows int64
	for _, info := range infos {
		if k, err := lake.ParseKey(info.Key); err != nil || k.Span != lake.DaySpan {
			continue
		}
		f, err := os.Open(filepath.Join(root, info.Key))
		if err != nil {
			return 0, 0, err
		}
		meta, err := lake.ReadMeta(f)
		f.Close()
		if err != nil {
			return 0, 0, err
		}
		bytes += info.Size
		rows += meta.Rows
	}
	return bytes, rows, nil
}

const q24h = `SELECT node, time_bucket(INTERVAL 5 MINUTE, ts) AS t, avg(value) AS cpu
FROM node_metrics WHERE metric = 'cpu.user_pct' AND device = '' GROUP BY ALL ORDER BY node, t`

const q7d = `SELECT date, namespace, max(restarts) AS restarts, count(*) FILTER (WHERE NOT ready) AS not_ready
FROM pods WHERE op = 'checkpoint' GROUP BY ALL ORDER BY date, namespace`

func queries(ctx context.Context, b store.Bucket, root, work string, end time.Time) error {
	cluster := "cluster-00"
	now := func() time.Time { return end.Add(2 * time.Hour) }
	scope24 := query.Scope{Table: "node_metrics", Clusters: []string{cluster}, From: end.Add(-24 * time.Hour), To: end}
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: filepath.Join(work, "cache-warm"), Now: now})
	if err != nil {
		return err
	}
	defer e.Close()
	run := func(e *query.Engine, s query.Scope, q string) (time.Duration, int, error) {
		t0 := time.Now()
		n := 0
		err := e.Query(ctx, query.Request{Scopes: []query.Scope{s}, SQL: q}, func(rows *sql.Rows) error {
			for rows.Next() {
				n++
			}
			return nil
		})
		return time.Since(t0), n, err
	}
	if _, n, err := run(e, scope24, q24h); err != nil || n == 0 { // warm up
		return fmt.Errorf("24h query: %d rows, %v", n, err)
	}
	var ours []time.Duration
	for i := 0; i < *runs; i++ {
		d, _, err := run(e, scope24, q24h)
		if err != nil {
			return err
		}
		ours = append(ours, d)
	}
	figure("query.24h.p50_ms", ms(pct(ours, 50)), "ms")
	figure("query.24h.p95_ms", ms(pct(ours, 95)), "ms")

	// Stock DuckDB: the same SQL over a view of the same files.
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	view := fmt.Sprintf(`CREATE VIEW node_metrics AS SELECT * FROM read_parquet('%s/node_metrics/cluster=%s/*/*.parquet', hive_partitioning = true)
WHERE ts >= TIMESTAMP '%s' AND ts < TIMESTAMP '%s'`, root, cluster, scope24.From.Format(time.DateTime), scope24.To.Format(time.DateTime))
	if _, err := conn.ExecContext(ctx, view); err != nil {
		return err
	}
	var stock []time.Duration
	for i := 0; i <= *runs; i++ {
		t0 := time.Now()
		rows, err := conn.QueryContext(ctx, q24h)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		if i > 0 {
			stock = append(stock, time.Since(t0))
		}
	}
	figure("query.overhead_vs_duckdb", float64(pct(ours, 50))/float64(pct(stock, 50)), "x")

	// Cold: a fresh engine with an empty cache each time.
	scope7 := query.Scope{Table: "pods", Clusters: []string{cluster}, From: end.AddDate(0, 0, -*days), To: end}
	var cold []time.Duration
	for i := 0; i < 5; i++ {
		ec, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: filepath.Join(work, fmt.Sprintf("cache-cold-%d", i)), Now: now})
		if err != nil {
			return err
		}
		d, n, err := run(ec, scope7, q7d)
		ec.Close()
		if err != nil || n == 0 {
			return fmt.Errorf("7d query: %d rows, %v", n, err)
		}
		cold = append(cold, d)
	}
	figure("query.7d.p95_ms.cold", ms(pct(cold, 95)), "ms")
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the p-th percentile (nearest rank).
func pct(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
