// Command bench measures what AtlHyper costs in object-store requests and
// storage at its defaults: a simulated day of a fleet (agent/sim: the real
// agent on simulated clusters with scripted incidents and node metrics),
// the scheduler's jobs at their default intervals (compaction every
// 15 min, inventory hourly, default retention), and the API answering one
// dashboard that refreshes every 30 s for one watched cluster.
//
// Time is virtual (sim.StepClock): every timer — agents' flush, state,
// current, heartbeat and lease, the script, the jobs, the dashboard —
// keeps its default interval in virtual time; the clock moves only when
// the process is quiet, so the day runs as fast as the machine allows.
// Every store request is counted by type (304 and 412 answers included),
// in a store.Metered per agent, per job (split into what concerns one
// cluster and what the fleet shares) and for the API. Storage is priced at
// steady state: each table's bytes per cluster-day at rest (after the
// daily merge) times its retention.
//
// It prints one figure per line, `name value unit`:
//
//	go run ./functions/usage/internal/bench [--clusters 10 --nodes 100 --pods 3000 --hours 24]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/sim"
	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/functions/usage"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

const (
	secret   = "bench-secret-7c1e5b2d8f4a6c0e9b7d5f3a1c8e3f9a"
	admin    = "admin"
	password = "Bench-cost-pass-2026!"

	compactEvery   = 15 * time.Minute // functions/cmd/scheduler defaults
	inventoryEvery = time.Hour
	refreshEvery   = 30 * time.Second // the web's default refresh
	warmUp         = 15 * time.Minute
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// snap is every meter at one instant.
type snap struct {
	agents                        map[string]store.Requests
	compactCluster, compactShared store.Requests
	invCluster, invShared         store.Requests
	api                           store.Requests
	dashboard                     int // HTTP requests the dashboard sent
}

func run() error {
	clusters := flag.Int("clusters", 10, "simulated clusters")
	nodes := flag.Int("nodes", 100, "nodes per cluster")
	pods := flag.Int("pods", 3000, "pods per cluster")
	hours := flag.Int("hours", 24, "virtual hours measured (after a 15-minute warm-up)")
	seed := flag.Int64("seed", 1, "simulation seed")
	storeURL := flag.String("store", "", "store URL (default: a file store in a temporary directory under --tmp)")
	tmpRoot := flag.String("tmp", defaultTmp(), "where the lake, caches and scratch space go (default: /dev/shm when there is one: the file store fsyncs every write, which counts nothing and costs minutes)")
	dayFlag := flag.String("day", "2026-03-02", "the simulated day (UTC)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the simulated day here")
	flag.Parse()
	if *clusters < 2 || *hours < 1 {
		return errors.New("need at least 2 clusters (one watched) and 1 hour")
	}
	day, err := time.Parse(time.DateOnly, *dayFlag)
	if err != nil {
		return fmt.Errorf("--day: %w", err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	quiet := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	wall := time.Now()

	tmp, err := os.MkdirTemp(*tmpRoot, "atlhyper-cost-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var base store.Bucket
	if *storeURL != "" {
		base, err = store.Open(ctx, *storeURL)
	} else {
		base, err = store.NewFile(filepath.Join(tmp, "lake"))
	}
	if err != nil {
		return err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Ten agents' informer caches and the merges make a large heap:
	// collect less often than the default (the collector took a quarter
	// of the CPU), within a bound.
	debug.SetGCPercent(300)
	debug.SetMemoryLimit(8 << 30)
	from, to := day, day.Add(time.Duration(*hours)*time.Hour)
	clk := sim.NewStepClock(from.Add(-warmUp))
	clk.IgnoreSyscalls = *cpuProfile != ""
	var mu sync.Mutex
	agentMeters := map[string]*store.Metered{}
	fleet, err := sim.New(sim.Config{Store: base, Clusters: *clusters, Nodes: *nodes, Pods: *pods, Seed: *seed, Clock: clk,
		NodeMetrics: true, Logger: quiet, Agent: func(c *agent.Config) {
			m := store.NewMetered(c.Store)
			mu.Lock()
			agentMeters[c.Cluster] = m
			mu.Unlock()
			c.Store = m
		}})
	if err != nil {
		return err
	}
	fleetCtx, stopFleet := context.WithCancel(ctx)
	defer stopFleet()
	fleetDone := make(chan error, 1)
	go func() { fleetDone <- fleet.Run(fleetCtx) }()
	logf("starting %d clusters × %d nodes × %d pods …", *clusters, *nodes, *pods)
	for !fleet.Scripted() {
		select {
		case err := <-fleetDone:
			return fmt.Errorf("fleet stopped: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	logf("fleet synced in %s", time.Since(wall).Round(time.Second))

	a, err := app.Open(ctx, app.Config{Bucket: base, CacheDir: filepath.Join(tmp, "cache"), Threads: 2, MemoryLimit: "1GB",
		JWTSecret: secret, AdminUser: admin, AdminPassword: password, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000,
		Logger: quiet, Now: clk.Now})
	if err != nil {
		return err
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	watched := fleet.Clusters()[0]
	dash := &dashboard{base: srv.URL + "/api/v1", cluster: watched, now: clk.Now, client: srv.Client()}
	if err := dash.login(admin, password); err != nil {
		return err
	}

	compactB, invB := newSplit(base), newSplit(base)
	compactJob := schedule.Compaction(compact.Config{WorkDir: tmp, Logger: quiet}, compactEvery)
	invJob := schedule.InventoryJob(inventoryEvery)
	runJob := func(b store.Bucket, j schedule.Job) func() error {
		return func() error {
			if st := schedule.RunOnceAt(ctx, b, j, quiet, clk.Now); !st.OK {
				return fmt.Errorf("%s at %s: %s", j.Name, clk.Now().Format(time.RFC3339), st.Error)
			}
			return nil
		}
	}
	type action struct {
		next  time.Time
		every time.Duration
		do    func() error
		took  time.Duration // wall time, for the progress log
	}
	start := clk.Now()
	actions := []*action{
		{next: start, every: compactEvery, do: runJob(compactB, compactJob)},
		{next: start, every: inventoryEvery, do: runJob(invB, invJob)},
		{next: start, every: refreshEvery, do: dash.refresh},
	}
	snapshot := func() snap {
		s := snap{agents: map[string]store.Requests{}, compactCluster: compactB.cluster.Requests(), compactShared: compactB.shared.Requests(),
			invCluster: invB.cluster.Requests(), invShared: invB.shared.Requests(), api: a.Meter.Requests(), dashboard: dash.requests}
		mu.Lock()
		for c, m := range agentMeters {
			s.agents[c] = m.Requests()
		}
		mu.Unlock()
		return s
	}

	// The day, in lockstep: the jobs and the dashboard run at their
	// virtual times with the clock held (a run takes no virtual time, as a
	// real one takes seconds); agents and the script run between steps.
	var s0, s1 snap
	started, lastLog := false, start
	for {
		now := clk.Now()
		if !started && !now.Before(from) {
			s0, started = snapshot(), true
		}
		if !now.Before(to) {
			s1 = snapshot()
			break
		}
		for _, act := range actions {
			if !act.next.After(now) {
				t := time.Now()
				if err := act.do(); err != nil {
					return err
				}
				act.took += time.Since(t)
				act.next = act.next.Add(act.every)
			}
		}
		next := now.Add(time.Second)
		for _, act := range actions {
			if act.next.Before(next) {
				next = act.next
			}
		}
		if !started && from.Before(next) {
			next = from
		}
		if to.Before(next) {
			next = to
		}
		clk.Step(next)
		if now.Sub(lastLog) >= time.Hour {
			lastLog = now
			logf("virtual %s, %s of wall time (compaction %s, inventory %s, dashboard %s)", now.Format("Jan 2 15:04"), time.Since(wall).Round(time.Second),
				actions[0].took.Round(time.Second), actions[1].took.Round(time.Second), actions[2].took.Round(time.Second))
		}
	}
	simWall := time.Since(wall)
	stopFleet()
	select {
	case err := <-fleetDone:
		if err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	case <-time.After(5 * time.Minute):
		return errors.New("fleet did not stop")
	}
	srv.Close()

	// At rest: hour 23 merged, then the daily merge of the day 48 h after
	// it ended (that run counted on its own), inputs collected.
	run := func(b store.Bucket, at time.Time) error {
		clk.Step(at)
		return runJob(b, compactJob)()
	}
	if err := run(base, to.Add(20*time.Minute)); err != nil {
		return err
	}
	if err := run(base, to.Add(30*time.Minute)); err != nil {
		return err
	}
	hourly, _, err := partitions(ctx, base, fleet.Clusters(), day)
	if err != nil {
		return err
	}
	mergeB := newSplit(base)
	dailyAt := day.Add(72*time.Hour + 15*time.Minute)
	// First everything else that became due (hours closed since), so that
	// the counted run does the daily merge and that day's sweep only.
	if err := run(base, dailyAt.Add(-20*time.Minute)); err != nil {
		return err
	}
	if err := run(mergeB, dailyAt); err != nil {
		return err
	}
	if err := run(base, dailyAt.Add(10*time.Minute)); err != nil {
		return err
	}
	atRest, atRestBytes, err := partitions(ctx, base, fleet.Clusters(), day)
	if err != nil {
		return err
	}

	report(reportInput{clusters: *clusters, hours: float64(*hours), watched: watched, s0: s0, s1: s1, merge: mergeB,
		hourlyObjects: hourly, atRestObjects: atRest, atRestBytes: atRestBytes,
		unsettled: clk.Unsettled.Load(), wall: simWall, inventoryRuns: float64(*hours) * float64(time.Hour/inventoryEvery),
		compactRuns: float64(*hours) * float64(time.Hour/compactEvery)})
	return nil
}

func defaultTmp() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// partitions counts, per table, the objects and bytes of one day's
// partitions, averaged over clusters.
func partitions(ctx context.Context, b store.Bucket, clusters []string, day time.Time) (objects, bytes map[string]float64, err error) {
	objects, bytes = map[string]float64{}, map[string]float64{}
	for _, t := range lake.All() {
		for _, c := range clusters {
			objs, err := lake.ListPartition(ctx, b, t.Name(), c, day)
			if err != nil {
				return nil, nil, err
			}
			for _, o := range objs {
				objects[t.Name()]++
				bytes[t.Name()] += float64(o.Info.Size)
			}
		}
		objects[t.Name()] /= float64(len(clusters))
		bytes[t.Name()] /= float64(len(clusters))
	}
	return objects, bytes, nil
}

type reportInput struct {
	clusters                   int
	hours                      float64
	watched                    string
	s0, s1                     snap
	merge                      *split
	hourlyObjects              map[string]float64
	atRestObjects, atRestBytes map[string]float64
	unsettled                  int64
	wall                       time.Duration
	inventoryRuns, compactRuns float64
}

func report(in reportInput) {
	out := func(name string, v float64, unit string) {
		digits := 2
		switch {
		case v != 0 && math.Abs(v) < 0.01:
			digits = 6
		case math.Abs(v) < 1:
			digits = 4
		}
		fmt.Printf("%s %.*f %s\n", name, digits, v, unit)
	}
	n := float64(in.clusters)
	hoursPerMonth := float64(usage.HoursPerMonth)

	// Agents, per cluster-hour: the watched one and the mean of the others.
	var unwatched store.Requests
	var watched store.Requests
	for c, r1 := range in.s1.agents {
		d := r1.Sub(in.s0.agents[c])
		if c == in.watched {
			watched = d
		} else {
			unwatched = unwatched.Add(d)
		}
	}
	agentU := per(unwatched, (n-1)*in.hours)
	agentW := per(watched, in.hours)
	// Jobs: what concerns each cluster, per cluster-hour; what the fleet
	// shares, per day.
	compactC := per(in.s1.compactCluster.Sub(in.s0.compactCluster), n*in.hours)
	invC := per(in.s1.invCluster.Sub(in.s0.invCluster), n*in.hours)
	shared := per(in.s1.compactShared.Sub(in.s0.compactShared).Add(in.s1.invShared.Sub(in.s0.invShared)), in.hours/24)
	// The daily merge (not in a fresh lake's first day): the run that does
	// it, less what every run does anyway (the listings of its retention
	// sweep, already counted once a day; lease and cursor).
	m := in.merge.cluster.Requests()
	m.List, m.Put, m.Get = 0, max(0, m.Put-3*int64(in.clusters)), max(0, m.Get-2*int64(in.clusters))
	merge := per(m, n) // per cluster-day
	jobsC := compactC.plus(invC).plus(merge.times(1 / 24.0))
	api := per(in.s1.api.Sub(in.s0.api), in.hours)

	perCluster := agentU.plus(jobsC)
	var gb float64
	var names []string
	for t := range in.atRestBytes {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		tb, _ := lake.Lookup(t)
		gb += in.atRestBytes[t] * float64(tb.DefaultRetentionDays()) / (1 << 30)
	}
	storageUSD := gb * usage.S3Standard.StoragePerGBMonth

	allLists := (float64(unwatched.List+watched.List) + (compactC.list+invC.list)*n*in.hours + shared.list*in.hours/24 + api.list*in.hours) / in.hours * 24

	// Fleet-fixed: what the jobs do once for the whole fleet, per month, at
	// 1, 10 and 100 clusters. Only the inventory's listings grow with the
	// fleet (one LIST per 1,000 objects of a table): modelled from the
	// objects a cluster holds at steady state — at rest, one object per
	// table-day older than 2 days; hourly objects for the last two and a half.
	invRunsPerDay := 24 * float64(time.Hour/inventoryEvery)
	measuredPages := float64(in.s1.invShared.Sub(in.s0.invShared).List)/in.inventoryRuns - 1 // less the cluster list
	fixed := func(clusters float64) float64 {
		pages := 0.0
		for _, t := range lake.All() {
			objs := in.atRestObjects[t.Name()]*float64(t.DefaultRetentionDays()-2) + 2.5*in.hourlyObjects[t.Name()]
			pages += max(1, math.Ceil(clusters*objs/1000))
		}
		r := shared
		r.list += invRunsPerDay * (pages - measuredPages)
		return r.usd() * hoursPerMonth / 24
	}

	out("cost.clusters", n, "clusters")
	out("cost.simulated_hours", in.hours, "h")
	out("cost.wall_seconds", in.wall.Seconds(), "s")
	out("cost.clock_unsettled_steps", float64(in.unsettled), "steps")
	out("cost.puts_per_cluster_hour", perCluster.put, "req/h")
	out("cost.gets_per_cluster_hour", perCluster.get+perCluster.head, "req/h")
	out("cost.lists_per_day", allLists, "req/day")
	out("cost.usd_per_cluster_month", perCluster.usd()*hoursPerMonth+storageUSD, "USD")
	out("cost.usd_per_watched_cluster_hour", api.usd(), "USD")
	for _, k := range []int{1, 10, 100} {
		out(fmt.Sprintf("cost.fleet_fixed_usd_per_month.clusters_%d", k), fixed(float64(k)), "USD")
	}
	out("cost.usd_per_cluster_month.agent", agentU.usd()*hoursPerMonth, "USD")
	out("cost.usd_per_cluster_month.compaction", compactC.plus(merge.times(1/24.0)).usd()*hoursPerMonth, "USD")
	out("cost.usd_per_cluster_month.inventory", invC.usd()*hoursPerMonth, "USD")
	out("cost.usd_per_cluster_month.storage", storageUSD, "USD")
	out("cost.storage.gb_per_cluster_at_retention", gb, "GB")
	for _, t := range names {
		out("cost.storage.bytes_per_cluster_day."+t, in.atRestBytes[t], "B")
	}
	for _, r := range []struct {
		name string
		r    rates
		unit string
	}{
		{"cost.unwatched.agent", agentU, "req/h"},
		{"cost.watched.agent", agentW, "req/h"},
		{"cost.watched.api", api, "req/h"},
		{"cost.jobs.compaction.per_cluster", compactC, "req/h"},
		{"cost.jobs.daily_merge.per_cluster", merge, "req/day"},
		{"cost.jobs.inventory.per_cluster", invC, "req/h"},
		{"cost.jobs.fleet_shared", shared, "req/day"},
	} {
		for _, x := range r.r.byType() {
			out(r.name+"."+x.name, x.v, r.unit)
		}
	}
	out("cost.watched.dashboard_requests_per_hour", float64(in.s1.dashboard-in.s0.dashboard)/in.hours, "req/h")
}
