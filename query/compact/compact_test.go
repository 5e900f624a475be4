package compact_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

var quiet = slog.New(slog.DiscardHandler)

var day0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fill writes metrics for days × 24 hours with several small objects per
// hour; it returns the number of rows written.
func fill(t *testing.T, b store.Bucket, cluster string, days, perHour int) int {
	t.Helper()
	ctx := context.Background()
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: cluster, Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for h := 0; h < days*24; h++ {
		for k := 0; k < perHour; k++ {
			var batch []lake.NodeMetric
			for i := 0; i < 20; i++ {
				ts := day0.Add(time.Duration(h)*time.Hour + time.Duration(k*20+i)*15*time.Second)
				batch = append(batch, lake.NodeMetric{TS: ts, Node: fmt.Sprintf("n%d", i%3), Metric: "cpu.pct", Value: float32(i)})
			}
			lake.Add(w, lake.NodeMetrics, batch...)
			rows += len(batch)
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	return rows
}

type lakeView struct {
	t *testing.T
	b store.Bucket
	c *clock
	e *query.Engine
}

func newView(t *testing.T, b store.Bucket, c *clock) *lakeView {
	e, err := query.Open(context.Background(), query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, Now: c.Now,
		RecentListTTL: time.Nanosecond, OldListTTL: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &lakeView{t: t, b: b, c: c, e: e}
}

// rows counts rows and distinct rows the engine sees for cluster over days.
func (v *lakeView) rows(cluster string, days int) (total, distinct int64) {
	v.t.Helper()
	err := v.e.Query(context.Background(), query.Request{
		Scopes: []query.Scope{{Table: "node_metrics", Clusters: []string{cluster}, From: day0, To: day0.AddDate(0, 0, days)}},
		SQL:    "SELECT count(*), count(DISTINCT (ts, node, value)) FROM node_metrics",
	}, func(r *sql.Rows) error {
		r.Next()
		return r.Scan(&total, &distinct)
	})
	if err != nil {
		v.t.Fatalf("query: %v", err)
	}
	return total, distinct
}

func objectsPerDay(t *testing.T, b store.Bucket, cluster string, day time.Time) int {
	objs, err := lake.ListPartition(context.Background(), b, "node_metrics", cluster, day)
	if err != nil {
		t.Fatal(err)
	}
	return len(objs)
}

func newCompactor(t *testing.T, b store.Bucket, c *clock) *compact.Compactor {
	cp, err := compact.New(compact.Config{Bucket: b, WorkDir: t.TempDir(), Now: c.Now, Lookback: 6, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	return cp
}

func TestCompactionKeepsEveryRowOnce(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	c := &clock{t: day0.AddDate(0, 0, 4).Add(3 * time.Hour)} // days 0,1 are ≥ 48 h old, days 2,3 hourly
	want := int64(fill(t, b, "c1", 4, 3))
	v := newView(t, b, c)
	if got, d := v.rows("c1", 4); got != want || d != want {
		t.Fatalf("before: %d rows (%d distinct), want %d", got, d, want)
	}
	before := objectsPerDay(t, b, "c1", day0)
	cp := newCompactor(t, b, c)
	rep, err := cp.Run(context.Background(), "c1")
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("run: %v %v", err, rep.Errors)
	}
	if rep.ObjectsWritten != 2+2*24 || rep.ObjectsDeleted != 0 {
		t.Fatalf("first run: %+v", rep)
	}
	// Inputs are still there (grace), yet every row is seen exactly once.
	if got, d := v.rows("c1", 4); got != want || d != want {
		t.Fatalf("after merge: %d rows (%d distinct), want %d", got, d, want)
	}
	c.Add(10 * time.Minute)
	rep, err = cp.Run(context.Background(), "c1")
	if err != nil || len(rep.Errors) > 0 {
		t.Fatalf("second run: %v %v", err, rep.Errors)
	}
	if rep.ObjectsDeleted != before*2+3*24*2 || rep.ObjectsWritten != 0 {
		t.Fatalf("second run: %+v (before=%d)", rep, before)
	}
	if got, d := v.rows("c1", 4); got != want || d != want {
		t.Fatalf("after collect: %d rows (%d distinct), want %d", got, d, want)
	}
	// Days 0 and 1 are now final and no hour closed since: the next run
	// lists nothing (the cursor keeps idle runs cheap).
	c.Add(10 * time.Minute)
	if rep, err = cp.Run(context.Background(), "c1"); err != nil || rep.Partitions != 0 {
		t.Fatalf("idle run visited %d partitions (%v)", rep.Partitions, err)
	}
	for d, wantObjs := range []int{1, 1, 24, 24} {
		if n := objectsPerDay(t, b, "c1", day0.AddDate(0, 0, d)); n != wantObjs {
			t.Errorf("day %d: %d objects, want %d", d, n, wantObjs)
		}
	}
	// Days 2 and 3 turn old: the hourly objects become one daily object.
	c.Add(48 * time.Hour)
	if _, err := cp.Run(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	c.Add(10 * time.Minute)
	if _, err := cp.Run(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	if n := objectsPerDay(t, b, "c1", day0.AddDate(0, 0, 3)); n != 1 {
		t.Errorf("day 3 after daily merge: %d objects", n)
	}
	if got, d := v.rows("c1", 4); got != want || d != want {
		t.Fatalf("after daily merge of hourly objects: %d rows (%d distinct), want %d", got, d, want)
	}
	// The merged files decode with the Go codec too (schema is preserved).
	objs, _ := lake.ListPartition(context.Background(), b, "node_metrics", "c1", day0)
	data, _, err := b.Get(context.Background(), objs[0].Info.Key, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, meta, err := lake.NodeMetrics.Decode(data)
	if err != nil || int64(len(rows)) != want/4 || meta.Rows != want/4 || len(meta.Inputs) != 3*24 {
		t.Fatalf("decode merged: %d rows, meta %+v, %v", len(rows), meta, err)
	}
}

// TestConcurrentCompactions runs two compactors on the same partitions at
// once (leases bypassed): readers never see a row twice or miss one.
func TestConcurrentCompactions(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	c := &clock{t: day0.AddDate(0, 0, 3)}
	want := int64(fill(t, b, "c1", 1, 4))
	v := newView(t, b, c)
	cp1, cp2 := newCompactor(t, b, c), newCompactor(t, b, c)
	var wg sync.WaitGroup
	for _, cp := range []*compact.Compactor{cp1, cp2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cp.CompactPartition(context.Background(), lake.NodeMetrics, "c1", day0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, d := v.rows("c1", 1); got != want || d != want {
		t.Fatalf("after racing compactions: %d rows (%d distinct), want %d", got, d, want)
	}
	c.Add(time.Hour)
	for _, cp := range []*compact.Compactor{cp1, cp2} {
		if _, err := cp.CompactPartition(context.Background(), lake.NodeMetrics, "c1", day0); err != nil {
			t.Fatal(err)
		}
	}
	if n := objectsPerDay(t, b, "c1", day0); n != 1 {
		t.Fatalf("%d objects left, want 1", n)
	}
	if got, d := v.rows("c1", 1); got != want || d != want {
		t.Fatalf("after cleanup: %d rows (%d distinct), want %d", got, d, want)
	}
}

// crashing fails every store call after the first n.
type crashing struct {
	store.Bucket
	left atomic.Int64
}

var errCrash = errors.New("crash")

func (c *crashing) ok() error {
	if c.left.Add(-1) < 0 {
		return errCrash
	}
	return nil
}
func (c *crashing) Put(ctx context.Context, k string, d []byte, cond store.Condition) (store.Info, error) {
	if err := c.ok(); err != nil {
		return store.Info{}, err
	}
	return c.Bucket.Put(ctx, k, d, cond)
}
func (c *crashing) Get(ctx context.Context, k, e string) ([]byte, store.Info, error) {
	if err := c.ok(); err != nil {
		return nil, store.Info{}, err
	}
	return c.Bucket.Get(ctx, k, e)
}
func (c *crashing) GetRange(ctx context.Context, k string, off, n int64) ([]byte, error) {
	if err := c.ok(); err != nil {
		return nil, err
	}
	return c.Bucket.GetRange(ctx, k, off, n)
}
func (c *crashing) List(ctx context.Context, p, a string, l int) ([]store.Info, bool, error) {
	if err := c.ok(); err != nil {
		return nil, false, err
	}
	return c.Bucket.List(ctx, p, a, l)
}
func (c *crashing) Delete(ctx context.Context, k string) error {
	if err := c.ok(); err != nil {
		return err
	}
	return c.Bucket.Delete(ctx, k)
}

// TestCrashAtEveryStep stops a compaction after each store operation in
// turn and checks that the lake reads correctly every time.
func TestCrashAtEveryStep(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	c := &clock{t: day0.AddDate(0, 0, 3)}
	want := int64(fill(t, b, "c1", 1, 2))
	v := newView(t, b, c)
	for n := int64(0); ; n++ {
		cb := &crashing{Bucket: b}
		cb.left.Store(n)
		cp := newCompactor(t, cb, c)
		_, err := cp.Run(context.Background(), "c1")
		if got, d := v.rows("c1", 1); got != want || d != want {
			t.Fatalf("crash after %d ops: %d rows (%d distinct), want %d", n, got, d, want)
		}
		c.Add(6 * time.Minute) // past grace every few steps; leases expire
		if err == nil && cb.left.Load() >= 0 {
			if objectsPerDay(t, b, "c1", day0) == 1 {
				return // reached the end state without a crash
			}
		}
		if n > 400 {
			t.Fatal("no convergence")
		}
	}
}

func TestRetention(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	fill(t, b, "c1", 3, 1)
	c := &clock{t: day0.AddDate(0, 0, 3)}
	cp, err := compact.New(compact.Config{Bucket: b, WorkDir: t.TempDir(), Now: c.Now, Retention: map[string]int{"node_metrics": 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	rep, err := cp.Run(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if n := objectsPerDay(t, b, "c1", day0); n != 0 || rep.ObjectsExpired != 24 {
		t.Fatalf("day 0: %d objects left, expired %d", n, rep.ObjectsExpired)
	}
	if n := objectsPerDay(t, b, "c1", day0.AddDate(0, 0, 1)); n == 0 {
		t.Fatal("day 1 expired too early")
	}
	for _, bad := range []int{0, 366} {
		if _, err := compact.New(compact.Config{Bucket: b, Retention: map[string]int{"pods": bad}}); err == nil || !strings.Contains(err.Error(), "retention") {
			t.Errorf("retention %d accepted", bad)
		}
	}
}

func TestCorruptInputLeftAndReported(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	fill(t, b, "c1", 1, 2)
	bad := lake.ObjectKey{Table: "node_metrics", Cluster: "c1", Date: day0, Span: "05", Writer: "agent", ID: lake.NewULID(day0)}.Key()
	b.Put(context.Background(), bad, []byte("garbage"), store.IfAbsent)
	c := &clock{t: day0.AddDate(0, 0, 3)}
	rep, err := newCompactor(t, b, c).Run(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Corrupt) != 1 || rep.Corrupt[0] != bad {
		t.Fatalf("corrupt: %v", rep.Corrupt)
	}
	if _, err := b.Stat(context.Background(), bad); err != nil {
		t.Fatalf("corrupt object removed: %v", err)
	}
}

// TestStockDuckDBExactRead checks the SQL docs/lake.md gives users for an
// exact read while compacted inputs still exist.
func TestStockDuckDBExactRead(t *testing.T) {
	root := t.TempDir()
	b, _ := store.NewFile(root)
	c := &clock{t: day0.AddDate(0, 0, 3)}
	want := int64(fill(t, b, "c1", 1, 2))
	if _, err := newCompactor(t, b, c).Run(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	glob := root + "/node_metrics/**/*.parquet"
	var plain, exact int64
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning = true)", glob)).Scan(&plain); err != nil {
		t.Fatal(err)
	}
	exactSQL := fmt.Sprintf(`WITH hidden AS (
  SELECT DISTINCT regexp_replace(file_name, '[^/]*$', '') || unnest(from_json(decode(value), '["VARCHAR"]')) AS f
  FROM parquet_kv_metadata('%s') WHERE decode(key) = 'atlhyper.inputs')
SELECT count(*) FROM read_parquet('%s', hive_partitioning = true, filename = true)
WHERE filename NOT IN (SELECT f FROM hidden)`, glob, glob)
	if err := db.QueryRow(exactSQL).Scan(&exact); err != nil {
		t.Fatal(err)
	}
	if plain != 2*want || exact != want {
		t.Fatalf("plain glob %d (want %d during grace), exact %d (want %d)", plain, 2*want, exact, want)
	}
}

// TestLateObjectsInFinalDays: an object that lands in a day already merged
// whole (a spool emptied after a long outage) is merged by the next day's
// sweep, and the cursor revisits that day until its inputs are collected.
func TestLateObjectsInFinalDays(t *testing.T) {
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	c := &clock{t: day0.AddDate(0, 0, 4).Add(3 * time.Hour)}
	want := int64(fill(t, b, "c1", 2, 2))
	cp := newCompactor(t, b, c)
	for range 2 { // merge, then collect after grace
		if rep, err := cp.Run(context.Background(), "c1"); err != nil || len(rep.Errors) > 0 {
			t.Fatalf("run: %v %v", err, rep)
		}
		c.Add(10 * time.Minute)
	}
	if n := objectsPerDay(t, b, "c1", day0); n != 1 {
		t.Fatalf("day 0 before the late object: %d objects", n)
	}
	// A late object for day 0, written by the agent's spool.
	w, err := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
	if err != nil {
		t.Fatal(err)
	}
	late := []lake.NodeMetric{{TS: day0.Add(5*time.Hour + 7*time.Second), Node: "late", Metric: "cpu.pct", Value: 42}}
	if err := lake.WriteNow(context.Background(), w, lake.NodeMetrics, late); err != nil {
		t.Fatal(err)
	}
	want++
	// Same day: the cursor skips final days.
	if rep, err := cp.Run(context.Background(), "c1"); err != nil || rep.ObjectsMerged != 0 {
		t.Fatalf("same-day run merged %d (%v)", rep.ObjectsMerged, err)
	}
	// Next day: the sweep merges it; after grace its inputs go.
	c.Add(24 * time.Hour)
	rep, err := cp.Run(context.Background(), "c1")
	if err != nil || len(rep.Errors) > 0 || rep.ObjectsMerged < 2 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	c.Add(10 * time.Minute)
	if rep, err = cp.Run(context.Background(), "c1"); err != nil || rep.ObjectsDeleted < 2 {
		t.Fatalf("collect after the sweep: %+v %v", rep, err)
	}
	if n := objectsPerDay(t, b, "c1", day0); n != 1 {
		t.Errorf("day 0 after the sweep: %d objects, want 1", n)
	}
	v := newView(t, b, c)
	if got, d := v.rows("c1", 2); got != want || d != want {
		t.Fatalf("%d rows (%d distinct), want %d", got, d, want)
	}
	c.Add(10 * time.Minute)
	if rep, err = cp.Run(context.Background(), "c1"); err != nil || rep.Partitions != 0 {
		t.Fatalf("idle run after the sweep visited %d partitions (%v)", rep.Partitions, err)
	}
}

// TestListsDoNotGrowWithRetention: a compaction run lists each table's
// cluster prefix once (or not at all), so its LIST requests are the same
// whether 3 or 30 days are retained and held — the once-a-day sweep that
// revisits every retained day included.
func TestListsDoNotGrowWithRetention(t *testing.T) {
	lists := func(days int) []int64 {
		b, err := store.NewFile(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// One object an hour: 720 in 30 days, one LIST page (a page holds
		// 1,000 keys).
		fill(t, b, "c1", days, 1)
		m := store.NewMetered(b)
		c := &clock{t: day0.AddDate(0, 0, days).Add(3 * time.Hour)}
		retention := map[string]int{}
		for _, tb := range lake.All() {
			retention[tb.Name()] = days
		}
		cp, err := compact.New(compact.Config{Bucket: m, WorkDir: t.TempDir(), Now: c.Now, Logger: quiet, Retention: retention})
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		var out []int64
		run := func(what string) {
			before := m.Requests().List
			rep, err := cp.Run(context.Background(), "c1")
			if err != nil || len(rep.Errors) > 0 {
				t.Fatalf("%d days, %s: %v %v", days, what, err, rep.Errors)
			}
			out = append(out, m.Requests().List-before)
		}
		run("first run: sweep and merges")
		c.Add(15 * time.Minute)
		run("collect after grace")
		if n := objectsPerDay(t, b, "c1", day0.AddDate(0, 0, days-3)); n != 1 {
			t.Fatalf("%d days: day %d holds %d objects after its daily merge", days, days-3, n)
		}
		c.Add(15 * time.Minute)
		run("no hour closed")
		c.Add(time.Hour)
		run("an hour closed")
		c.Add(24 * time.Hour)
		run("next day's sweep")
		return out
	}
	short, long := lists(3), lists(30)
	t.Logf("LISTs per run, 3 days retained: %v; 30 days: %v", short, long)
	for i := range short {
		if short[i] != long[i] {
			t.Errorf("run %d: %d LISTs with 3 days, %d with 30", i, short[i], long[i])
		}
	}
	// One listing of each table's prefix in a sweep (plus none for the
	// cluster list: Run was given the cluster), none when no hour closed.
	if tables := int64(len(lake.All())); short[0] != tables || short[4] != tables || short[2] != 0 {
		t.Errorf("LISTs per run %v, want %d for a sweep and 0 when no hour closed", short, tables)
	}
}

// TestSteadyRunsCostTheSame: once compaction has caught up, a run in which
// no hour closed reads the cursor and nothing else, and an hourly run's
// requests do not grow with the merged hours already in the day (no
// footer of a lone merged object is read).
func TestSteadyRunsCostTheSame(t *testing.T) {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, "c1", 1, 2)
	m := store.NewMetered(b)
	c := &clock{t: day0.Add(2*time.Hour + 15*time.Minute)}
	cp, err := compact.New(compact.Config{Bucket: m, WorkDir: t.TempDir(), Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	run := func() store.Requests {
		t.Helper()
		before := m.Requests()
		if rep, err := cp.Run(context.Background(), "c1"); err != nil || len(rep.Errors) > 0 {
			t.Fatalf("run at %v: %v %v", c.Now(), err, rep.Errors)
		}
		return m.Requests().Sub(before)
	}
	run() // catch up: hours 0 and 1
	c.Add(15 * time.Minute)
	if r := run(); r.Get != 1 || r.Put != 0 || r.List != 0 || r.Delete != 0 {
		t.Fatalf("a run with no hour closed: %+v, want the cursor read only", r)
	}
	c.Set(day0.Add(3*time.Hour + 15*time.Minute))
	run() // also collects the catch-up's inputs
	var hourly []store.Requests
	for h := 4; h < 24; h++ {
		c.Set(day0.Add(time.Duration(h)*time.Hour + 15*time.Minute))
		r := run()
		r.BytesIn, r.BytesOut = 0, 0
		hourly = append(hourly, r)
	}
	for i, r := range hourly {
		if r != hourly[0] {
			t.Fatalf("hour %d: %+v, hour 4: %+v", i+4, r, hourly[0])
		}
	}
	// GET: the cursor twice (before and under the lease), the lease, the
	// two inputs of the hour that closed, and the footer (2 ranged GETs) of
	// the hour merged an hour ago, whose inputs go now. PUT: the lease
	// twice, the merged object, the cursor. One listing per table.
	if r := hourly[0]; r.Get != 7 || r.Put != 4 || r.Delete != 2 || r.List != int64(len(lake.All())) {
		t.Fatalf("an hourly run: %+v", r)
	}
}

// TestLeaseOfACrashedRunIsTakenOver: a run that died holding the cluster's
// lease blocks later runs only until one of them has seen the lease
// unchanged for its whole duration (query/lease: observed by the runs'
// own clock, kept between runs); a holder that keeps renewing is never
// taken over.
func TestLeaseOfACrashedRunIsTakenOver(t *testing.T) {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, "c1", 1, 2)
	c := &clock{t: day0.Add(2*time.Hour + 15*time.Minute)}
	key := lake.SysPrefix + "leases/compact-c1.json"
	dead, err := lease.Acquire(context.Background(), lease.Config{Bucket: b, Key: key, Identity: "crashed-run", Duration: 10 * time.Minute,
		Clock: clockOf(c.Now), Logger: quiet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := compact.New(compact.Config{Bucket: b, WorkDir: t.TempDir(), Now: c.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	run := func() error { _, err := cp.RunCluster(context.Background(), "c1"); return err }
	if err := run(); !errors.Is(err, compact.ErrLeaseHeld) {
		t.Fatalf("first run: %v, want the lease held", err)
	}
	// A live holder renews: each renewal is a new record, observed afresh.
	for range 3 {
		c.Add(6 * time.Minute)
		if err := dead.Publish(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := run(); !errors.Is(err, compact.ErrLeaseHeld) {
			t.Fatalf("run beside a renewing holder: %v, want the lease held", err)
		}
	}
	// It dies: unchanged for less than the duration, still held …
	c.Add(9 * time.Minute)
	if err := run(); !errors.Is(err, compact.ErrLeaseHeld) {
		t.Fatalf("run 9 min after the last renewal: %v, want the lease held", err)
	}
	// … then taken over, and the run compacts.
	c.Add(2 * time.Minute)
	if err := run(); err != nil {
		t.Fatalf("run 11 min after the last renewal: %v, want a takeover", err)
	}
	data, _, err := b.Get(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := lease.Read(data); err != nil || r.Holder != "" || r.Transitions != 2 {
		t.Fatalf("lease after the run: %+v %v, want released after one takeover", r, err)
	}
}

type clockOf func() time.Time

func (c clockOf) Now() time.Time                       { return c() }
func (clockOf) After(d time.Duration) <-chan time.Time { return time.After(d) }
