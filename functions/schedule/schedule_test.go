package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var quiet = slog.New(slog.DiscardHandler)

func TestJobsRecordStatusAndInventory(t *testing.T) {
	ctx := context.Background()
	b, _ := store.NewFile(t.TempDir())
	// Two hours of metrics, two objects per hour, three hours ago.
	start := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	b.Put(ctx, lake.ClusterKey("c1", "current.json"), []byte("{}"), store.Condition{}) // registered, as an agent does
	w, _ := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
	for i := 0; i < 4; i++ {
		lake.Add(w, lake.NodeMetrics, lake.NodeMetric{TS: start.Add(time.Duration(i) * 30 * time.Minute), Node: "n", Metric: "cpu.pct", Value: float32(i)})
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := schedule.TakeInventory(ctx, b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	nm := inv.Tables["node_metrics"]
	if nm.Objects != 4 || nm.Clusters["c1"] != nm.Bytes || inv.Backlog != 4 {
		t.Fatalf("inventory before compaction: %+v backlog %d", nm, inv.Backlog)
	}
	st := schedule.RunOnce(ctx, b, schedule.Compaction(compact.Config{Bucket: b, WorkDir: t.TempDir(), Logger: quiet}, time.Hour), quiet)
	if !st.OK {
		t.Fatalf("compaction: %s", st.Error)
	}
	got, err := schedule.ReadStatus(ctx, b, "compact")
	if err != nil || got == nil || !got.OK || len(got.Report) == 0 {
		t.Fatalf("status %+v %v", got, err)
	}
	// The run's own store requests: it listed, read its 4 inputs, wrote
	// 2 merged objects and the status.
	if r := got.Requests; r == nil || r.List == 0 || r.Get < 4 || r.Put < 3 || got.EverySeconds != 3600 {
		t.Fatalf("compaction requests %+v every %d", got.Requests, got.EverySeconds)
	}
	if st := schedule.RunOnce(ctx, b, schedule.InventoryJob(time.Hour), quiet); !st.OK {
		t.Fatal(st.Error)
	} else if r := st.Requests; r.List != int64(len(lake.All()))+1 || r.Put != 3 || r.Get != 3 {
		// One LIST per table (each holds fewer than 1,000 objects) and one
		// of the clusters; GETs of the agent samples, c1's heartbeat (absent)
		// and the status; the inventory, the samples and the status written.
		t.Fatalf("inventory requests %+v", r)
	}
	var stored schedule.Inventory
	if found, err := schedule.GetJSON(ctx, b, schedule.InventoryKey, &stored); !found || err != nil {
		t.Fatalf("inventory not stored: %v", err)
	}
	// Merged per hour; the inputs stay until the grace period ends, but are
	// no longer backlog.
	if c := stored.Tables["node_metrics"].Compacted; c != 2 || stored.Backlog != 0 {
		t.Fatalf("compacted objects %d (want 2), backlog %d (want 0)", c, stored.Backlog)
	}
	if nm := stored.Tables["node_metrics"]; nm.ClusterObjects["c1"] != nm.Objects || nm.Objects != 6 {
		t.Fatalf("objects per cluster %v of %d (want 4 inputs + 2 merged)", nm.ClusterObjects, nm.Objects)
	}
	failing := schedule.Job{Name: "broken", Run: func(context.Context, store.Bucket, func() time.Time) (any, error) { return nil, errors.New("boom") }}
	if st := schedule.RunOnce(ctx, b, failing, quiet); st.OK || st.Error != "boom" {
		t.Fatalf("failing job status %+v", st)
	}
	if never, err := schedule.ReadStatus(ctx, b, "never"); never != nil || err != nil {
		t.Fatalf("never-run job: %+v %v", never, err)
	}
}

// TestRunHistory: every run is appended to the job's status with its
// requests; the history keeps the last day (and at most MaxHistory runs),
// and HistorySince says from when it is complete.
func TestRunHistory(t *testing.T) {
	ctx := context.Background()
	b, _ := store.NewFile(t.TempDir())
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	n := 0
	job := schedule.Job{Name: "tick", Every: time.Hour, Run: func(ctx context.Context, b store.Bucket, now func() time.Time) (any, error) {
		n++
		for i := 0; i < n; i++ { // run n lists n times
			b.List(ctx, "x/", "", 1)
		}
		return nil, nil
	}}
	for h := 0; h < 30; h++ {
		now = t0.Add(time.Duration(h) * time.Hour)
		if st := schedule.RunOnceAt(ctx, b, job, quiet, clock); !st.OK || st.Requests.List != int64(h+1) || st.Requests.Put != 1 || st.Requests.Get != 1 {
			t.Fatalf("run %d: %+v", h, st.Requests)
		}
	}
	st, err := schedule.ReadStatus(ctx, b, "tick")
	if err != nil || st == nil {
		t.Fatal(err)
	}
	// Runs at hours 5…29: every run that started within 24 h of the last.
	if len(st.History) != 25 || !st.History[0].Started.Equal(t0.Add(5*time.Hour)) || st.History[24].List != 30 || !st.HistorySince.Equal(t0) {
		t.Fatalf("history of %d runs from %v (since %v), last %+v", len(st.History), st.History[0].Started, st.HistorySince, st.History[len(st.History)-1])
	}
	// A job run every minute for a day and a half keeps MaxHistory runs,
	// and says from when.
	fast := schedule.Job{Name: "fast", Every: time.Minute, Run: func(context.Context, store.Bucket, func() time.Time) (any, error) { return nil, nil }}
	var data []byte
	for i := 0; i < schedule.MaxHistory+10; i++ {
		now = t0.Add(time.Duration(i) * 59 * time.Second)
		schedule.RunOnceAt(ctx, b, fast, quiet, clock)
	}
	st, _ = schedule.ReadStatus(ctx, b, "fast")
	if len(st.History) != schedule.MaxHistory || !st.HistorySince.Equal(st.History[0].Started) || st.HistorySince.Equal(t0) {
		t.Fatalf("fast job: %d runs, since %v, first %v", len(st.History), st.HistorySince, st.History[0].Started)
	}
	data, _, _ = b.Get(ctx, schedule.StatusKey("fast"), "")
	if len(data) > 64<<10 {
		t.Fatalf("a full history takes %d bytes", len(data))
	}
}

// TestSampleAgents: the inventory job keeps a day of the agents' request
// counters, one sample per new heartbeat.
func TestSampleAgents(t *testing.T) {
	ctx := context.Background()
	b, _ := store.NewFile(t.TempDir())
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	beat := func(cluster string, ts time.Time, puts int64, withCounts bool) {
		t.Helper()
		hb := lake.HeartbeatState{SchemaVersion: 1, Cluster: cluster, TS: ts, Agent: lake.AgentInfo{Instance: cluster + "-0", StartedAt: t0}}
		if withCounts {
			hb.Requests = &store.Requests{Put: puts}
		}
		data, _ := json.Marshal(lake.CurrentState{SchemaVersion: lake.CurrentSchemaVersion, Cluster: cluster, Heartbeat: &hb})
		if _, err := b.Put(ctx, lake.ClusterKey(cluster, lake.CurrentKey), data, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	for h := 0; h < 30; h++ {
		now := t0.Add(time.Duration(h) * time.Hour)
		beat("a", now.Add(-10*time.Second), int64(100*h), true)
		if h < 3 { // b stops after three hours
			beat("b", now.Add(-5*time.Second), int64(50*h), true)
		}
		beat("old", now, 7, false) // an agent that does not count requests
		n, err := schedule.SampleAgents(ctx, b, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 2, false: 1}[h < 3]; n != want {
			t.Fatalf("hour %d: sampled %d agents, want %d", h, n, want)
		}
	}
	var got schedule.AgentSamples
	if found, err := schedule.GetJSON(ctx, b, schedule.AgentSamplesKey, &got); !found || err != nil {
		t.Fatal(err)
	}
	a := got.Clusters["a"]
	if len(got.Clusters) != 1 || len(a) != 24 || a[23].Requests.Put != 2900 || a[0].Requests.Put != 600 || a[0].Instance != "a-0" || !a[0].StartedAt.Equal(t0) {
		t.Fatalf("samples: %d clusters, a: %d samples %+v … %+v", len(got.Clusters), len(a), a[0], a[len(a)-1])
	}
}
