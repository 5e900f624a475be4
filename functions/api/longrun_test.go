package api_test

import (
	"context"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/functions/internal/longrun"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestLongRunCachesStayBounded: one API instance serves a dashboard left
// open for 30 simulated days (longrun.Day, every day's lists travelled back
// to that day) with small cache bounds. After every day each in-memory
// cache is in use and at or under its bound, and by the last day the
// bounded ones have been pressed against their bounds, so a cache that
// grew without bound, or one left out of App.MemoryCaches, fails here.
// DuckDB's own memory (its buffer manager's: file blocks, Parquet
// footers, buffers) must not grow with the days walked either.
func TestLongRunCachesStayBounded(t *testing.T) {
	ctx := context.Background()
	// The file store: the caches do not depend on the backend, and a
	// month of hourly objects is written there in a fraction of the time.
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().UTC().Truncate(time.Second)
	const days = longrun.Days
	spec := fleetgen.Spec{Clusters: 1, Nodes: 2, Pods: 20, Namespaces: 2, End: end, Hours: (days + 1) * 24, ChurnPerHour: 4, AnomaliesPerHour: 1,
		MetricHours: 1, MetricEvery: time.Minute, DetailHours: (days + 1) * 24, Seed: 11}
	start := time.Now()
	if err := longrun.Prepare(ctx, b, spec, t.TempDir(), quiet); err != nil {
		t.Fatal(err)
	}
	t.Logf("prepared in %s", time.Since(start))
	// Small enough that a month of questions overflows each bound.
	const listed, inputs, stateBytes, memoBytes = 400, 40, 256 << 10, 128 << 10
	// What DuckDB may hold beyond day 3's: a query's buffers in flight.
	const duckSlack = 1 << 20
	a, err := app.Open(ctx, app.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2, MemoryLimit: "512MB", JWTSecret: testSecret,
		AdminUser: adminUser, AdminPassword: adminPass, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: quiet,
		ListedObjects: listed, InputNames: inputs, StateCacheBytes: stateBytes, MemoBytes: memoBytes})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, bucket: b, app: a, end: end, http: httptest.NewServer(a.Handler())}
	t.Cleanup(func() { s.http.Close(); a.Close() })
	tok := s.login(t, adminUser, adminPass)
	start = time.Now()
	defer func() { t.Logf("walked in %s", time.Since(start)) }()
	clusters := []string{fleetgen.ClusterID(0)}
	var duck3 int64
	for d := 1; d <= days; d++ {
		for _, r := range longrun.Day(clusters, longrun.DayEnd(end, d), true) {
			var body any
			if r.Body != nil {
				body = r.Body
			}
			if st, data, _ := s.raw(t, r.Method, r.Path, tok, body); st != 200 {
				t.Fatalf("day %d: %s %s: %d %.300s", d, r.Method, r.Path, st, data)
			}
		}
		caches := a.MemoryCaches()
		names := make([]string, 0, len(caches))
		for n := range caches {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			st := caches[n]
			if st.Cost > st.Max || st.Entries == 0 {
				t.Errorf("day %d: cache %s: %d entries costing %d of %d", d, n, st.Entries, st.Cost, st.Max)
			}
			if d == days {
				t.Logf("day %d: %-16s %5d entries, cost %8d of %8d", d, n, st.Entries, st.Cost, st.Max)
			}
		}
		duck, err := a.Engine.DuckDBMemory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case d == 3:
			duck3 = duck
		case d > 3 && duck > duck3+duckSlack:
			t.Errorf("day %d: DuckDB holds %d bytes, %d more than on day 3", d, duck, duck-duck3)
		}
		if d == days {
			t.Logf("day %d: DuckDB holds %d bytes (day 3: %d)", d, duck, duck3)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	// The walk asked more than the small bounds hold: each was reached.
	caches := a.MemoryCaches()
	for _, n := range []string{"engine.listings", "lakeview.states", "lakeview.memo"} {
		if st := caches[n]; st.Cost < st.Max/2 {
			t.Errorf("cache %s never pressed against its bound: cost %d of %d", n, st.Cost, st.Max)
		}
	}
}
