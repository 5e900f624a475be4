// Command sim runs a simulated fleet: N clusters, each an in-memory API
// server watched by the real agent, writing to a real store (see
// agent/sim and docs/agent.md).
//
//	go run ./agent/cmd/sim --store file:///tmp/lake --clusters 3
//	go run ./agent/cmd/sim --store file:///tmp/lake --clusters 10 --nodes 100 --pods 3000 \
//	    --start -168h --speed 3600 --duration 168h        # a week of history in about 3 minutes
//
// Every flag can also be set from the environment as ATLHYPER_<FLAG>
// (internal/cli).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/agent/sim"
	"github.com/atlhyper/atlhyper/internal/cli"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		slog.Error("sim failed", "error", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	storeURL := fs.String("store", "", "store URL: file:///path or s3://bucket/prefix?endpoint=… (required)")
	clusters := fs.Int("clusters", 3, "simulated clusters")
	nodes := fs.Int("nodes", 10, "nodes per cluster")
	pods := fs.Int("pods", 300, "pods per cluster")
	seed := fs.Int64("seed", 1, "random seed (same seed, same fleet and script)")
	speed := fs.Float64("speed", 1, "virtual seconds per real second")
	start := fs.String("start", "", "virtual start: RFC 3339 time or an offset from now such as -168h (default now)")
	duration := fs.Duration("duration", 0, "stop after this much virtual time (0: until interrupted)")
	prefix := fs.String("prefix", "sim", "cluster ids are <prefix>-1, <prefix>-2, …")
	spool := fs.String("spool-dir", "", "give each agent a spool under this directory")
	metrics := fs.Bool("node-metrics", true, "push simulated node metrics every 15 s (virtual)")
	rate := fs.Float64("incidents-per-hour", 12, "mean scripted incidents per cluster per virtual hour")
	logFlags := cli.LogFlags(fs)
	listen := fs.String("listen", "", "serve the first cluster's agent endpoints here (/healthz, /readyz, /metrics and, with --ingest-secret, the collectors' /v1/node-metrics)")
	secret := fs.String("ingest-secret", "", "secret real collectors' node tokens are made with (prefer the env ATLHYPER_INGEST_SECRET)")
	hostNode := fs.String("host-node", "", "add a node of this name to the first cluster, for a real collector on this machine")
	commandKeys := fs.String("command-public-keys", "", "public keys commands must be signed with: <key id>=<base64 Ed25519 key>[,…]; set, every simulated cluster's agent runs remote operations against its cluster")
	flushAge := fs.Duration("flush-age", 0, "agents' flush interval, a divisor of an hour (0: the agent default, 20m, or more when --speed is higher)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *storeURL == "" {
		return errors.New("--store is required")
	}
	if *secret != "" && *listen == "" {
		return errors.New("--ingest-secret needs --listen: collectors push to the first cluster's agent endpoint")
	}
	keys, err := control.ParseKeys(*commandKeys)
	if err != nil {
		return fmt.Errorf("--command-public-keys: %w", err)
	}
	log, err := logFlags.Logger()
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	klog.SetSlogLogger(log.With("component", "client-go"))
	begin := time.Now()
	if *start != "" {
		if d, err := time.ParseDuration(*start); err == nil {
			begin = begin.Add(d)
		} else if t, err := time.Parse(time.RFC3339, *start); err == nil {
			begin = t
		} else {
			return fmt.Errorf("--start %q: want RFC 3339 or a duration like -24h", *start)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b, err := store.Open(ctx, *storeURL)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	var first *agent.Agent
	var ingestH *ingest.Handler
	if *secret != "" {
		ingestH, err = ingest.New(ingest.Config{Secret: *secret, Logger: log.With("component", "ingest"), Registerer: reg,
			Sink: func(ctx context.Context, rows []lake.NodeMetric) error { return first.NodeMetrics(ctx, rows) }})
		if err != nil {
			return err
		}
	}
	firstID := *prefix + "-1"
	f, err := sim.New(sim.Config{Store: b, Clusters: *clusters, Nodes: *nodes, Pods: *pods, Seed: *seed, Speed: *speed,
		Start: begin, Duration: *duration, ClusterPrefix: *prefix, SpoolDir: *spool, NodeMetrics: *metrics,
		HostNode: *hostNode, EventRate: *rate, Logger: log, CommandKeys: keys,
		Agent: func(c *agent.Config) {
			if *flushAge > 0 {
				c.FlushAge = *flushAge
			}
			if c.Cluster == firstID {
				c.Registerer = reg
				if ingestH != nil {
					c.Collectors = func(now time.Time) (int, []string) { return len(ingestH.Nodes(now)), ingestH.Stale(now) }
				}
			}
		}})
	if err != nil {
		return err
	}
	first = f.Agents()[0]
	if *listen != "" {
		mounts := map[string]http.Handler{}
		if ingestH != nil {
			mounts["/v1/node-metrics"] = ingestH
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: first.Handler(reg, mounts), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln) //nolint:errcheck // ends with the process
		defer srv.Close()
		log.Info("serving the first cluster's agent endpoints", "cluster", firstID, "listen", ln.Addr().String(), "ingest", ingestH != nil)
	}
	log.Info("fleet starting", "clusters", f.Clusters(), "nodes", *nodes, "pods", *pods, "speed", *speed,
		"virtual_start", begin.UTC(), "store", b.String())
	realStart := time.Now()
	err = f.Run(ctx)
	log.Info("fleet stopped", "virtual_now", f.Clock().Now().UTC(), "took", time.Since(realStart).Round(time.Second))
	return err
}
