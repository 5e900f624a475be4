package collector_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/collector/sampler"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestDocQueries runs every SQL example in docs/node-metrics.md with stock
// DuckDB against a small lake of the last two hours, and wants rows back
// from each query.
func TestDocQueries(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "node-metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 6 {
		t.Fatalf("found %d SQL examples", len(blocks))
	}

	root := t.TempDir()
	writeRecentLake(t, root)
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the view lives in the connection's catalog
	for i, b := range blocks {
		q := strings.ReplaceAll(b[1], "<root>", root)
		if strings.HasPrefix(q, "CREATE") {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("example %d: %v\n%s", i, err, q)
			}
			continue
		}
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("example %d: %v\n%s", i, err, q)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		rows.Close()
		if n == 0 {
			t.Errorf("example %d returned no rows:\n%s", i, q)
		}
		t.Logf("example %d: %d rows", i, n)
	}
}

// writeRecentLake writes two hours of two nodes' metrics, one object per
// hour, as the agent's writer lays them out.
func writeRecentLake(t *testing.T, root string) {
	b, err := store.NewFile(root)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().Truncate(15 * time.Second)
	byHour := map[time.Time][]lake.NodeMetric{}
	for _, node := range []string{"ip-10-0-1-23.ec2.internal", "ip-10-0-1-30.ec2.internal"} {
		for ts := end.Add(-2 * time.Hour); !ts.After(end); ts = ts.Add(15 * time.Second) {
			i := float32(ts.Unix() % 100)
			add := func(metric, device string, v float32) {
				h := ts.Truncate(time.Hour)
				byHour[h] = append(byHour[h], lake.NodeMetric{TS: ts, Node: node, Metric: metric, Device: device, Value: v})
			}
			for _, dev := range []string{"", "cpu0", "cpu1"} {
				add(sampler.CPUUser, dev, 20+i/10)
				add(sampler.CPUSystem, dev, 5)
				add(sampler.CPUIOWait, dev, 0.5)
				add(sampler.CPUSteal, dev, 0)
				add(sampler.CPUIdle, dev, 74.5-i/10)
			}
			add(sampler.MemTotal, "", 16e9)
			add(sampler.MemUsed, "", 8e9+i*1e6)
			add(sampler.MemAvailable, "", 8e9-i*1e6)
			add(sampler.MemCached, "", 4e9)
			add(sampler.DiskReadBytes, "nvme0n1", i*1e4)
			add(sampler.DiskWriteBytes, "nvme0n1", 2e5)
			add(sampler.DiskReads, "nvme0n1", i)
			add(sampler.DiskWrites, "nvme0n1", 12)
			add(sampler.DiskUtil, "nvme0n1", 3.5)
			add(sampler.NetRxBytes, "ens5", 1e6)
			add(sampler.NetTxBytes, "ens5", 3e5)
			add(sampler.NetRxErrors, "ens5", 0)
			add(sampler.NetRxDrops, "ens5", 0.0667)
			add(sampler.FSSize, "/", 100e9)
			add(sampler.FSUsed, "/", 40e9)
			add(sampler.FSAvail, "/", 55e9)
		}
	}
	for h, rows := range byHour {
		data, _, err := lake.NodeMetrics.Encode(rows)
		if err != nil {
			t.Fatal(err)
		}
		key := lake.ObjectKey{Table: lake.NodeMetrics.Name(), Cluster: "prod-eu", Date: lake.Day(h),
			Span: lake.HourSpan(h.Hour()), Writer: "agent", ID: lake.NewULID(h)}.Key()
		if _, err := b.Put(context.Background(), key, data, store.IfAbsent); err != nil {
			t.Fatal(err)
		}
	}
}
