package usage

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestMeterWindow: rates need ten minutes of measurement, then run over
// about the last hour, sliding while snapshots are taken.
func TestMeterWindow(t *testing.T) {
	ctx := context.Background()
	fb, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := store.NewMetered(fb)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	mt := NewMeter(m, t0)
	for i := 0; i < 6; i++ {
		m.Put(ctx, "k", []byte("x"), store.Condition{})
	}
	s := mt.Snapshot(t0.Add(5 * time.Minute))
	if s.PerHour != nil || s.WindowSeconds != 300 || s.Total.Put != 6 || s.UptimeSeconds != 300 {
		t.Fatalf("after 5 min: %+v", s)
	}
	s = mt.Snapshot(t0.Add(30 * time.Minute))
	if s.PerHour == nil || s.PerHour.Put != 12 || s.PerHour.Get != 0 || s.WindowSeconds != 1800 {
		t.Fatalf("after 30 min: %+v %+v", s, s.PerHour)
	}
	for i := 0; i < 10; i++ {
		m.Get(ctx, "k", "")
	}
	m.Get(ctx, "absent", "") // not found: a request, not an error
	// 90 min: the newest sample at least an hour old is the one at 30 min
	// (6 puts, no gets), so the window is the last hour.
	s = mt.Snapshot(t0.Add(90 * time.Minute))
	if s.PerHour == nil || s.WindowSeconds != 3600 || s.PerHour.Put != 0 || s.PerHour.Get != 11 || s.PerHour.Errors != 0 || s.Total.Get != 11 {
		t.Fatalf("after 90 min: %+v %+v", s, s.PerHour)
	}
	if len(mt.samples) > 3 {
		t.Fatalf("samples not pruned: %d", len(mt.samples))
	}
	// After a quiet spell the window covers everything since the last
	// sample rather than a few seconds.
	s = mt.Snapshot(t0.Add(5 * time.Hour))
	if s.WindowSeconds != (5*time.Hour - 90*time.Minute).Seconds() {
		t.Fatalf("after a quiet spell: window %v", s.WindowSeconds)
	}
}

func TestInventorySummary(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	inv := &schedule.Inventory{At: now.Add(-30 * time.Minute), Backlog: 7, Tables: map[string]*schedule.TableInventory{
		"pods":  {Objects: 10, Bytes: 1000, Compacted: 2, Clusters: map[string]int64{"a": 600, "b": 400}, ClusterObjects: map[string]int64{"a": 6, "b": 4}},
		"audit": {Objects: 3, Bytes: 30, Clusters: map[string]int64{"_global": 30}, ClusterObjects: map[string]int64{"_global": 3}},
		"nodes": {Objects: 4, Bytes: 3000, Compacted: 1, Clusters: map[string]int64{"a": 3000}, ClusterObjects: map[string]int64{"a": 4}},
		"empty": {Clusters: map[string]int64{}, ClusterObjects: map[string]int64{}},
	}}
	got := inventory(inv, now, 3600)
	if got.Objects != 17 || got.Bytes != 4030 || got.CompactedObjects != 3 || got.CompactionBacklog != 7 || got.Stale || got.AgeSeconds != 1800 {
		t.Fatalf("totals %+v", got)
	}
	var names []string
	for _, tb := range got.Tables {
		names = append(names, tb.Table)
	}
	if strings.Join(names, ",") != "nodes,pods,audit,empty" {
		t.Fatalf("tables by size: %v", names)
	}
	if len(got.Clusters) != 3 || got.Clusters[0].Cluster != "a" || got.Clusters[0].Bytes != 3600 || *got.Clusters[0].Objects != 10 ||
		got.Clusters[0].BytesByTable["nodes"] != 3000 || got.Clusters[2].Cluster != "_global" {
		t.Fatalf("clusters %+v", got.Clusters)
	}
	// Old inventories have no per-cluster object counts: null, not 0.
	inv.Tables["pods"].ClusterObjects, inv.Tables["audit"].ClusterObjects, inv.Tables["nodes"].ClusterObjects, inv.Tables["empty"].ClusterObjects = nil, nil, nil, nil
	inv.At = now.Add(-3 * time.Hour)
	got = inventory(inv, now, 3600)
	if got.Clusters[0].Objects != nil || !got.Stale {
		t.Fatalf("old inventory: %+v stale %v", got.Clusters[0], got.Stale)
	}
	if got := inventory(inv, now, 4*3600); got.Stale {
		t.Fatal("3 h old inventory of a 4-hourly job is not stale")
	}
}

func TestJobFromStatus(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if j := job("compact", nil, now); j.State != "never_run" || j.Started != nil {
		t.Fatalf("never ran: %+v", j)
	}
	corrupt := make([]string, 70)
	for i := range corrupt {
		corrupt[i] = "pods/x.parquet"
	}
	rep, _ := json.Marshal(compact.Report{Partitions: 3, ObjectsMerged: 12, ObjectsWritten: 3, ObjectsDeleted: 9, ObjectsExpired: 1, BytesIn: 900, BytesOut: 500, Corrupt: corrupt})
	st := &schedule.Status{Job: "compact", Started: now.Add(-2 * time.Minute), Finished: now.Add(-2*time.Minute + 1500*time.Millisecond), OK: true,
		Report: rep, Requests: &store.Requests{Put: 4, List: 9, Get: 12}, EverySeconds: 900}
	j := job("compact", st, now)
	c := j.Compaction
	if j.State != "ok" || j.DurationMS != 1500 || *j.AgeSeconds != 118.5 || j.EverySeconds != 900 || j.Requests.List != 9 || c == nil ||
		c.ObjectsMerged != 12 || c.ObjectsDeleted != 9 || c.ObjectsExpired != 1 || c.CorruptCount != 70 || len(c.Corrupt) != maxListed || c.Errors == nil {
		t.Fatalf("compact: %+v %+v", j, c)
	}
	st.OK, st.Error = false, "boom"
	if j := job("compact", st, now); j.State != "failed" || j.Error != "boom" {
		t.Fatalf("failed: %+v", j)
	}
	if j := job("inventory", &schedule.Status{Job: "inventory", Report: json.RawMessage(`{"objects":3}`), OK: true}, now); j.Compaction != nil {
		t.Fatal("only compaction has a compaction report")
	}
}

func TestAgentEstimate(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	hb := &lake.HeartbeatState{TS: now.Add(-10 * time.Second), IntervalSeconds: 30, UptimeSeconds: 7200,
		Spool: lake.SpoolInfo{Objects: 3, Bytes: 4096, MaxBytes: 1 << 30}, Written: lake.WrittenInfo{Rows: 5000, Objects: 120, Bytes: 1 << 20}}
	a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, nil, now)
	// 120 objects in 2 h = 60/h, plus one heartbeat every 30 s = 120/h.
	if a.State != "online" || a.EstimatedPutsPerHour == nil || *a.EstimatedPutsPerHour != 180 || a.Spool.Bytes != 4096 || a.Spool.Objects != 3 || *a.AgeSeconds != 10 {
		t.Fatalf("agent %+v", a)
	}
	// An agent that counts its requests: they replace the estimate (over
	// its uptime while the scheduler has no samples of it).
	hb.Requests = &store.Requests{Put: 400, List: 20, Get: 60, Head: 4, Delete: 2}
	a = agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, nil, now)
	if q := a.RequestsPerHour; q == nil || q.Put != 200 || q.List != 10 || q.Get != 30 || *a.EstimatedPutsPerHour != 210 || a.RequestsWindowSeconds != 7200 {
		t.Fatalf("reported counts: %+v %+v", a, q)
	}
	hb.Requests = nil
	hb.UptimeSeconds = 300
	if a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a"}, Heartbeat: hb}, nil, now); a.State != "offline" || a.EstimatedPutsPerHour != nil {
		t.Fatalf("young offline agent %+v", a)
	}
	if a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "b"}}, nil, now); a.State != "no_heartbeat" || a.LastHeartbeat != nil {
		t.Fatalf("no heartbeat %+v", a)
	}
}

// TestAgentRateFromSamples: an agent's counters run from its start; the
// scheduler's samples turn them into the rate of the last day — the
// start-up burst of a week-old agent no longer counts, a restart begins a
// new run of counters.
func TestAgentRateFromSamples(t *testing.T) {
	now := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	started := now.Add(-7 * 24 * time.Hour)
	// 10,000 PUTs at start, then 100 an hour; samples every hour.
	putsAt := func(t time.Time) int64 { return 10_000 + int64(100*t.Sub(started).Hours()) }
	var samples []schedule.AgentSample
	for h := 30; h >= 1; h-- { // the oldest six fall outside the day
		ts := now.Add(-time.Duration(h) * time.Hour)
		samples = append(samples, schedule.AgentSample{TS: ts, Instance: "a-0", StartedAt: started, Requests: store.Requests{Put: putsAt(ts), Get: 4 * putsAt(ts)}})
	}
	hb := &lake.HeartbeatState{TS: now, IntervalSeconds: 30, UptimeSeconds: int64(now.Sub(started).Seconds()),
		Agent: lake.AgentInfo{Instance: "a-0", StartedAt: started}}
	hb.Requests = &store.Requests{Put: putsAt(hb.TS), Get: 4 * putsAt(hb.TS)}
	a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, samples, now)
	if q := a.RequestsPerHour; q == nil || q.Put != 100 || q.Get != 400 || a.RequestsWindowSeconds != 24*3600 {
		t.Fatalf("a week-old agent: %+v over %v s (the rate of the last day is 100 PUT/h)", q, a.RequestsWindowSeconds)
	}
	// Over its uptime instead, the start-up burst would show.
	if a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, nil, now); a.RequestsPerHour.Put < 150 {
		t.Fatalf("without samples: %+v", a.RequestsPerHour)
	}
	// Restarted 3 h ago as another instance: 10,000 again at start, then
	// 100 an hour. The old instance's last 21 h (2,100) plus the new
	// one's 10,300, over the window.
	restart := now.Add(-3 * time.Hour)
	var mixed []schedule.AgentSample
	for _, s := range samples {
		if s.TS.Before(restart) {
			mixed = append(mixed, s)
		} else {
			n := 10_000 + int64(100*s.TS.Sub(restart).Hours())
			mixed = append(mixed, schedule.AgentSample{TS: s.TS, Instance: "a-1", StartedAt: restart, Requests: store.Requests{Put: n}})
		}
	}
	hb2 := *hb
	hb2.Agent = lake.AgentInfo{Instance: "a-1", StartedAt: restart}
	hb2.Requests = &store.Requests{Put: 10_000 + int64(100*hb2.TS.Sub(restart).Hours())}
	hb2.UptimeSeconds = int64(hb2.TS.Sub(restart).Seconds())
	a = agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: &hb2}, mixed, now)
	window := hb2.TS.Sub(samples[6].TS).Hours()
	want := round((float64(putsAt(now.Add(-4*time.Hour))-putsAt(samples[6].TS))+float64(hb2.Requests.Put))/window, 1)
	if q := a.RequestsPerHour; q == nil || q.Put != want {
		t.Fatalf("restarted agent: %+v, want %v PUT/h", q, want)
	}
	// Started 20 minutes ago, one sample at 5 min: from its start.
	young := *hb
	young.Agent.StartedAt, young.UptimeSeconds = now.Add(-20*time.Minute), 1200
	young.Requests = &store.Requests{Put: 600}
	one := []schedule.AgentSample{{TS: now.Add(-15 * time.Minute), Instance: "a-0", StartedAt: young.Agent.StartedAt, Requests: store.Requests{Put: 500}}}
	a = agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: &young}, one, now)
	if q := a.RequestsPerHour; q == nil || math.Abs(q.Put-600/young.TS.Sub(young.Agent.StartedAt).Hours()) > 0.1 {
		t.Fatalf("young agent: %+v", q)
	}
}

// TestJobRates: a job's cost is the requests of its runs over the last
// day, not its last run repeated: a once-a-day run counts once.
func TestJobRates(t *testing.T) {
	now := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	hourly := &schedule.Status{Job: "compact", EverySeconds: 3600, HistorySince: now.Add(-72 * time.Hour)}
	for h := 48; h >= 1; h-- { // the older 24 are outside the window
		hourly.History = append(hourly.History, schedule.Run{Started: now.Add(-time.Duration(h) * time.Hour), OK: true, Put: 3, List: 10, Get: 40})
	}
	// The daily sweep, 5 h ago: 500 LISTs once.
	hourly.History[43].List = 510
	j := job("compact", hourly, now)
	if r := j.Rate; r == nil || r.Runs != 24 || r.WindowSeconds != 86400 || r.PerHour.List != round((24*10+500)/24.0, 1) || r.PerHour.Put != 3 || r.PerHour.Get != 40 {
		t.Fatalf("hourly job with a daily sweep: %+v", j.Rate)
	}
	daily := &schedule.Status{Job: "inventory", EverySeconds: 86400, HistorySince: now.Add(-30 * time.Hour),
		History: []schedule.Run{{Started: now.Add(-20 * time.Hour), OK: true, Put: 2, List: 48}}}
	if r := job("inventory", daily, now).Rate; r == nil || r.Runs != 1 || r.PerHour.List != 2 || r.PerHour.Put != round(2/24.0, 1) {
		t.Fatalf("daily job: %+v", r)
	}
	// A history younger than the job's interval is no rate: one run of a
	// daily job an hour ago would say 24 runs a day.
	young := &schedule.Status{Job: "inventory", EverySeconds: 86400, HistorySince: now.Add(-time.Hour), History: daily.History[:1]}
	young.History[0].Started = now.Add(-time.Hour)
	if r := job("inventory", young, now).Rate; r != nil {
		t.Fatalf("young daily job priced: %+v", r)
	}

	// The estimate prices exactly those rates.
	r := &Report{Jobs: []Job{job("compact", hourly, now), job("inventory", daily, now), {Job: "never", State: "never_run"}}}
	c := estimate(S3Standard, r)
	if len(c.Items) != 1 || c.Items[0].Item != "jobs" || c.Items[0].WindowSeconds != 86400 {
		t.Fatalf("items %+v", c.Items)
	}
	putList := (24*3 + 24*10 + 500 + 2 + 48) / 24.0 * HoursPerMonth
	gets := 24 * 40 / 24.0 * HoursPerMonth
	if it := c.Items[0]; math.Abs(it.PutListPerMonth-putList) > 0.05*HoursPerMonth || math.Abs(it.GetPerMonth-gets) > 1 ||
		math.Abs(it.USD-(putList/1000*0.005+gets/1000*0.0004)) > 0.001 || !strings.Contains(it.Basis, "compact: 24 runs in 24.0 h") {
		t.Fatalf("jobs item %+v, want %.0f PUT+LIST and %.0f GET a month", it, putList, gets)
	}
}

func TestCostEstimate(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-4 }
	puts := 61.0
	r := &Report{
		Inventory: &Inventory{Bytes: 10 << 30, Objects: 1000},
		Agents:    []Agent{{State: "online", EstimatedPutsPerHour: &puts}, {State: "offline", EstimatedPutsPerHour: &puts}, {State: "online"}},
		API:       Requests{WindowSeconds: 3600, PerHour: &RequestRates{Put: 10, List: 2, Get: 100, Delete: 50}},
		Jobs: []Job{
			{Job: "compact", EverySeconds: 900, Rate: &JobRate{Runs: 96, WindowSeconds: 86400, PerHour: RequestRates{Put: 20, List: 80, Get: 200, Delete: 160}}},
			{Job: "inventory", EverySeconds: 3600, Rate: &JobRate{Runs: 24, WindowSeconds: 86400, PerHour: RequestRates{Put: 2, List: 10}}},
			{Job: "other"}, // never ran
		},
	}
	c := estimate(S3Standard, r)
	if !c.Estimate || c.Currency != "USD" || c.HoursPerMonth != 730 || len(c.Items) != 4 {
		t.Fatalf("estimate %+v", c)
	}
	want := map[string]float64{
		"storage": 10 * 0.023,
		"agents":  61 * 730 / 1000.0 * 0.005,                         // offline and young agents excluded
		"api":     12*730/1000.0*0.005 + 100*730/1000.0*0.0004,       // deletes are free
		"jobs":    (100+12)*730/1000.0*0.005 + 200*730/1000.0*0.0004, // rates over the last day
	}
	var sum float64
	for _, it := range c.Items {
		if !near(it.USD, want[it.Item]) {
			t.Errorf("%s: $%v, want $%v (%+v)", it.Item, it.USD, want[it.Item], it)
		}
		if it.Basis == "" {
			t.Errorf("%s has no basis", it.Item)
		}
		sum += it.USD
	}
	if !near(c.TotalUSD, sum) {
		t.Fatalf("total %v, items sum to %v", c.TotalUSD, sum)
	}
	// Per cluster-month: everything but the API, over the 3 registered clusters.
	if pc := c.PerCluster; pc == nil || pc.Clusters != 3 || !near(pc.USD, round((want["storage"]+want["agents"]+want["jobs"])/3, 4)) {
		t.Fatalf("per cluster %+v", c.PerCluster)
	}
	if !slices.Contains(c.Excludes, "agent_reads_and_state_writes") || !slices.Contains(c.Excludes, "standby_agents") {
		t.Fatalf("estimated agents: the exclusions must say so: %+v", c.Excludes)
	}
	// Agents that count their requests: their GETs are priced too, and
	// their reads and state writes are no longer left out.
	counted := 100.0
	r = &Report{Agents: []Agent{{State: "online", EstimatedPutsPerHour: &counted, RequestsPerHour: &RequestRates{Put: 90, List: 10, Get: 1000}, RequestsWindowSeconds: 86400}}}
	c = estimate(S3Standard, r)
	if len(c.Items) != 1 || !near(c.Items[0].USD, 100*730/1000.0*0.005+1000*730/1000.0*0.0004) || slices.Contains(c.Excludes, "agent_reads_and_state_writes") ||
		c.Items[0].WindowSeconds != 86400 || c.PerCluster == nil || !near(c.PerCluster.USD, c.TotalUSD) {
		t.Fatalf("counted agents: %+v", c)
	}
	// Nothing measured: no items, zero total, still labelled.
	if c := estimate(S3Standard, &Report{}); len(c.Items) != 0 || c.TotalUSD != 0 || !c.Estimate || len(c.Excludes) == 0 || c.PerCluster != nil {
		t.Fatalf("empty estimate %+v", c)
	}
}
