// Command collector samples one node's /proc and /sys and pushes the
// samples to its cluster's agent. It runs as a DaemonSet, non-root, with
// read-only hostPath mounts (docs/node-metrics.md).
//
// Every flag can also be set from the environment as ATLHYPER_<FLAG> in
// upper snake case (--agent-url → ATLHYPER_AGENT_URL; internal/cli); a
// flag on the command line wins. The node name defaults to NODE_NAME (the
// downward API); the node's token comes from --ingest-token-file, else
// --ingest-token (ATLHYPER_INGEST_TOKEN), else it is derived from the
// agent's ingest secret in --ingest-secret-file. "collector token --node N"
// prints node N's token (the secret on stdin), to provision per-node token
// files.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/collector/push"
	"github.com/atlhyper/atlhyper/collector/sampler"
	"github.com/atlhyper/atlhyper/internal/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		if err := printToken(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			slog.Error("collector token failed", "err", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		slog.Error("collector failed", "err", err)
		os.Exit(1)
	}
}

type options struct {
	proc, sys, rootfs          string
	agentURL, node             string
	token, tokenFile           string
	secretFile                 string
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
	fs.StringVar(&o.token, "ingest-token", "", "this node's token, <node>.<mac> (prefer --ingest-token-file or the environment)")
	fs.StringVar(&o.tokenFile, "ingest-token-file", "", "file holding this node's token (wins over --ingest-token)")
	fs.StringVar(&o.secretFile, "ingest-secret-file", "", "file holding the agent's ingest secret, to derive this node's token from (weaker: see docs/node-metrics.md)")
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

// token finds this node's bearer token and checks that it is this node's.
func token(o *options) (string, error) {
	var tok string
	switch {
	case o.tokenFile != "":
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	case o.token != "":
		tok = o.token
	case o.secretFile != "":
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return "", fmt.Errorf("read the ingest secret: %w", err)
		}
		secret := strings.TrimSpace(string(b))
		if err := nodetoken.CheckSecret(secret); err != nil {
			return "", err
		}
		return nodetoken.Make(secret, o.node), nil
	default:
		return "", errors.New("no token: set --ingest-token-file, ATLHYPER_INGEST_TOKEN or --ingest-secret-file")
	}
	node, err := nodetoken.Node(tok)
	if err != nil {
		return "", fmt.Errorf("the token: %w", err)
	}
	if node != o.node {
		return "", fmt.Errorf("the token is node %q's, this is node %q: the agent would refuse every push", node, o.node)
	}
	return tok, nil
}

// printToken is "collector token --node N": node N's token, made with the
// ingest secret read from stdin (for provisioning per-node token files).
func printToken(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("collector token", flag.ContinueOnError)
	node := fs.String("node", "", "the node's name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := payload.ValidNode(*node); err != nil {
		return fmt.Errorf("--node: %w", err)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	secret := strings.TrimSpace(line)
	if err := nodetoken.CheckSecret(secret); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, nodetoken.Make(secret, *node))
	return err
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
