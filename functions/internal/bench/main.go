// Command bench measures the API on a generated fleet in a real MinIO:
// 10 clusters × 100 nodes × 3,000 pods × 7 days of history by default
// (hourly checkpoints, pod churn, anomalies, events, node metrics). It
// prints one figure per line: `name value unit`.
//
//	go run ./functions/internal/bench [--clusters 10 --nodes 100 --pods 3000 --days 7]
//
// With --longrun it measures only the memory of a long-running API process
// (the built binary) serving a dashboard for 30 simulated days (longrun.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"encoding/json"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

const (
	secret   = "bench-secret-3f9a7c1e5b2d8f4a6c0e9b7d5f3a1c8e"
	admin    = "admin"
	password = "Bench-root-pass-2026!"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	clusters := flag.Int("clusters", 10, "clusters")
	nodes := flag.Int("nodes", 100, "nodes per cluster")
	pods := flag.Int("pods", 3000, "pods per cluster")
	days := flag.Int("days", 7, "days of history")
	samples := flag.Int("samples", 200, "requests per warm measurement")
	coldSamples := flag.Int("cold-samples", 10, "fresh instances for the cold measurement")
	verbose := flag.Bool("v", false, "progress on stderr")
	freshSamples := flag.Int("freshness-samples", 25, "changes of a watched live cluster timed until the API shows them (0: skip)")
	freshOnly := flag.Bool("freshness-only", false, "measure only the freshness of a live cluster (no generated fleet)")
	longRun := flag.Bool("longrun", false, "measure only the RSS of an API process serving 30 simulated days (3 clusters × 300 pods)")
	flag.Parse()
	logf := func(format string, args ...any) {
		if *verbose {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "atlhyper-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	endpoint, stop, err := miniotest.Run(tmp, "bench")
	if err != nil {
		return err
	}
	defer stop()
	b, err := store.NewS3(store.S3Options{Bucket: "bench", Prefix: "lake", Endpoint: endpoint, Insecure: true, Region: "us-east-1",
		Creds: credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, "")})
	if err != nil {
		return err
	}
	if *longRun {
		return measureLongRun(ctx, b, endpoint, tmp, 3, 20, 300, logf)
	}
	if *freshOnly {
		*clusters, *days, *coldSamples = 0, 0, 0
	}
	end := time.Now().UTC().Truncate(time.Second)
	spec := fleetgen.Spec{Clusters: *clusters, Nodes: *nodes, Pods: *pods, Namespaces: 20, End: end, Hours: *days * 24,
		ChurnPerHour: *pods / 10, AnomaliesPerHour: 6, MetricHours: 1, MetricEvery: 15 * time.Second, DetailHours: 2, Seed: 1, Parallel: 8}
	start := time.Now()
	if *clusters > 0 {
		if err := fleetgen.Generate(ctx, b, spec); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	genSecs := time.Since(start).Seconds()
	logf("generated %d clusters × %d pods × %d days in %.1fs", *clusters, *pods, *days, genSecs)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() (*app.App, *httptest.Server, string, error) {
		a, err := app.Open(ctx, app.Config{Bucket: b, CacheDir: filepath.Join(tmp, fmt.Sprintf("cache-%d", time.Now().UnixNano())), Threads: 2,
			MemoryLimit: "2GB", JWTSecret: secret, AdminUser: admin, AdminPassword: password, BcryptCost: 4, LoginRate: 1000, LoginBurst: 1000, Logger: quiet,
			UserRate: 1e6, UserBurst: 1e6}) // the bench is one user asking as fast as it can
		if err != nil {
			return nil, nil, "", err
		}
		srv := httptest.NewServer(a.Handler())
		tok, err := login(srv.URL)
		if err != nil {
			srv.Close()
			a.Close()
			return nil, nil, "", err
		}
		return a, srv, tok, nil
	}

	// Cold: a fresh instance (empty caches) answering its first request.
	var cold []time.Duration
	for i := 0; i < *coldSamples; i++ {
		a, srv, tok, err := open()
		if err != nil {
			return err
		}
		d, err := timed(srv.URL+"/api/v1/fleet/overview", tok)
		srv.Close()
		a.Close()
		if err != nil {
			return err
		}
		cold = append(cold, d)
	}

	a, srv, tok, err := open()
	if err != nil {
		return err
	}
	defer a.Close()
	defer srv.Close()
	if *freshSamples > 0 {
		// Measured first: the live cluster must not share the two cores
		// with the warm measurements' load.
		f, err := measureFreshness(ctx, b, srv.URL, tok, *pods, *freshSamples, logf)
		if err != nil {
			return fmt.Errorf("freshness: %w", err)
		}
		fmt.Printf("api.freshness_s.p50 %.1f s\n", pct(f.lags, 50).Seconds())
		fmt.Printf("api.freshness_s.p95 %.1f s\n", pct(f.lags, 95).Seconds())
		hours := f.window.Hours()
		fmt.Printf("api.watched.tail_puts_per_hour %.0f PUT/h\n", float64(f.tailPuts)/hours)
		fmt.Printf("api.watched.state_puts_per_hour %.0f PUT/h\n", float64(f.statePuts)/hours)
		if *freshOnly {
			return nil
		}
	}
	first := map[string]time.Duration{}
	warm := func(name string, urls []string) (time.Duration, error) {
		var firsts []time.Duration
		for _, u := range urls { // warm every distinct request once
			d, err := timed(u, tok)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			firsts = append(firsts, d)
		}
		first[name] = pct(firsts, 95)
		var ds []time.Duration
		for i := 0; i < *samples; i++ {
			d, err := timed(urls[i%len(urls)], tok)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, d)
		}
		logf("%s: p50 %.2f ms p95 %.2f ms", name, ms(pct(ds, 50)), ms(pct(ds, 95)))
		return pct(ds, 95), nil
	}
	base := srv.URL + "/api/v1"
	fleetWarm, err := warm("fleet", []string{base + "/fleet/overview"})
	if err != nil {
		return err
	}
	var podURLs []string
	for i := 0; i < *clusters; i++ {
		c := fleetgen.ClusterID(i)
		podURLs = append(podURLs,
			base+"/clusters/"+c+"/pods?limit=100",
			base+"/clusters/"+c+"/pods?limit=100&namespace=team-03&sort=-restarts",
			base+"/clusters/"+c+"/pods?limit=100&q=app-01&label=tier%3Dfrontend")
	}
	podsWarm, err := warm("pods", podURLs)
	if err != nil {
		return err
	}
	var trendURLs []string
	for i := 0; i < *clusters; i++ {
		trendURLs = append(trendURLs, base+"/clusters/"+fleetgen.ClusterID(i)+"/anomalies/trend?from=-7d")
	}
	trendWarm, err := warm("trend", trendURLs)
	if err != nil {
		return err
	}
	t1 := end.Add(-time.Hour).Format(time.RFC3339)
	var diffURLs []string
	for i := 0; i < *clusters; i++ {
		diffURLs = append(diffURLs, base+"/clusters/"+fleetgen.ClusterID(i)+"/timetravel/diff?kind=pods&from="+t1)
	}
	diffWarm, err := warm("diff", diffURLs)
	if err != nil {
		return err
	}
	fmt.Printf("api.fleet_overview.p95_ms.warm %.2f ms\n", ms(fleetWarm))
	fmt.Printf("api.fleet_overview.p95_ms.cold %.2f ms\n", ms(pct(cold, 95)))
	fmt.Printf("api.pods_list_5k.p95_ms.warm %.2f ms\n", ms(podsWarm))
	fmt.Printf("api.anomaly_trend_7d.p95_ms.warm %.2f ms\n", ms(trendWarm))
	fmt.Printf("api.time_travel_diff.p95_ms.warm %.2f ms\n", ms(diffWarm))
	// First requests on this instance (objects fetched from MinIO into an
	// empty cache, results computed): what the first visitor waits.
	fmt.Printf("api.pods_list.p95_ms.first %.2f ms\n", ms(first["pods"]))
	fmt.Printf("api.anomaly_trend_7d.p95_ms.first %.2f ms\n", ms(first["trend"]))
	fmt.Printf("api.time_travel_diff.p95_ms.first %.2f ms\n", ms(first["diff"]))
	fmt.Printf("api.bench.generate_s %.1f s\n", genSecs)
	refreshKB, firstKB, plainKB, err := refreshFigures(ctx, endpoint, tmp, logf)
	if err != nil {
		return fmt.Errorf("pods refresh: %w", err)
	}
	fmt.Printf("api.pods_5k_refresh_kb %.2f KB\n", refreshKB)
	fmt.Printf("api.pods_5k_first_load_kb %.1f KB\n", firstKB)
	fmt.Printf("# a 5,000-pod pods page is %.0f KB of JSON; compressed (br) %.1f KB on the wire\n", plainKB, firstKB)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func login(base string) (string, error) {
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, admin, password)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("login: %d %v", resp.StatusCode, err)
	}
	return t.AccessToken, nil
}

func timed(url, tok string) (time.Duration, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return d, nil
}
