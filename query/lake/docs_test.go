package lake_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/lake.md")

const (
	beginMark = "<!-- BEGIN GENERATED: go test ./query/lake -run TestDocs -update -->\n"
	endMark   = "<!-- END GENERATED -->\n"
)

// TestDocs keeps docs/lake.md's column tables equal to the code.
func TestDocs(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "lake.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s: generated-section markers missing", path)
	}
	want := s[:i+len(beginMark)] + lake.ColumnsMarkdown() + s[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if s != want {
		t.Fatalf("%s is out of date: run go test ./query/lake -run TestDocs -update", path)
	}
}

// TestStockDuckDBReadsDocumentedSchema writes an object of every table with
// the real writer and reads the whole lake with stock DuckDB the way the
// docs tell users to; the columns and types must be exactly the documented
// ones.
func TestStockDuckDBReadsDocumentedSchema(t *testing.T) {
	root := t.TempDir()
	b, err := store.NewFile(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "test", Sink: lake.StoreSink{Bucket: b}})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	lake.Add(w, lake.Pods, lake.Pod{Meta: lake.Meta{TS: ts, Op: lake.OpAdd, Kind: "Pod", Name: "p"}, Containers: []lake.Container{{Name: "c"}}})
	lake.Add(w, lake.Nodes, lake.Node{Meta: lake.Meta{TS: ts, Op: lake.OpAdd, Kind: "Node", Name: "n"}})
	lake.Add(w, lake.Workloads, lake.Workload{Meta: lake.Meta{TS: ts, Op: lake.OpAdd, Kind: "Deployment", Name: "d"}})
	lake.Add(w, lake.Objects, lake.Object{Meta: lake.Meta{TS: ts, Op: lake.OpAdd, Kind: "Service", Name: "s"}})
	lake.Add(w, lake.Details, lake.Detail{TS: ts, Op: lake.OpAdd, Kind: "Pod", Name: "p", Object: "{}"})
	lake.Add(w, lake.Events, lake.Event{TS: ts, Reason: "BackOff"})
	lake.Add(w, lake.Anomalies, lake.Anomaly{TS: ts, Fingerprint: "f", FirstSeen: ts, LastSeen: ts})
	lake.Add(w, lake.NodeMetrics, lake.NodeMetric{TS: ts, Node: "n", Metric: "cpu.pct", Value: 1})
	lake.Add(w, lake.Heartbeats, lake.Heartbeat{TS: ts, StartedAt: ts})
	lake.Add(w, lake.Commands, lake.Command{TS: ts, ID: "01J"})
	lake.Add(w, lake.AuditLog, lake.Audit{TS: ts, Action: "login"})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tbl := range lake.All() {
		got, err := Describe(db, fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning=true)", root, tbl.Name()))
		if err != nil {
			t.Fatalf("%s: %v", tbl.Name(), err)
		}
		var want []string
		for _, f := range tbl.Schema().Fields() {
			want = append(want, f.Name+" "+lake.SQLType(f.Type))
		}
		want = append(want, "cluster VARCHAR", "date DATE")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: stock DuckDB sees\n%s\nwant\n%s", tbl.Name(), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// Describe lists "name TYPE" of a relation as DuckDB sees it, with struct
// field names unquoted.
func Describe(db *sql.DB, relation string) ([]string, error) {
	rows, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + relation + ")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out = append(out, name+" "+strings.ReplaceAll(typ, `"`, ""))
	}
	return out, rows.Err()
}
