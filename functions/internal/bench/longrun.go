package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/procfs"

	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/functions/internal/longrun"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// stateCacheBytes and memoBytes bound the child's reconstructed states
// and memoised answers so that the first two days of the walk fill them
// (at the defaults, 512 and 64 MiB, a small fleet would fill them only
// after the month): from then on, flat memory means nothing else grows.
const stateCacheBytes, memoBytes = 32 << 20, 2 << 20

// measureLongRun starts the API binary as a child process on the bench's
// MinIO, over a fleet with a month of history, and walks a dashboard left
// open through 30 simulated days (longrun.Day). The child's RSS is read
// after day 3 (caches warm) and after day 30: a cache or map that grows
// with the days walked shows as growth between them.
func measureLongRun(ctx context.Context, b store.Bucket, endpoint, tmp string, clusters, nodes, pods int, logf func(string, ...any)) error {
	end := time.Now().UTC().Truncate(time.Second)
	spec := fleetgen.Spec{Clusters: clusters, Nodes: nodes, Pods: pods, Namespaces: 10, End: end, Hours: (longrun.Days + 1) * 24,
		ChurnPerHour: max(1, pods/20), AnomaliesPerHour: 2, MetricHours: 1, MetricEvery: time.Minute, DetailHours: (longrun.Days + 1) * 24,
		Seed: 3, Parallel: 4}
	start := time.Now()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := longrun.Prepare(ctx, b, spec, tmp, quiet); err != nil {
		return err
	}
	logf("longrun: %d clusters × %d pods × %d days generated and compacted in %.0fs", clusters, pods, longrun.Days+1, time.Since(start).Seconds())

	bin := filepath.Join(tmp, "api")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./functions/cmd/api")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build api: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "--store", "s3://bench/lake?endpoint="+endpoint+"&insecure=true", "--listen", addr,
		"--cache-dir", filepath.Join(tmp, "api-cache"), "--bcrypt-cost", "4", "--log-level", "warn",
		"--state-cache-bytes", strconv.Itoa(stateCacheBytes), "--memo-bytes", strconv.Itoa(memoBytes))
	cmd.Env = append(os.Environ(), "ATLHYPER_JWT_SECRET="+secret, "ATLHYPER_ADMIN_USER="+admin, "ATLHYPER_ADMIN_PASSWORD="+password,
		"AWS_ACCESS_KEY_ID="+miniotest.AccessKey, "AWS_SECRET_ACCESS_KEY="+miniotest.SecretKey, "AWS_REGION=us-east-1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start api: %w", err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	base := "http://" + addr
	if err := until(ctx, time.Minute, func() bool {
		resp, err := http.Get(base + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}); err != nil {
		return fmt.Errorf("api not ready: %w", err)
	}
	tok, err := login(base)
	if err != nil {
		return err
	}
	proc, err := procfs.NewProc(cmd.Process.Pid)
	if err != nil {
		return err
	}
	// rss is the median of a few samples a second apart (total and
	// anonymous RSS, MiB): the runtime returns freed memory on its own
	// schedule, which a bench cannot force in another process.
	type mem struct{ rss, anon float64 }
	rss := func() (mem, error) {
		var ms []mem
		for range 5 {
			r, err := proc.ProcSMapsRollup()
			if err != nil {
				return mem{}, err
			}
			ms = append(ms, mem{float64(r.Rss) / (1 << 20), float64(r.Anonymous) / (1 << 20)})
			time.Sleep(time.Second)
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].rss < ms[j].rss })
		return ms[len(ms)/2], nil
	}
	ids := make([]string, clusters)
	for i := range ids {
		ids[i] = fleetgen.ClusterID(i)
	}
	var day3, day30 mem
	requests, walkStart := 0, time.Now()
	for d := 1; d <= longrun.Days; d++ {
		for _, r := range longrun.Day(ids, longrun.DayEnd(end, d), true) {
			if err := send(ctx, base, tok, r); err != nil {
				return fmt.Errorf("day %d: %w", d, err)
			}
			requests++
		}
		switch d {
		case 3:
			if day3, err = rss(); err != nil {
				return err
			}
		case longrun.Days:
			if day30, err = rss(); err != nil {
				return err
			}
		}
		if r, err := proc.ProcSMapsRollup(); err == nil {
			logf("longrun: day %d walked (%d requests, %.0fs), RSS %.1f MiB (anonymous %.1f)", d, requests, time.Since(walkStart).Seconds(),
				float64(r.Rss)/(1<<20), float64(r.Anonymous)/(1<<20))
		}
	}
	fmt.Printf("api.longrun_rss_day3_mib %.1f MiB\n", day3.rss)
	fmt.Printf("api.longrun_rss_day30_mib %.1f MiB\n", day30.rss)
	fmt.Printf("api.longrun_rss_growth_mib %.1f MiB\n", day30.rss-day3.rss)
	fmt.Printf("api.longrun_rss_anon_day3_mib %.1f MiB\n", day3.anon)
	fmt.Printf("api.longrun_rss_anon_day30_mib %.1f MiB\n", day30.anon)
	fmt.Printf("# %d clusters × %d pods, %d requests over %d simulated days in %.0f s\n", clusters, pods, requests, longrun.Days, time.Since(walkStart).Seconds())
	return nil
}

// send makes one request of the walk; anything but 200 is an error.
func send(ctx context.Context, base, tok string, r longrun.Request) error {
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %.200s", r.Method, r.Path, resp.StatusCode, body)
	}
	return nil
}
