package adhoc_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/audit"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// auditMarker is written into an audit record; no viewer's query may ever
// return it.
const auditMarker = "AUDIT-SECRET-7d41c9"

type fixture struct {
	r        *adhoc.Runner
	e        *query.Engine
	end      time.Time
	cacheDir string
}

func setup(t *testing.T, timeout time.Duration) (*adhoc.Runner, time.Time) {
	f := newFixture(t, timeout, 0)
	return f.r, f.end
}

// newFixture writes a small fleet and one audit record, opens an engine
// as the API does, and reads the audit table once as an admin so that its
// objects sit in the cache, where an escaping viewer would look for them.
func newFixture(t *testing.T, timeout time.Duration, maxBytes int64) *fixture {
	t.Helper()
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	end := time.Now().UTC().Truncate(time.Second)
	if err := fleetgen.Generate(ctx, b, fleetgen.Spec{Clusters: 1, Nodes: 3, Pods: 30, Namespaces: 2, End: end, Hours: 3,
		ChurnPerHour: 10, AnomaliesPerHour: 2, MetricHours: 1, MetricEvery: time.Minute, DetailHours: 2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	rec, err := audit.New(b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Record(ctx, lake.Audit{TS: end.Add(-time.Minute), Actor: "admin", Action: "user.create", Target: "user/x",
		Params: `{"note":"` + auditMarker + `"}`, Outcome: audit.OK, Status: 201}); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: cacheDir, Threads: 2, MemoryLimit: "256MB",
		SandboxTables: adhoc.Tables(false), Setup: adhoc.Setup})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	f := &fixture{r: adhoc.NewRunner(e, timeout, maxBytes), e: e, end: end, cacheDir: cacheDir}
	rq := req("SELECT params FROM audit", end)
	rq.Admin = true
	res, err := f.r.Run(ctx, rq)
	if err != nil || !strings.Contains(string(res.Body.Bytes()), auditMarker) {
		t.Fatalf("admin reads audit: %v", err)
	}
	return f
}

func req(sql string, end time.Time) adhoc.Request {
	return adhoc.Request{SQL: sql, Clusters: []string{"cluster-00"}, From: end.Add(-4 * time.Hour), To: end.Add(time.Minute), MaxRows: 1000}
}

func decode(t *testing.T, res adhoc.Result) adhoc.JSONResult {
	t.Helper()
	var j adhoc.JSONResult
	d := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	d.UseNumber()
	if err := d.Decode(&j); err != nil {
		t.Fatalf("decode: %v: %.300s", err, res.Body.Bytes())
	}
	return j
}

// leaks lists what a viewer's result must never contain: the audit
// record, the engine's cache path and settings, a host file.
func (f *fixture) leaks(body string) []string {
	var out []string
	for _, s := range []string{auditMarker, f.cacheDir, "allowed_directories", "lock_configuration", "enable_external_access",
		"memory_limit", "root:x:0:0", "table_catalog", "duckdb-tmp", "TimeZone"} {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// abuseQueries try to read outside a viewer's scope: CTE names used out of
// their scope (nested, recursive, shadowing, forward), quoted identifiers,
// paths and globs into the cache, catalog views and functions. {cache}
// stands for the engine's cache directory.
var abuseQueries = []string{
	// CTE scope (the reviewed hole and its relatives).
	"SELECT * FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT * FROM pg_settings) a, pg_settings",
	"SELECT * FROM (WITH duckdb_views AS (SELECT 1 AS x) SELECT 1) a, duckdb_views",
	"SELECT (SELECT count(*) FROM pg_settings) FROM (WITH pg_settings AS (SELECT 1) SELECT 1) s",
	"WITH pg_settings AS (SELECT * FROM pg_settings) SELECT * FROM pg_settings",
	"WITH a AS (SELECT * FROM duckdb_views), duckdb_views AS (SELECT 1 AS x) SELECT * FROM a",
	"WITH a AS (SELECT * FROM (WITH duckdb_views AS (SELECT 1) SELECT 1)), b AS (SELECT * FROM duckdb_views) SELECT * FROM b",
	"WITH RECURSIVE duckdb_tables AS (SELECT * FROM duckdb_tables UNION ALL SELECT * FROM duckdb_tables WHERE false) SELECT * FROM duckdb_tables",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r, (WITH RECURSIVE pg_class AS (SELECT 1 UNION ALL SELECT 1 FROM pg_class WHERE false) SELECT 1) x, pg_class",
	"(WITH pg_settings AS (SELECT 1 AS a) SELECT a FROM pg_settings) UNION ALL (SELECT 1 FROM pg_settings)",
	"SELECT * FROM pods WHERE name IN (WITH pg_settings AS (SELECT 'x' AS n) SELECT n FROM pg_settings) OR name IN (SELECT name FROM pg_settings)",
	`WITH "{cache}/objects/audit/**/*.parquet" AS (SELECT 1) SELECT * FROM "{cache}/objects/audit/**/*.parquet"`,
	`SELECT * FROM (WITH "{cache}/objects/audit/**/*.parquet" AS (SELECT 1) SELECT 1) x, '{cache}/objects/audit/**/*.parquet'`,
	`WITH "x.parquet" AS (SELECT 1) SELECT * FROM "x.parquet"`,
	"WITH audit AS (SELECT 1 AS a) SELECT * FROM audit",
	"WITH pods AS (SELECT * FROM audit) SELECT * FROM pods",
	// Quoted and qualified names.
	`SELECT * FROM "pg_settings"`,
	`SELECT * FROM "PG_SETTINGS"`,
	`SELECT * FROM "audit"`,
	`SELECT * FROM "AUDIT"`,
	`SELECT * FROM "pods.parquet"`,
	`SELECT * FROM "pods "`,
	`SELECT * FROM "main"."pods"`,
	"SELECT * FROM temp.main.audit",
	"SELECT * FROM memory.main.pods",
	"SELECT * FROM main.pg_settings",
	// Paths and globs.
	"SELECT * FROM '{cache}/objects/audit/cluster=_global/**/*.parquet'",
	"SELECT * FROM '{cache}/objects/pods/../audit/**/*.parquet'",
	"SELECT * FROM '{cache}/objects/**/*.parquet'",
	"SELECT * FROM 'objects/audit/**/*.parquet'",
	"SELECT * FROM '**/*.parquet'",
	"SELECT * FROM '/etc/passwd'",
	"SELECT * FROM read_parquet('{cache}/objects/audit/**/*.parquet')",
	"SELECT * FROM parquet_scan('{cache}/objects/audit/**/*.parquet')",
	"SELECT * FROM read_csv('/etc/passwd')",
	"SELECT * FROM read_text('{cache}/objects/audit/**/*.parquet')",
	"SELECT * FROM glob('{cache}/**')",
	"SELECT * FROM pods UNION ALL BY NAME SELECT * FROM '{cache}/objects/audit/**/*.parquet'",
	"SELECT * FROM pods p, LATERAL (SELECT * FROM '{cache}/objects/audit/**/*.parquet')",
	// Catalog views and functions.
	"SELECT * FROM pg_settings",
	"FROM pg_settings",
	"SELECT * FROM pg_class",
	"SELECT * FROM pg_catalog.pg_class",
	"SELECT * FROM information_schema.tables",
	"SELECT * FROM information_schema.columns",
	"SELECT * FROM duckdb_settings()",
	"SELECT * FROM duckdb_views()",
	"SELECT * FROM duckdb_views",
	"SELECT * FROM duckdb_tables()",
	"SELECT * FROM duckdb_temporary_files()",
	"SELECT * FROM duckdb_secrets()",
	"SELECT * FROM pragma_database_list()",
	"SELECT * FROM query_table('pg_settings')",
	"SELECT * FROM query('SELECT * FROM pg_settings')",
	"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM pg_settings'))",
	"SELECT pg_get_viewdef('pods')",
	"SELECT current_setting('allowed_directories')",
	"SELECT system.main.current_setting('memory_limit')",
	"SELECT getvariable('x')",
	"SELECT json_serialize_plan('SELECT * FROM pods')",
	"SELECT * FROM (SUMMARIZE pg_settings)",
	"SELECT * FROM (DESCRIBE pg_settings)",
	"SELECT * FROM pods p, LATERAL (SELECT * FROM pg_settings)",
	"SELECT (SELECT max(name) FROM duckdb_settings())",
	"SELECT * FROM pods WHERE name IN (SELECT name FROM pg_settings)",
	"SELECT atlhyper_result_budget(1)",
}

func (f *fixture) expand(q string) string { return strings.ReplaceAll(q, "{cache}", f.cacheDir) }

// TestScopeAbuse: every query is refused, or returns nothing outside a
// viewer's scope.
func TestScopeAbuse(t *testing.T) {
	if len(abuseQueries) < 40 {
		t.Fatalf("%d abuse queries, want at least 40", len(abuseQueries))
	}
	f := newFixture(t, 5*time.Second, 0)
	ctx := context.Background()
	for _, q := range abuseQueries {
		q = f.expand(q)
		res, err := f.r.Run(ctx, req(q, f.end))
		if err != nil {
			if l := f.leaks(err.Error()); len(l) > 0 {
				t.Errorf("%.120s: the error reveals %v: %v", q, l, err)
			}
			continue
		}
		if l := f.leaks(string(res.Body.Bytes())); len(l) > 0 {
			t.Errorf("%.120s: returned %v", q, l)
		}
	}
}

// legitimateQueries must still run and return what DuckDB returns for
// them without any sandbox. $-names are filled in from the fixture.
func legitimateQueries(t *testing.T) []string {
	qs := []string{
		"WITH a AS (SELECT cluster, count(*) AS n FROM pods GROUP BY 1) SELECT * FROM (WITH b AS (SELECT * FROM a) SELECT * FROM b)",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) AS s FROM r",
		"WITH RECURSIVE h(i, t) AS (SELECT 0, min(ts) FROM pods UNION ALL SELECT i + 1, t + INTERVAL 1 HOUR FROM h WHERE i < 3) SELECT count(*) FROM h",
		"WITH running AS (SELECT * FROM pods WHERE phase = 'Running'), ns AS (SELECT namespace, count(*) AS n FROM running GROUP BY 1) SELECT * FROM ns ORDER BY 1",
		"WITH x AS (SELECT 1 AS a) SELECT count(*) FROM x, (WITH y AS (SELECT * FROM x) SELECT * FROM y)",
		`SELECT count(*) FROM "pods"`,
		`SELECT count(*) FROM "PODS"`,
		"SELECT p.name, n.zone FROM pods p JOIN nodes n ON p.node = n.name AND p.cluster = n.cluster WHERE p.op = 'checkpoint' AND n.op = 'checkpoint' ORDER BY 1, 2 LIMIT 20",
		"SELECT count(*) FROM range(10)",
		"SELECT * FROM generate_series(1, 5)",
		"SELECT * FROM unnest([1, 2, 3])",
		"SELECT c.name, count(*) FROM (SELECT unnest(containers) AS c FROM pods) GROUP BY 1 ORDER BY 1",
		"SELECT name FROM pods WHERE node IN (SELECT name FROM nodes) QUALIFY row_number() OVER (PARTITION BY uid ORDER BY ts DESC) = 1 ORDER BY 1",
		"(WITH a AS (SELECT 1 AS v) SELECT v FROM a) UNION ALL (WITH a AS (SELECT 2 AS v) SELECT v FROM a)",
		"SELECT * FROM (DESCRIBE pods)",
		"SELECT metric, count(*) FROM node_metrics GROUP BY ALL ORDER BY ALL",
		"SELECT kind, count(*) FROM object_details GROUP BY ALL",
	}
	for _, ex := range adhoc.Examples {
		qs = append(qs, ex.SQL)
	}
	return qs
}

// stateAtSQL is the documented state-at-T query (docs/agent.md).
func stateAtSQL(t *testing.T) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "agent.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- state-at-sql:begin -->")
	body, _, ok2 := strings.Cut(rest, "<!-- state-at-sql:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/agent.md has no state-at-sql block")
	}
	body = strings.TrimPrefix(strings.TrimSpace(body), "```sql")
	return strings.TrimSuffix(strings.TrimSpace(body), "```")
}

// TestLegitimateQueries: nested and recursive CTEs, every example, the
// documented state-at-T query and more return exactly the rows DuckDB
// gives without the sandbox.
func TestLegitimateQueries(t *testing.T) {
	f := newFixture(t, 10*time.Second, 0)
	ctx := context.Background()
	at := f.end.Add(-90 * time.Minute).UTC().Format("2006-01-02 15:04:05")
	state := strings.NewReplacer("$cluster", "'cluster-00'", "$namespace", "'team-01'", "$at", "TIMESTAMP '"+at+"'").Replace(stateAtSQL(t))
	qs := append(legitimateQueries(t), state)
	if len(qs) < 20 {
		t.Fatalf("%d legitimate queries, want at least 20", len(qs))
	}
	for _, q := range qs {
		rq := req(q, f.end)
		res, err := f.r.Run(ctx, rq)
		if err != nil {
			t.Errorf("%.100s: %v", q, err)
			continue
		}
		got := decode(t, res)
		want := f.oracle(t, q, rq)
		if g, w := rowsKey(got.Rows), rowsKey(want); !slices.Equal(g, w) {
			t.Errorf("%.100s:\n got %d rows %.300v\nwant %d rows %.300v", q, len(g), g, len(w), w)
		}
		if q == state && len(got.Rows) == 0 {
			t.Errorf("state at T: no pods")
		}
	}
	// A few answers known independently of DuckDB.
	for q, want := range map[string]string{
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT sum(n) AS s FROM r": `[["55"]]`,
		"SELECT count(*) FROM range(10)": `[[10]]`,
		"WITH RECURSIVE h(i, t) AS (SELECT 0, min(ts) FROM pods UNION ALL SELECT i + 1, t + INTERVAL 1 HOUR FROM h WHERE i < 3) SELECT count(*) FROM h": `[[4]]`,
	} {
		res, err := f.r.Run(ctx, req(q, f.end))
		if err != nil {
			t.Fatal(err)
		}
		if g, _ := json.Marshal(decode(t, res).Rows); string(g) != want {
			t.Errorf("%s: %s, want %s", q, g, want)
		}
	}
}

// oracle runs q over the same views without sandbox, wrapper or encoder.
func (f *fixture) oracle(t *testing.T, q string, rq adhoc.Request) [][]any {
	t.Helper()
	parsed, err := adhoc.Check(context.Background(), f.e, q, query.Tables())
	if err != nil {
		t.Fatalf("oracle parse %.80s: %v", q, err)
	}
	var scopes []query.Scope
	for _, tb := range parsed.Tables {
		scopes = append(scopes, query.Scope{Table: tb, Clusters: rq.Clusters, From: rq.From, To: rq.To})
	}
	var out [][]any
	err = f.e.Query(context.Background(), query.Request{Scopes: scopes, SQL: q}, func(rows *sql.Rows) error {
		res, _, err := lakeview.ReadAll(rows, 0)
		for _, r := range res.Rows {
			vals := make([]any, len(r))
			for i, v := range r {
				vals[i] = lakeview.Normalize(v)
			}
			out = append(out, vals)
		}
		return err
	})
	if err != nil {
		t.Fatalf("oracle %.80s: %v", q, err)
	}
	return out
}

// rowsKey renders rows comparably (JSON, numbers as written, sorted).
func rowsKey(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		data, _ := json.Marshal(r)
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		d.Decode(&v)
		data, _ = json.Marshal(v)
		out[i] = string(data)
	}
	slices.Sort(out)
	return out
}

func TestHostileQueries(t *testing.T) {
	r, end := setup(t, 3*time.Second)
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM read_csv_auto('/etc/passwd')",
		"SELECT * FROM read_blob('/etc/hostname')",
		"SELECT * FROM 'pods.parquet'",
		"SELECT * FROM read_parquet('/tmp/**/*.parquet')",
		"SELECT * FROM glob('*')",
		"SELECT * FROM parquet_metadata('x.parquet')",
		"SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
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
		"SELECT * FROM duckdb_extensions()",
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
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := decode(t, res).Rows[0][0].(json.Number).Int64(); n == 0 {
		t.Fatalf("after hostile queries: %s", res.Body.Bytes())
	}
}

func TestResourceLimits(t *testing.T) {
	r, end := setup(t, 2*time.Second)
	ctx := context.Background()
	// A huge cross join is cut by the row cap (LIMIT inside DuckDB)…
	rq := req("SELECT a.range AS a, b.range AS b FROM range(1000000) a, range(1000000) b", end)
	rq.MaxRows = 500
	res, err := r.Run(ctx, rq)
	if err != nil || res.Rows != 500 || !res.Truncated || len(decode(t, res).Rows) != 500 {
		t.Fatalf("cross join with cap: %d rows truncated=%v err=%v", res.Rows, res.Truncated, err)
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

// TestByteCap: a result past the byte cap fails with ErrTooLarge in every
// format, whether its rows are many and small or few and huge; one under
// the cap is whole.
func TestByteCap(t *testing.T) {
	f := newFixture(t, 10*time.Second, 1<<20)
	ctx := context.Background()
	for _, format := range []string{adhoc.FormatJSON, adhoc.FormatCSV, adhoc.FormatParquet} {
		for _, q := range []string{
			"SELECT repeat('x', 1000) AS s FROM range(5000)",             // 5 MB in small rows
			"SELECT repeat('y', 4000000) AS s FROM range(3)",             // 12 MB in huge rows
			"SELECT repeat(md5(range::VARCHAR), 100) FROM range(100000)", // barely compressible
		} {
			rq := req(q, f.end)
			rq.Format, rq.MaxRows = format, 100_000
			res, err := f.r.Run(ctx, rq)
			if !errors.Is(err, adhoc.ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
				t.Errorf("%s %.40s: %v (body %d bytes)", format, q, err, res.Body.Len())
			}
		}
		rq := req("SELECT repeat('x', 1000) AS s FROM range(500)", f.end)
		rq.Format = format
		res, err := f.r.Run(ctx, rq)
		if err != nil || res.Rows != 500 || res.Body.Len() > 1<<20 {
			t.Errorf("%s under the cap: %v, %d rows, %d bytes", format, err, res.Rows, res.Body.Len())
		}
	}
}

func TestFormats(t *testing.T) {
	r, end := setup(t, 5*time.Second)
	q := `SELECT name, restarts, ts, labels, containers, ready, -1.5::DECIMAL(4,1) AS d, DATE '2026-01-02' AS day, '=cmd()' AS f
		FROM pods ORDER BY name LIMIT 3 -- a trailing comment`
	rq := req(q, end)
	res, err := r.Run(context.Background(), rq)
	if err != nil {
		t.Fatal(err)
	}
	j := decode(t, res)
	if j.RowCount != 3 || len(j.Rows) != 3 || len(j.Columns) != 9 || j.Columns[2].Type != "TIMESTAMP" || len(j.Scopes) != 1 {
		t.Fatalf("json: %+v", j)
	}
	rq.Format = adhoc.FormatCSV
	if res, err = r.Run(context.Background(), rq); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(res.Body.Bytes())), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "name,restarts,ts,labels") || !strings.Contains(lines[1], "'=cmd()") {
		t.Fatalf("csv: %s", res.Body.Bytes())
	}
	rq.Format = adhoc.FormatParquet
	if res, err = r.Run(context.Background(), rq); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(res.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != 3 || pf.MetaData().Schema.NumColumns() != 9 {
		t.Fatalf("parquet: %d rows %d cols", pf.NumRows(), pf.MetaData().Schema.NumColumns())
	}
}

// TestScopeAbuseEachLayer takes the parse-tree walk away and runs every
// abuse query against each deeper layer alone: the plan check on the
// unrestricted instance, and the sandbox instance with no check at all
// for the queries that go after files. Each must hold on its own.
func TestScopeAbuseEachLayer(t *testing.T) {
	f := newFixture(t, 5*time.Second, 0)
	ctx := context.Background()
	var scopes []query.Scope
	for _, tb := range adhoc.Tables(false) {
		scopes = append(scopes, query.Scope{Table: tb, Clusters: []string{"cluster-00"}, From: f.end.Add(-4 * time.Hour), To: f.end.Add(time.Minute)})
	}
	run := func(q string, sandboxed bool, check bool) (string, error) {
		rq := query.Request{Scopes: scopes, SQL: q, Sandboxed: sandboxed}
		if check {
			rq.Check = func(ctx context.Context, conn *sql.Conn, files []string) error {
				return adhoc.CheckPlan(ctx, conn, q, files)
			}
		}
		var out strings.Builder
		err := f.e.Query(ctx, rq, func(rows *sql.Rows) error {
			res, _, err := lakeview.ReadAll(rows, 1000)
			data, _ := json.Marshal(res.Rows)
			out.Write(data)
			return err
		})
		return out.String(), err
	}
	planRefused, filesRefused := 0, 0
	for _, q := range abuseQueries {
		q = f.expand(q)
		if strings.Contains(q, "audit") && !strings.Contains(q, "objects/audit") {
			continue // names the audit table: the first layer's role check, not a scope escape
		}
		out, err := run(q, false, true)
		if err == nil {
			if l := f.leaks(out); len(l) > 0 {
				t.Errorf("plan check alone: %.100s returned %v", q, l)
			}
		} else if errors.Is(err, adhoc.ErrRefused) {
			planRefused++
		}
		if strings.Contains(q, f.cacheDir) || strings.Contains(q, "/etc/") || strings.Contains(q, "**") {
			out, err := run(q, true, false)
			if err == nil {
				if l := f.leaks(out); len(l) > 0 {
					t.Errorf("sandbox instance alone: %.100s returned %v", q, l)
				}
			} else {
				filesRefused++
			}
		}
	}
	// Not vacuous: the same unchecked queries on the unrestricted instance
	// do reach the audit objects and the engine's settings.
	if out, err := run("SELECT * FROM '"+f.cacheDir+"/objects/audit/**/*.parquet'", false, false); err != nil || !strings.Contains(out, auditMarker) {
		t.Fatalf("unchecked, unrestricted read of the audit files: %v", err)
	}
	if out, err := run("SELECT * FROM pg_settings", false, false); err != nil || len(f.leaks(out)) == 0 {
		t.Fatalf("unchecked catalog read: %v", err)
	}
	t.Logf("plan check refused %d queries on its own; the sandbox instance refused %d file reads on its own", planRefused, filesRefused)
}
