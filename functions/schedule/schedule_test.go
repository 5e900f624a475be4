package schedule_test

import (
	"context"
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
	} else if r := st.Requests; r.List != int64(len(lake.All())) || r.Put != 2 || r.Get != 0 {
		// One LIST per table (each holds fewer than 1,000 objects), the
		// inventory and the status written.
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
	failing := schedule.Job{Name: "broken", Run: func(context.Context, store.Bucket) (any, error) { return nil, errors.New("boom") }}
	if st := schedule.RunOnce(ctx, b, failing, quiet); st.OK || st.Error != "boom" {
		t.Fatalf("failing job status %+v", st)
	}
	if never, err := schedule.ReadStatus(ctx, b, "never"); never != nil || err != nil {
		t.Fatalf("never-run job: %+v %v", never, err)
	}
}
