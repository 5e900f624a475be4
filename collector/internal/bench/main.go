// Command bench measures the collector (scripts/bench collector): it builds
// the real collector binary, runs it against this machine's /proc and /sys
// at the production interval, pushing to an in-process ingest handler, and
// samples the process's RSS and CPU time from /proc/<pid>. Then it encodes
// a synthesized day of one cluster's node metrics as one object, as daily
// compaction would, and reports the bytes per sample at rest.
//
// Output, one figure per line (`name value unit`); progress goes to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/query/lake"
)

var (
	duration = flag.Duration("duration", 2*time.Minute, "how long to run the collector")
	interval = flag.Duration("interval", 15*time.Second, "collector interval")
	nodes    = flag.Int("nodes", 10, "nodes in the synthesized cluster-day")
	cores    = flag.Int("cores", 8, "CPU cores per synthesized node")
	hours    = flag.Int("hours", 24, "hours in the synthesized object")
	seed     = flag.Int64("seed", 1, "random seed of the synthesized day")
)

func main() {
	flag.Parse()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "collector bench:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "collector bench: "+format+"\n", args...)
}

func run(ctx context.Context) error {
	// The synthesized day is encoded while the collector runs: it only
	// competes for the CPU, and the collector's figures are its own
	// process's (rusage, RSS), so this keeps the bench within 3 minutes
	// without changing what it measures.
	type result struct {
		bps float64
		err error
	}
	synth := make(chan result, 1)
	go func() {
		bps, err := bytesPerSample()
		synth <- result{bps, err}
	}()
	rss, milli, err := runCollector(ctx)
	if err != nil {
		return err
	}
	res := <-synth
	if res.err != nil {
		return res.err
	}
	bps := res.bps
	fmt.Printf("collector.rss_mib %.1f MiB\n", rss)
	fmt.Printf("collector.cpu_millicores %.2f millicores\n", milli)
	fmt.Printf("lake.node_metrics.bytes_per_sample %.3f B\n", bps)
	return nil
}

// runCollector returns the median RSS in MiB of the collector process
// after its first push, and its average CPU in millicores over its whole
// life (start-up and shutdown included, so the figure errs high). CPU time
// comes from the kernel's rusage of the exited child, exact to the
// microsecond, where /proc/<pid>/stat would only count 10 ms ticks.
func runCollector(ctx context.Context) (rssMiB, millicores float64, err error) {
	dir, err := os.MkdirTemp("", "atlhyper-collector-bench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "collector")
	progress("building the collector")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/atlhyper/atlhyper/collector/cmd/collector")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return 0, 0, fmt.Errorf("go build: %w", err)
	}

	var pushes, samples atomic.Int64
	const secret = "bench-ingest-secret-0123456789"
	h, err := ingest.New(ingest.Config{Secret: secret, Logger: slog.New(slog.DiscardHandler),
		Sink: func(_ context.Context, rows []lake.NodeMetric) error {
			pushes.Add(1)
			samples.Add(int64(len(rows)))
			return nil
		}})
	if err != nil {
		return 0, 0, err
	}
	agent := httptest.NewServer(h)
	defer agent.Close()

	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--interval", interval.String(), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "ATLHYPER_AGENT_URL="+agent.URL, "ATLHYPER_INGEST_TOKEN="+nodetoken.Make(secret, "bench-node"), "NODE_NAME=bench-node")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer cmd.Process.Kill()
	pid := cmd.Process.Pid
	progress("collector pid %d at %s for %s", pid, *interval, *duration)

	var rss []float64
	lastPrint := time.Now()
	for time.Since(start) < *duration {
		time.Sleep(time.Second)
		if pushes.Load() == 0 {
			if time.Since(start) > 2**interval+10*time.Second {
				return 0, 0, fmt.Errorf("no push from the collector after %s:\n%s", time.Since(start).Round(time.Second), logs.String())
			}
			continue
		}
		kb, err := rssKiB(pid)
		if err != nil {
			return 0, 0, fmt.Errorf("collector exited: %w\n%s", err, logs.String())
		}
		rss = append(rss, kb/1024)
		if time.Since(lastPrint) > 30*time.Second {
			progress("%s: %d pushes, %d samples, rss %.1f MiB", time.Since(start).Round(time.Second), pushes.Load(), samples.Load(), kb/1024)
			lastPrint = time.Now()
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("collector: %w\n%s", err, logs.String())
	}
	wall := time.Since(start).Seconds()
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if len(rss) == 0 {
		return 0, 0, errors.New("run too short to measure: raise -duration")
	}
	if s := logs.String(); s != "" {
		progress("collector logged:\n%s", s)
	}
	progress("%d pushes, %d samples (%.0f per scrape); %.3f s CPU in %.0f s", pushes.Load(), samples.Load(),
		float64(samples.Load())/float64(max(pushes.Load(), 1)), cpu, wall)
	slices.Sort(rss)
	return rss[len(rss)/2], cpu / wall * 1000, nil
}

// rssKiB reads a process's resident set from /proc/<pid>/status.
func rssKiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status (exited?)", pid)
}
