package sim_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/agent/sim"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestFleetWritesTheLake runs two simulated clusters for two virtual hours
// in a few seconds and checks that the real agent pipeline wrote what the
// API and dashboards read: state history with checkpoints, details,
// anomalies from the script, events, node metrics and the state objects.
func TestFleetWritesTheLake(t *testing.T) {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 9, 40, 0, 0, time.UTC)
	f, err := sim.New(sim.Config{Store: b, Clusters: 2, Nodes: 6, Pods: 80, Seed: 7, Speed: 1800, Start: start,
		Duration: 2 * time.Hour, NodeMetrics: true, EventRate: 30})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := f.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range f.Clusters() {
		counts := map[string]int{}
		ops := map[string]int{}
		checkpoints := map[time.Time]bool{}
		rules := map[string]int{}
		for _, day := range lake.Days(start, start.Add(3*time.Hour)) {
			for _, table := range []string{"pods", "object_details", "anomalies", "events", "node_metrics", "heartbeats", "workloads", "nodes"} {
				objs, err := lake.ListPartition(ctx, b, table, id, day)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range objs {
					data, _, err := b.Get(ctx, o.Info.Key, "")
					if err != nil {
						t.Fatal(err)
					}
					switch table {
					case "pods":
						rows, _, err := lake.Pods.Decode(data)
						if err != nil {
							t.Fatal(err)
						}
						for _, r := range rows {
							ops[r.Op]++
							if r.Op == lake.OpCheckpoint {
								checkpoints[r.TS] = true
							}
						}
						counts[table] += len(rows)
					case "anomalies":
						rows, _, err := lake.Anomalies.Decode(data)
						if err != nil {
							t.Fatal(err)
						}
						for _, r := range rows {
							rules[r.Rule+":"+r.State]++
						}
						counts[table] += len(rows)
					default:
						meta, err := lake.ReadMeta(bytesReader(data))
						if err != nil {
							t.Fatal(err)
						}
						counts[table] += int(meta.Rows)
					}
				}
			}
		}
		t.Logf("%s: rows %v, pod ops %v, %d checkpoints, anomalies %v", id, counts, ops, len(checkpoints), rules)
		for _, table := range []string{"pods", "object_details", "anomalies", "events", "node_metrics", "heartbeats", "workloads", "nodes"} {
			if counts[table] == 0 {
				t.Errorf("%s: no %s rows", id, table)
			}
		}
		// Start, 10:00 and 11:00 (virtual).
		if len(checkpoints) < 3 || ops[lake.OpAdd] == 0 || ops[lake.OpDelete] == 0 || ops[lake.OpUpdate] == 0 {
			t.Errorf("%s: pod history %v, %d checkpoints", id, ops, len(checkpoints))
		}
		data, _, err := b.Get(ctx, lake.ClusterKey(id, lake.CurrentKey), "")
		if err != nil {
			t.Fatal(err)
		}
		var cur lake.CurrentState
		if err := json.Unmarshal(data, &cur); err != nil {
			t.Fatal(err)
		}
		if cur.Summary.Nodes.Total != 6 || cur.Summary.Pods.Total < 60 || len(cur.Namespaces) == 0 {
			t.Errorf("%s: current %+v", id, cur.Summary)
		}
		if !cur.GeneratedAt.After(start.Add(time.Hour)) {
			t.Errorf("%s: current.json generated at %v: not virtual time", id, cur.GeneratedAt)
		}
	}
}
