package adhoc_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/store"
)

func setup(t *testing.T, timeout time.Duration) (*adhoc.Runner, time.Time) {
	t.Helper()
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().Truncate(time.Second)
	if err := fleetgen.Generate(context.Background(), b, fleetgen.Spec{Clusters: 1, Nodes: 3, Pods: 30, Namespaces: 2, End: end, Hours: 3,
		ChurnPerHour: 10, AnomaliesPerHour: 2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	e, err := query.Open(context.Background(), query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, MemoryLimit: "256MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return adhoc.NewRunner(e, timeout), end
}

func req(sql string, end time.Time) adhoc.Request {
	return adhoc.Request{SQL: sql, Clusters: []string{"cluster-00"}, From: end.Add(-4 * time.Hour), To: end.Add(time.Minute), MaxRows: 1000}
}

func TestHostileQueries(t *testing.T) {
	r, end := setup(t, 3*time.Second)
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_csv_auto('/etc/passwd')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM read_blob('/etc/hostname')",
		"SELECT * FROM '/etc/passwd'",
		"SELECT * FROM 'pods.parquet'",
		"SELECT * FROM read_parquet('/tmp/**/*.parquet')",
		"SELECT * FROM read_parquet('" + t.TempDir() + "/**/*.parquet')",
		"SELECT * FROM glob('/etc/*')",
		"SELECT * FROM glob('*')",
		"SELECT * FROM parquet_metadata('x.parquet')",
		"SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
		"SELECT * FROM pods, LATERAL (SELECT * FROM read_csv('/etc/passwd'))",
		"SELECT (SELECT count(*) FROM read_csv('/etc/passwd'))",
		"WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x",
		"COPY (SELECT 1) TO '/tmp/atlhyper-escape.csv'",
		"COPY pods TO '/tmp/atlhyper-escape.parquet'",
		"EXPORT DATABASE '/tmp/atlhyper-export'",
		"ATTACH '/tmp/atlhyper.db' AS x",
		"DETACH x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET allowed_directories = ['/']",
		"RESET lock_configuration",
		"PRAGMA database_list",
		"CALL pragma_version()",
		"SELECT getenv('HOME')",
		"SELECT current_setting('allowed_directories')",
		"SELECT * FROM duckdb_settings()",
		"SELECT * FROM duckdb_extensions()",
		"SELECT * FROM information_schema.tables",
		"SELECT * FROM main.pods",
		"SELECT * FROM system.main.pods",
		"CREATE TABLE t AS SELECT 1",
		"CREATE MACRO m() AS 1",
		"INSERT INTO pods SELECT * FROM pods",
		"DELETE FROM pods",
		"DROP VIEW pods",
		"UPDATE pods SET name = 'x'",
		"SELECT 1; SELECT 2",
		"SELECT 1; DROP VIEW pods",
		"SELECT 1; COPY (SELECT 1) TO '/tmp/x'",
		"EXPLAIN SELECT 1",
		"SHOW TABLES",
		"SHOW DATABASES",
		"SELECT * FROM audit",
		"SELECT * FROM nosuch",
		"",
		"   ",
		"SELECT '\x00'",
		strings.Repeat("SELECT 1 UNION ALL ", 5000) + "SELECT 1",
	} {
		_, err := r.Run(ctx, req(q, end))
		if err == nil {
			t.Errorf("%.80q: ran, want refused", q)
		}
	}
	// The audit table is for admins.
	rq := req("SELECT count(*) FROM audit", end)
	if _, err := r.Run(ctx, rq); !errors.Is(err, adhoc.ErrForbidden) {
		t.Errorf("audit as viewer: %v", err)
	}
	rq.Admin = true
	if _, err := r.Run(ctx, rq); err != nil {
		t.Errorf("audit as admin: %v", err)
	}
	// Still healthy after all that, and nothing escaped.
	res, err := r.Run(ctx, req("SELECT count(*) FROM pods", end))
	if err != nil || res.Rows[0][0].(int64) == 0 {
		t.Fatalf("after hostile queries: %v %v", res.Rows, err)
	}
}

func TestResourceLimits(t *testing.T) {
	r, end := setup(t, 2*time.Second)
	ctx := context.Background()
	// A huge cross join is cut by the row cap (LIMIT inside DuckDB)…
	rq := req("SELECT a.range AS a, b.range AS b FROM range(1000000) a, range(1000000) b", end)
	rq.MaxRows = 500
	res, err := r.Run(ctx, rq)
	if err != nil || len(res.Rows) != 500 || !res.Truncated {
		t.Fatalf("cross join with cap: %d rows truncated=%v err=%v", len(res.Rows), res.Truncated, err)
	}
	// …and one that must be computed whole hits the timeout.
	start := time.Now()
	_, err = r.Run(ctx, req("SELECT count(*) FROM range(100000000) a, range(100000000) b", end))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("endless query: %v after %s", err, time.Since(start))
	}
	// Recursion without end also times out.
	_, err = r.Run(ctx, req("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", end))
	if err == nil {
		t.Fatal("endless recursion ran")
	}
	// The instance still answers.
	if _, err := r.Run(ctx, req("SELECT 1", end)); err != nil {
		t.Fatal(err)
	}
}

func TestFormats(t *testing.T) {
	r, end := setup(t, 5*time.Second)
	res, err := r.Run(context.Background(), req(`SELECT name, restarts, ts, labels, containers, ready, -1.5::DECIMAL(4,1) AS d, DATE '2026-01-02' AS day, '=cmd()' AS f
		FROM pods ORDER BY name LIMIT 3 -- a trailing comment`, end))
	if err != nil {
		t.Fatal(err)
	}
	j := res.JSON()
	if j.RowCount != 3 || len(j.Columns) != 9 || j.Columns[2].Type != "TIMESTAMP" {
		t.Fatalf("json: %+v", j.Columns)
	}
	var csv bytes.Buffer
	if err := res.CSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "name,restarts,ts,labels") || !strings.Contains(lines[1], "'=cmd()") {
		t.Fatalf("csv: %s", csv.String())
	}
	var pq bytes.Buffer
	if err := res.Parquet(&pq); err != nil {
		t.Fatal(err)
	}
	f, err := file.NewParquetReader(bytes.NewReader(pq.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 3 || f.MetaData().Schema.NumColumns() != 9 {
		t.Fatalf("parquet: %d rows %d cols", f.NumRows(), f.MetaData().Schema.NumColumns())
	}
}
