package query_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

var day0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func openFile(t *testing.T) store.Bucket {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openEngine(t *testing.T, b store.Bucket) *query.Engine {
	e, err := query.Open(context.Background(), query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, Now: func() time.Time { return day0.AddDate(0, 0, 3) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// writePods writes n pod rows per hour for hours [0, hours) from day0, per cluster.
func writePods(t *testing.T, b store.Bucket, clusters []string, hours, n int) {
	t.Helper()
	ctx := context.Background()
	for _, c := range clusters {
		w, err := lake.NewWriter(lake.WriterConfig{Cluster: c, Writer: "test", Sink: lake.StoreSink{Bucket: b}})
		if err != nil {
			t.Fatal(err)
		}
		for h := 0; h < hours; h++ {
			var rows []lake.Pod
			for i := 0; i < n; i++ {
				rows = append(rows, lake.Pod{Meta: lake.Meta{TS: day0.Add(time.Duration(h)*time.Hour + time.Duration(i)*time.Second), Op: lake.OpUpdate, Kind: "Pod",
					Namespace: "ns", Name: fmt.Sprintf("p%d", i), UID: fmt.Sprintf("u%d", i)}, Phase: "Running", Restarts: int32(h)})
			}
			lake.Add(w, lake.Pods, rows...)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func count(t *testing.T, e *query.Engine, s query.Scope, q string) (int64, error) {
	var n int64
	err := e.Query(context.Background(), query.Request{Scopes: []query.Scope{s}, SQL: q}, func(rows *sql.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

func TestQueryScopes(t *testing.T) {
	b := openFile(t)
	writePods(t, b, []string{"c1", "c2"}, 30, 10) // 30 hours: crosses a day
	e := openEngine(t, b)
	for _, tc := range []struct {
		clusters []string
		from, to time.Time
		want     int64
	}{
		{[]string{"c1"}, day0, day0.AddDate(0, 0, 2), 300},
		{[]string{"c1", "c2"}, day0, day0.AddDate(0, 0, 2), 600},
		{[]string{"c2"}, day0.Add(5 * time.Hour), day0.Add(7 * time.Hour), 20},
		{[]string{"c2"}, day0.Add(23 * time.Hour), day0.Add(25 * time.Hour), 20},
		{[]string{"c1"}, day0.Add(5*time.Hour + 5*time.Second), day0.Add(6 * time.Hour), 5},
		{[]string{"nope"}, day0, day0.AddDate(0, 0, 2), 0},
	} {
		got, err := count(t, e, query.Scope{Table: "pods", Clusters: tc.clusters, From: tc.from, To: tc.to}, "SELECT count(*) FROM pods")
		if err != nil || got != tc.want {
			t.Errorf("%v %s..%s: %d %v, want %d", tc.clusters, tc.from, tc.to, got, err, tc.want)
		}
	}
	// Hive columns are typed and present.
	got, err := count(t, e, query.Scope{Table: "pods", Clusters: []string{"c1", "c2"}, From: day0, To: day0.AddDate(0, 0, 2)},
		"SELECT count(*) FROM pods WHERE cluster = 'c2' AND date = DATE '2026-11-21'")
	if err != nil || got != 60 {
		t.Fatalf("hive filter: %d %v", got, err)
	}
}

func TestSandbox(t *testing.T) {
	b := openFile(t)
	writePods(t, b, []string{"c1"}, 1, 1)
	e := openEngine(t, b)
	s := query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: day0.Add(time.Hour)}
	for _, q := range []string{
		"SELECT count(*) FROM read_csv('/etc/passwd')",
		"SELECT count(*) FROM read_parquet('/etc/*.parquet')",
		"COPY (SELECT 1) TO '/tmp/atlhyper-escape.csv'",
		"ATTACH '/tmp/x.db'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET allowed_directories = ['/']",
		"SELECT count(*) FROM glob('/etc/*')",
	} {
		if _, err := count(t, e, s, q); err == nil {
			t.Errorf("%q succeeded, want refused", q)
		}
	}
	if got, err := count(t, e, s, "SELECT count(*) FROM pods"); err != nil || got != 1 {
		t.Fatalf("after hostile queries: %d %v", got, err)
	}
}

func TestCorruptObjectNamed(t *testing.T) {
	b := openFile(t)
	writePods(t, b, []string{"c1", "c2"}, 2, 3)
	bad := lake.ObjectKey{Table: "pods", Cluster: "c1", Date: day0, Span: "01", Writer: "evil", ID: lake.NewULID(day0)}.Key()
	if _, err := b.Put(context.Background(), bad, []byte("PAR1 truncated garbage"), store.IfAbsent); err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, b)
	_, err := count(t, e, query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: day0.Add(2 * time.Hour)}, "SELECT count(*) FROM pods")
	if !errors.Is(err, lake.ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt object: %v, want ErrCorrupt naming %s", err, bad)
	}
	// Other partitions and hours stay queryable.
	if got, err := count(t, e, query.Scope{Table: "pods", Clusters: []string{"c2"}, From: day0, To: day0.Add(2 * time.Hour)}, "SELECT count(*) FROM pods"); err != nil || got != 6 {
		t.Fatalf("other cluster: %d %v", got, err)
	}
	if got, err := count(t, e, query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: day0.Add(time.Hour)}, "SELECT count(*) FROM pods"); err != nil || got != 3 {
		t.Fatalf("other hour: %d %v", got, err)
	}
}

func TestStoreDown(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	writePods(t, b, []string{"c1"}, 2, 3)
	e := openEngine(t, b)
	s := query.Scope{Table: "pods", Clusters: []string{"c1"}, From: day0, To: day0.Add(2 * time.Hour)}
	if got, err := count(t, e, s, "SELECT count(*) FROM pods"); err != nil || got != 6 {
		t.Fatalf("up: %d %v", got, err)
	}
	srv.Stop()
	s.To = day0.Add(3 * time.Hour) // a different scope, not answerable from cache
	s.Clusters = []string{"c1", "c9"}
	_, err := count(t, e, s, "SELECT count(*) FROM pods")
	if !store.IsUnavailable(err) {
		t.Fatalf("down: %v, want unavailable", err)
	}
	srv.Restart(t)
	if got, err := count(t, e, s, "SELECT count(*) FROM pods"); err != nil || got != 6 {
		t.Fatalf("back up: %d %v", got, err)
	}
}

// TestMemoryCachesStayBounded: a long-running engine querying day after
// day keeps its partition listings and compacted objects' inputs within
// their bounds, least recently used out, and answers as before.
func TestMemoryCachesStayBounded(t *testing.T) {
	ctx := context.Background()
	b := openFile(t)
	const days, perDay = 40, 3
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "test", Sink: lake.StoreSink{Bucket: b}})
	if err != nil {
		t.Fatal(err)
	}
	for d := range days {
		for h := range perDay {
			lake.Add(w, lake.Pods, lake.Pod{Meta: lake.Meta{TS: day0.AddDate(0, 0, d).Add(time.Duration(h*6) * time.Hour), Op: lake.OpUpdate,
				Kind: "Pod", Namespace: "ns", Name: fmt.Sprintf("p%d", h), UID: fmt.Sprintf("u%d-%d", d, h)}})
			if err := w.Flush(ctx); err != nil { // one object per hour
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	now := day0.AddDate(0, 0, days+5)
	c, err := compact.New(compact.Config{Bucket: b, WorkDir: t.TempDir(), Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	merged := 0
	for d := range days {
		r, err := c.CompactPartition(ctx, lake.Pods, "c1", day0.AddDate(0, 0, d))
		if err != nil {
			t.Fatal(err)
		}
		merged += r.ObjectsWritten
	}
	if merged != days {
		t.Fatalf("compaction wrote %d merged objects, want one per day", merged)
	}
	// The inputs are within their grace period: readers must see each
	// merged object's inputs (read from its footer) to hide them.
	const maxObjects, maxNames = 10, 12
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 1, Now: func() time.Time { return now },
		MaxListedObjects: maxObjects, MaxInputNames: maxNames})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for round := range 2 {
		for d := range days {
			from := day0.AddDate(0, 0, d)
			got, err := count(t, e, query.Scope{Table: "pods", Clusters: []string{"c1"}, From: from, To: from.AddDate(0, 0, 1)}, "SELECT count(*) FROM pods")
			if err != nil || got != perDay {
				t.Fatalf("round %d day %d: %d rows %v, want %d (each row once)", round, d, got, err, perDay)
			}
			listings, inputs := e.MemoryCaches()
			if listings.Cost > maxObjects || inputs.Cost > maxNames {
				t.Fatalf("day %d: listings %+v, inputs %+v: over their bounds", d, listings, inputs)
			}
			if listings.Entries == 0 || inputs.Entries == 0 {
				t.Fatalf("day %d: listings %+v, inputs %+v: the caches are not used", d, listings, inputs)
			}
		}
	}
}
