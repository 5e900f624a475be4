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
	a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, now)
	// 120 objects in 2 h = 60/h, plus one heartbeat every 30 s = 120/h.
	if a.State != "online" || a.EstimatedPutsPerHour == nil || *a.EstimatedPutsPerHour != 180 || a.Spool.Bytes != 4096 || a.Spool.Objects != 3 || *a.AgeSeconds != 10 {
		t.Fatalf("agent %+v", a)
	}
	// An agent that counts its requests: they replace the estimate.
	hb.Requests = &store.Requests{Put: 400, List: 20, Get: 60, Head: 4, Delete: 2}
	a = agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a", Online: true}, Heartbeat: hb}, now)
	if q := a.RequestsPerHour; q == nil || q.Put != 200 || q.List != 10 || q.Get != 30 || *a.EstimatedPutsPerHour != 210 {
		t.Fatalf("reported counts: %+v %+v", a, q)
	}
	hb.Requests = nil
	hb.UptimeSeconds = 300
	if a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "a"}, Heartbeat: hb}, now); a.State != "offline" || a.EstimatedPutsPerHour != nil {
		t.Fatalf("young offline agent %+v", a)
	}
	if a := agent(lakeview.AgentHeartbeat{Info: lakeview.ClusterInfo{ID: "b"}}, now); a.State != "no_heartbeat" || a.LastHeartbeat != nil {
		t.Fatalf("no heartbeat %+v", a)
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
			{Job: "compact", EverySeconds: 900, Requests: &store.Requests{Put: 5, List: 20, Get: 50, Delete: 40}},
			{Job: "inventory", EverySeconds: 3600, Requests: &store.Requests{Put: 2, List: 10}},
			{Job: "other"}, // never ran
		},
	}
	c := estimate(S3Standard, r)
	if !c.Estimate || c.Currency != "USD" || c.HoursPerMonth != 730 || len(c.Items) != 4 {
		t.Fatalf("estimate %+v", c)
	}
	want := map[string]float64{
		"storage": 10 * 0.023,
		"agents":  61 * 730 / 1000.0 * 0.005,                             // offline and young agents excluded
		"api":     12*730/1000.0*0.005 + 100*730/1000.0*0.0004,           // deletes are free
		"jobs":    (25*2920+12*730)/1000.0*0.005 + 50*2920/1000.0*0.0004, // 2,920 compactions and 730 inventories a month
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
	// Agents that count their requests: their GETs are priced too, and
	// their reads and state writes are no longer left out.
	counted := 100.0
	r = &Report{Agents: []Agent{{State: "online", EstimatedPutsPerHour: &counted, RequestsPerHour: &RequestRates{Put: 90, List: 10, Get: 1000}}}}
	c = estimate(S3Standard, r)
	if len(c.Items) != 1 || !near(c.Items[0].USD, 100*730/1000.0*0.005+1000*730/1000.0*0.0004) || slices.Contains(c.Excludes, "agent_reads_and_state_writes") {
		t.Fatalf("counted agents: %+v", c)
	}
	if c := estimate(S3Standard, &Report{Agents: []Agent{{State: "online", EstimatedPutsPerHour: &puts}}}); !slices.Contains(c.Excludes, "agent_reads_and_state_writes") {
		t.Fatalf("estimated agents: the exclusion must stay: %+v", c.Excludes)
	}
	// Nothing measured: no items, zero total, still labelled.
	if c := estimate(S3Standard, &Report{}); len(c.Items) != 0 || c.TotalUSD != 0 || !c.Estimate || len(c.Excludes) == 0 {
		t.Fatalf("empty estimate %+v", c)
	}
}
