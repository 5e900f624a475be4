// Command collector samples one node's /proc and /sys and pushes the
// samples to its cluster's agent. It runs as a DaemonSet, non-root, with
// read-only hostPath mounts (docs/node-metrics.md).
//
// Every flag can also be set from the environment as COLLECTOR_<FLAG> in
// upper snake case (--agent-url → COLLECTOR_AGENT_URL); the node name comes
// from NODE_NAME (the downward API) and the token from COLLECTOR_TOKEN or
// the file named by --token-file. A flag on the command line wins.
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
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		slog.Error("collector failed", "err", err)
		os.Exit(1)
	}
}

type options struct {
	proc, sys, rootfs          string
	agentURL, tokenFile, node  string
	interval                   time.Duration
	backlog, batch, topProcs   int
	netInclude, netExclude     string
	diskExclude, mountsExclude string
	fsTypesExclude             string
	diskPartitions, once       bool
	logLevel                   string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	fs.StringVar(&o.proc, "proc", "/proc", "host /proc (e.g. /host/proc in a container)")
	fs.StringVar(&o.sys, "sys", "/sys", "host /sys (e.g. /host/sys)")
	fs.StringVar(&o.rootfs, "rootfs", "/", "host / for filesystem usage (e.g. /host/root)")
	fs.StringVar(&o.agentURL, "agent-url", "", "agent ingest URL, e.g. http://atlhyper-agent.atlhyper:8080/v1/node-metrics")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the shared bearer token (else COLLECTOR_TOKEN)")
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
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&o.once, "once", false, "print one scrape as JSON to stdout and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := envDefaults(fs); err != nil {
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

// envDefaults fills flags not given on the command line from
// COLLECTOR_<NAME>.
func envDefaults(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := "COLLECTOR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !set[f.Name] {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	return errors.Join(errs...)
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
	if t := os.Getenv("COLLECTOR_TOKEN"); t != "" {
		return t, nil
	}
	return "", errors.New("no token: set --token-file or COLLECTOR_TOKEN")
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
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
