// Command collector samples one node's /proc and /sys and pushes the
// samples to its cluster's agent. It runs as a DaemonSet, non-root, with
// read-only hostPath mounts (docs/node-metrics.md).
//
// Every flag can also be set from the environment as ATLHYPER_<FLAG> in
// upper snake case (--agent-url → ATLHYPER_AGENT_URL; internal/cli); a
// flag on the command line wins. The node name defaults to NODE_NAME (the
// downward API); the token comes from --ingest-token-file, else
// --ingest-token (ATLHYPER_INGEST_TOKEN), as the agent's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/collector/push"
	"github.com/atlhyper/atlhyper/collector/sampler"
	"github.com/atlhyper/atlhyper/internal/cli"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		slog.Error("collector failed", "err", err)
		os.Exit(1)
	}
}

type options struct {
	proc, sys, rootfs          string
	agentURL, node             string
	token, tokenFile           string
	interval                   time.Duration
	backlog, batch, topProcs   int
	netInclude, netExclude     string
	diskExclude, mountsExclude string
	fsTypesExclude             string
	diskPartitions, once       bool
	log                        *cli.Log
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	fs.StringVar(&o.proc, "proc", "/proc", "host /proc (e.g. /host/proc in a container)")
	fs.StringVar(&o.sys, "sys", "/sys", "host /sys (e.g. /host/sys)")
	fs.StringVar(&o.rootfs, "rootfs", "/", "host / for filesystem usage (e.g. /host/root)")
	fs.StringVar(&o.agentURL, "agent-url", "", "agent ingest URL, e.g. http://atlhyper-agent.atlhyper:8080/v1/node-metrics")
	fs.StringVar(&o.token, "ingest-token", "", "bearer token to push with (prefer --ingest-token-file or the environment)")
	fs.StringVar(&o.tokenFile, "ingest-token-file", "", "file holding the bearer token (wins over --ingest-token)")
	fs.StringVar(&o.node, "node", "", "node name (else NODE_NAME, else the hostname)")
	fs.DurationVar(&o.interval, "interval", 15*time.Second, "sampling and push interval")
	fs.IntVar(&o.backlog, "backlog", push.DefaultBacklog, "scrapes kept in memory while the agent is unreachable; the oldest are dropped beyond it")
	fs.IntVar(&o.batch, "batch", push.DefaultMaxBatch, "scrapes per push when catching up")
	fs.StringVar(&o.netInclude, "net-include", "", "only these interfaces (regexp; empty: all)")
	fs.StringVar(&o.netExclude, "net-exclude", sampler.DefaultNetExclude, "skip these interfaces (regexp)")
	fs.StringVar(&o.diskExclude, "disk-exclude", sampler.DefaultDiskExclude, "skip these block devices (regexp)")
	fs.BoolVar(&o.diskPartitions, "disk-partitions", false, "also report partitions, not only whole disks")
	fs.StringVar(&o.fsTypesExclude, "fs-types-exclude", sampler.DefaultFSTypes, "skip filesystems of these types (comma-separated)")
	fs.StringVar(&o.mountsExclude, "mounts-exclude", sampler.DefaultMountsExclude, "skip these mount points (regexp)")
	fs.IntVar(&o.topProcs, "top-procs", 0, "also report the N processes using the most CPU (0: off)")
	o.log = cli.LogFlags(fs)
	fs.BoolVar(&o.once, "once", false, "print one scrape as JSON to stdout and exit")
	if err := cli.Parse(fs, args); err != nil {
		return nil, err
	}
	if o.node == "" {
		o.node = os.Getenv("NODE_NAME")
	}
	if o.node == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("node name: set --node or NODE_NAME (%w)", err)
		}
		o.node = strings.ToLower(h)
	}
	return o, nil
}

func (o *options) samplerConfig() (sampler.Config, error) {
	cfg := sampler.Config{
		ProcRoot: o.proc, SysRoot: o.sys, RootFS: o.rootfs,
		DiskPartitions: o.diskPartitions, TopProcs: o.topProcs,
		FSTypesExclude: sampler.ParseSet(o.fsTypesExclude),
	}
	var errs []error
	re := func(name, expr string) *regexp.Regexp {
		if expr == "" {
			return nil
		}
		r, err := regexp.Compile(expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", name, err))
		}
		return r
	}
	cfg.NetInclude = re("net-include", o.netInclude)
	cfg.NetExclude = re("net-exclude", o.netExclude)
	cfg.DiskExclude = re("disk-exclude", o.diskExclude)
	cfg.MountsExclude = re("mounts-exclude", o.mountsExclude)
	return cfg, errors.Join(errs...)
}

func token(o *options) (string, error) {
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if o.token != "" {
		return o.token, nil
	}
	return "", errors.New("no token: set --ingest-token-file or ATLHYPER_INGEST_TOKEN")
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	log, err := o.log.Logger()
	if err != nil {
		return err
	}
	slog.SetDefault(log)

	scfg, err := o.samplerConfig()
	if err != nil {
		return err
	}
	s, err := sampler.New(scfg)
	if err != nil {
		return err
	}
	if o.once {
		return once(s)
	}
	tok, err := token(o)
	if err != nil {
		return err
	}
	p, err := push.New(push.Config{
		URL: o.agentURL, Token: tok, Node: o.node, Interval: o.interval,
		Backlog: o.backlog, MaxBatch: o.batch, Logger: log.With("component", "push"),
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log.Info("collector starting", "node", o.node, "agent", o.agentURL, "interval", o.interval,
		"proc", o.proc, "sys", o.sys, "rootfs", o.rootfs, "backlog", o.backlog)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx) // after ctx ends: one bounded attempt to deliver the rest
	}()
	s.Run(ctx, o.interval, log.With("component", "sampler"), p.Add)
	<-done
	st := p.Stats()
	log.Info("collector stopped", "sent", st.Sent, "queued", st.Queued, "dropped", st.Dropped, "rejected", st.Rejected)
	return nil
}

// once prints the samples of one second to stdout, for checking mounts
// and filters by hand.
func once(s *sampler.Sampler) error {
	if _, err := s.Sample(time.Now()); err != nil {
		slog.Warn("sampling incomplete", "err", err)
	}
	time.Sleep(time.Second)
	samples, err := s.Sample(time.Now())
	if err != nil {
		slog.Warn("sampling incomplete", "err", err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, x := range samples {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return nil
}
