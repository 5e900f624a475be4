package collector_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/collector/push"
	"github.com/atlhyper/atlhyper/collector/sampler"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestEndToEnd runs the real sampler on this machine's /proc and /sys and
// the real pusher against the real ingest handler (which is down for its
// first pushes, so the backlog and retries are part of the path), encodes
// what the sink received as a node_metrics object, stores it in a real
// MinIO, reads it back with DuckDB and checks every number in the lake is
// the number the collector sent.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	quiet := slog.New(slog.DiscardHandler)

	// The agent: ingest in front of a sink that fails twice (store
	// unreachable) and then keeps rows as the agent's lake writer would.
	var (
		mu       sync.Mutex
		rows     []lake.NodeMetric
		failures = 2
		sent     []payload.Payload // what the collector put on the wire
	)
	const secret = "e2e-ingest-secret-0123456789"
	h, err := ingest.New(ingest.Config{Secret: secret, Logger: quiet,
		Sink: func(_ context.Context, rs []lake.NodeMetric) error {
			mu.Lock()
			defer mu.Unlock()
			if failures > 0 {
				failures--
				return errors.New("lake writer not ready")
			}
			rows = append(rows, rs...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := httptest.NewRecorder()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			p, err := payload.Read(strings.NewReader(string(body)), true, payload.DefaultLimits)
			if err != nil {
				t.Errorf("accepted push does not decode: %v", err)
			} else {
				mu.Lock()
				sent = append(sent, *p)
				mu.Unlock()
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer agent.Close()

	// The collector, wired as cmd/collector wires it, at a 1 s interval.
	s, err := sampler.New(sampler.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := push.New(push.Config{URL: agent.URL, Token: nodetoken.Make(secret, "e2e-node"), Node: "e2e-node", Interval: time.Second,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(runCtx) })
	wg.Go(func() { s.Run(runCtx, time.Second, quiet, p.Add) })
	deadline := time.Now().Add(30 * time.Second)
	for p.Stats().Sent < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("collector delivered only %+v", p.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if st := p.Stats(); st.Failures < 2 || st.Dropped != 0 || st.Rejected != 0 {
		t.Fatalf("pusher stats %+v: want the two failed pushes retried and nothing lost", st)
	}

	// The agent's writer: one object per hour of rows, as the lake lays out.
	mu.Lock()
	defer mu.Unlock()
	byHour := map[time.Time][]lake.NodeMetric{}
	for _, r := range rows {
		h := r.TS.Truncate(time.Hour)
		byHour[h] = append(byHour[h], r)
	}
	for hour, rs := range byHour {
		data, _, err := lake.NodeMetrics.Encode(rs)
		if err != nil {
			t.Fatal(err)
		}
		key := lake.ObjectKey{Table: lake.NodeMetrics.Name(), Cluster: "e2e", Date: lake.Day(hour),
			Span: lake.HourSpan(hour.UTC().Hour()), Writer: "agent", ID: lake.NewULID(time.Now())}.Key()
		if _, err := bucket.Put(ctx, key, data, store.IfAbsent); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}

	// A reader: download the table and query it with stock DuckDB SQL.
	dir := t.TempDir()
	objs, err := store.ListAll(ctx, bucket, lake.NodeMetrics.Name()+"/")
	if err != nil || len(objs) == 0 {
		t.Fatalf("list: %v (%d objects)", err, len(objs))
	}
	for _, o := range objs {
		data, _, err := bucket.Get(ctx, o.Key, "")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(o.Key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("duckdb", "?autoinstall_known_extensions=false&autoload_known_extensions=false")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := fmt.Sprintf(`SELECT ts, node, metric, device, value, cluster, date
		FROM read_parquet('%s/node_metrics/**/*.parquet', hive_partitioning=true)`, dir)
	res, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	type series struct {
		ts             int64
		metric, device string
	}
	inLake := map[series]float32{}
	for res.Next() {
		var (
			ts                   time.Time
			node, metric, device string
			value                float32
			cluster              string
			date                 time.Time
		)
		if err := res.Scan(&ts, &node, &metric, &device, &value, &cluster, &date); err != nil {
			t.Fatal(err)
		}
		k := series{ts.UnixMilli(), metric, device}
		if _, dup := inLake[k]; dup {
			t.Errorf("duplicate row %+v", k)
		}
		inLake[k] = value
		if node != "e2e-node" || cluster != "e2e" || !date.Equal(lake.Day(ts)) {
			t.Errorf("row %+v: node %q cluster %q date %s", k, node, cluster, date)
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}

	n, scrapes := 0, 0
	for _, pl := range sent {
		for _, sc := range pl.Scrapes {
			scrapes++
			for _, smp := range sc.Samples {
				n++
				k := series{sc.TSMillis, smp.Metric, smp.Device}
				got, ok := inLake[k]
				switch {
				case !ok:
					t.Errorf("sent %+v = %v, not in the lake", k, smp.Value)
				case got != float32(smp.Value):
					t.Errorf("%+v: lake has %v, collector sent %v", k, got, smp.Value)
				}
			}
		}
	}
	if n != len(inLake) || scrapes < 5 {
		t.Fatalf("collector sent %d samples in %d scrapes, lake has %d rows", n, scrapes, len(inLake))
	}
	t.Logf("%d scrapes, %d samples: collector → agent → MinIO (%d objects) → DuckDB, all equal", scrapes, n, len(objs))
}
