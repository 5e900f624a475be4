package lake

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestDecodeDuckDBObjects decodes objects as compaction's DuckDB rewrites
// them (every column optional, its own encodings, several row groups): the
// rows come back as written.
func TestDecodeDuckDBObjects(t *testing.T) {
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	moderateInts = true
	defer func() { moderateInts = false }()
	r := rand.New(rand.NewPCG(11, 1))
	duckRoundTrip(t, db, Pods, randomRows[Pod](r, 700))
	duckRoundTrip(t, db, Workloads, randomRows[Workload](r, 700))
	duckRoundTrip(t, db, Objects, randomRows[Object](r, 700))
	duckRoundTrip(t, db, NodeMetrics, randomRows[NodeMetric](r, 700))
}

func duckRoundTrip[R any](t *testing.T, db *sql.DB, tbl *Table[R], rows []R) {
	t.Helper()
	data, _, err := tbl.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.parquet"), filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf(`COPY (SELECT * FROM read_parquet('%s')) TO '%s' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2,
ROW_GROUP_SIZE 256, KV_METADATA {'atlhyper.table': '%s', 'atlhyper.schema_version': '%d'})`, in, out, tbl.name, tbl.version)
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
	rewritten, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := tbl.Decode(rewritten)
	if err != nil {
		t.Fatalf("%s: %v", tbl.name, err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%s: %d rows, want %d", tbl.name, len(got), len(rows))
	}
	for i := range rows {
		if !reflect.DeepEqual(got[i], rows[i]) {
			t.Fatalf("%s: row %d:\n got %+v\nwant %+v", tbl.name, i, got[i], rows[i])
		}
	}
}
