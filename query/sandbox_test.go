package query_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
)

// TestSandboxInstance: a Sandboxed request can scope only the sandbox's
// tables and open only their cached files, even files another request
// fetched into the same cache; Check sees the views' files and can stop
// the query.
func TestSandboxInstance(t *testing.T) {
	b := openFile(t)
	writePods(t, b, []string{"c1"}, 1, 2)
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: lake.GlobalCluster, Writer: "api", Sink: lake.StoreSink{Bucket: b}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lake.WriteNow(context.Background(), w, lake.AuditLog, []lake.Audit{{TS: day0, Actor: "admin", Action: "x"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e, err := query.Open(context.Background(), query.Config{Bucket: b, CacheDir: dir, Threads: 2, SandboxTables: []string{"pods"},
		Now: func() time.Time { return day0.AddDate(0, 0, 3) }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	pods := query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: day0.Add(time.Hour)}
	audit := query.Scope{Table: "audit", Clusters: []string{lake.GlobalCluster}, From: day0, To: day0.Add(time.Hour)}
	run := func(r query.Request) (int64, error) {
		var n int64
		err := e.Query(context.Background(), r, func(rows *sql.Rows) error {
			for rows.Next() {
				if err := rows.Scan(&n); err != nil {
					return err
				}
			}
			return nil
		})
		return n, err
	}
	// The unrestricted instance fetches the audit objects into the cache.
	if n, err := run(query.Request{Scopes: []query.Scope{audit}, SQL: "SELECT count(*) FROM audit"}); err != nil || n != 1 {
		t.Fatalf("audit, unrestricted: %d %v", n, err)
	}
	if _, err := run(query.Request{Scopes: []query.Scope{audit}, SQL: "SELECT 1", Sandboxed: true}); !errors.Is(err, query.ErrBadRequest) {
		t.Fatalf("audit scoped in the sandbox: %v", err)
	}
	auditFiles := filepath.Join(dir, "objects", "audit", "**", "*.parquet")
	if n, err := run(query.Request{Scopes: []query.Scope{pods}, SQL: "SELECT count(*) FROM '" + auditFiles + "'"}); err != nil || n != 1 {
		t.Fatalf("audit files, unrestricted instance: %d %v", n, err)
	}
	for _, q := range []string{
		"SELECT count(*) FROM '" + auditFiles + "'",
		"SELECT count(*) FROM read_parquet('" + filepath.Join(dir, "objects", "pods", "..", "audit", "**", "*.parquet") + "')",
		"SELECT count(*) FROM read_parquet('" + filepath.Join(dir, "**", "*.parquet") + "')",
	} {
		if _, err := run(query.Request{Scopes: []query.Scope{pods}, SQL: q, Sandboxed: true}); err == nil {
			t.Errorf("sandbox read %s", q)
		}
	}
	var seen []string
	stop := errors.New("stop")
	n, err := run(query.Request{Scopes: []query.Scope{pods}, SQL: "SELECT count(*) FROM pods", Sandboxed: true,
		Check: func(ctx context.Context, conn *sql.Conn, files []string) error { seen = files; return nil }})
	if err != nil || n != 2 || len(seen) != 2 { // the schema file and one object
		t.Fatalf("sandboxed pods: %d %v, files %v", n, err, seen)
	}
	if _, err := run(query.Request{Scopes: []query.Scope{pods}, SQL: "SELECT count(*) FROM pods", Sandboxed: true,
		Check: func(context.Context, *sql.Conn, []string) error { return stop }}); !errors.Is(err, stop) {
		t.Fatalf("check error: %v", err)
	}
}
