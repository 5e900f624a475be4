// Command agent watches one Kubernetes cluster and writes its state
// history, anomalies, events and node metrics into the AtlHyper lake
// (docs/agent.md).
//
// Every flag can also be set from the environment as ATLHYPER_<FLAG> in
// upper snake case (--spool-dir → ATLHYPER_SPOOL_DIR; internal/cli); a
// flag on the command line wins. KUBECONFIG is honoured as usual; the instance name
// defaults to POD_NAME (the downward API), else the host name.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/ingest"
	"github.com/atlhyper/atlhyper/agent/internal/memtrim"
	"github.com/atlhyper/atlhyper/agent/kubeapi"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/agent/redact"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/internal/cli"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
)

func main() {
	// No allocation sampling unless --pprof asks for profiles: each sample
	// records a stack, which keeps profile buckets in memory and walks the
	// binary's function tables (pages of it mapped for good) — a few MiB
	// of RSS for profiles nobody reads. Set first: it covers what follows.
	runtime.MemProfileRate = 0
	// The heap is mostly the informer cache, which changes slowly: collect
	// at 1.5× it rather than 2× (as Prometheus lowers its default GOGC).
	// GOGC and GOMEMLIMIT in the environment still win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	if err := run(os.Args[1:]); err != nil {
		slog.Error("agent failed", "error", err)
		os.Exit(1)
	}
}

type options struct {
	store, cluster, kubeconfig, kubeContext, namespace, instance string
	spoolDir, spoolMax, listen, metricsListen, kinds             string
	ingestSecret, ingestSecretFile                               string
	commandKeys, allowActions, allowNamespaces                   string
	operations                                                   bool
	flushAge, checkpoint, stateInterval, heartbeat               time.Duration
	leaseDur                                                     time.Duration
	leaderElect, skipAccessCheck, pprof, redactOn                bool
	kubeQPS                                                      float64
	kubeBurst                                                    int
	logTailLines                                                 int64
	logTailBytes                                                 string
	spoolMaxBytes, logTailMaxBytes                               int64 // parsed
	opsKeys                                                      map[string]ed25519.PublicKey
	allow                                                        ops.Allow
	log                                                          *cli.Log
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := newFlagSet(o)
	if err := cli.Parse(fs, args); err != nil {
		return nil, err
	}
	if o.store == "" {
		return nil, errors.New("--store (ATLHYPER_STORE) is required")
	}
	if o.listen == o.metricsListen && !strings.HasSuffix(o.listen, ":0") {
		return nil, errors.New("--listen and --metrics-listen must differ: ingest and the agent's own endpoints are separate")
	}
	if o.logTailLines < 0 {
		return nil, errors.New("--log-tail-lines must be 0 (off) or more")
	}
	var err error
	if o.opsKeys, err = control.ParseKeys(o.commandKeys); err != nil {
		return nil, fmt.Errorf("--command-public-keys: %w", err)
	}
	if o.allow, err = ops.ParseAllow(o.allowActions, o.allowNamespaces); err != nil {
		return nil, err
	}
	if o.spoolMaxBytes, err = size("--spool-max-bytes", o.spoolMax); err != nil {
		return nil, err
	}
	if o.logTailMaxBytes, err = size("--log-tail-max-bytes", o.logTailBytes); err != nil {
		return nil, err
	}
	return o, nil
}

// size parses a positive byte quantity such as 256Mi.
func size(flagName, v string) (int64, error) {
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Value() <= 0 {
		return 0, fmt.Errorf("%s: want a positive size such as 16Ki or 256Mi, got %q", flagName, v)
	}
	return q.Value(), nil
}

// newFlagSet declares the agent's flags (docs/agent.md, Flags) into o.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.StringVar(&o.store, "store", "", "store URL: file:///path or s3://bucket/prefix?endpoint=host:port (required)")
	fs.StringVar(&o.cluster, "cluster", "", "cluster id in the lake (default: the kube-system namespace UID)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: the current context)")
	fs.StringVar(&o.namespace, "namespace", "", "watch namespaced kinds in this namespace only (default: all)")
	fs.StringVar(&o.instance, "instance", agent.DefaultInstance(), "this agent's name in the leader lease and heartbeats (unique per replica)")
	fs.StringVar(&o.spoolDir, "spool-dir", "/var/spool/atlhyper", "directory for objects the store could not take (an emptyDir or volume)")
	fs.StringVar(&o.spoolMax, "spool-max-bytes", "256Mi", "spool capacity (bytes; Ki, Mi, Gi suffixes)")
	fs.StringVar(&o.listen, "listen", ":8080", "address of the collectors' POST /v1/node-metrics only (opened only with an ingest secret)")
	fs.StringVar(&o.metricsListen, "metrics-listen", ":9090", "address for /healthz, /readyz, /metrics (and /debug/pprof/ with --pprof): never ingest")
	fs.StringVar(&o.kinds, "kinds", "", "kinds to watch: names (Pod,Node), or changes to the default set (-Secret, +Kind); default: all but opt-in (docs/agent.md)")
	o.log = cli.LogFlags(fs)
	fs.StringVar(&o.ingestSecret, "ingest-secret", "", "secret the nodes' tokens are made with (prefer --ingest-secret-file); none disables /v1/node-metrics")
	fs.StringVar(&o.ingestSecretFile, "ingest-secret-file", "", "file holding the ingest secret (wins over --ingest-secret)")
	fs.DurationVar(&o.flushAge, "flush-age", 20*time.Minute, "flush every table buffer at each multiple of this in UTC (a divisor of an hour)")
	fs.DurationVar(&o.checkpoint, "checkpoint-interval", time.Hour, "interval of full checkpoints (aligned to the clock)")
	fs.DurationVar(&o.stateInterval, "state-interval", 10*time.Second, "anomaly timer tick; current.json is rewritten this soon after an anomaly opens or resolves or a node changes")
	fs.DurationVar(&o.heartbeat, "heartbeat-interval", 3*time.Minute, "longest current.json (the heartbeat and lease renewal) goes unwritten")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "hold a leader lease in the store so only one replica writes")
	fs.DurationVar(&o.leaseDur, "lease-duration", 0, "a standby takes over after current.json stood unchanged this long (default: 3 heartbeat intervals)")
	fs.BoolVar(&o.pprof, "pprof", false, "serve Go profiles at /debug/pprof/ on the --metrics-listen address")
	fs.BoolVar(&o.skipAccessCheck, "skip-access-check", false, "do not ask the API server (SelfSubjectAccessReview) which kinds may be watched")
	fs.BoolVar(&o.redactOn, "redact", true, "apply the redaction policy (agent/redact: manifest annotations, args, probe headers, secret-shaped values in events and log tails); false turns it off for this cluster")
	fs.Int64Var(&o.logTailLines, "log-tail-lines", 50, "log lines captured with a crashing container's anomaly; 0 disables log tails")
	fs.StringVar(&o.logTailBytes, "log-tail-max-bytes", "16Ki", "most bytes of a captured log tail (bytes; Ki, Mi suffixes)")
	fs.BoolVar(&o.operations, "operations", true, "run the remote operations the API queues for this cluster (needs the write RBAC of docs/agent.md); false: read-only")
	fs.StringVar(&o.commandKeys, "command-public-keys", "", "public keys commands must be signed with: <key id>=<base64 Ed25519 key>[,…]; none: every command is refused")
	fs.StringVar(&o.allowActions, "allow-actions", "", "actions this agent runs, comma-separated (e.g. pod.logs,object.yaml); default: every action")
	fs.StringVar(&o.allowNamespaces, "allow-namespaces", "", "namespaces whose objects commands may act on, comma-separated; default: all")
	fs.Float64Var(&o.kubeQPS, "kube-qps", 20, "client-side QPS limit towards the API server")
	fs.IntVar(&o.kubeBurst, "kube-burst", 40, "client-side burst towards the API server")
	return fs
}

func restConfig(o *options) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if o.kubeconfig == "" && o.kubeContext == "" {
		cfg, err = rest.InClusterConfig()
	}
	if cfg == nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if o.kubeconfig != "" {
			rules.ExplicitPath = o.kubeconfig
		}
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
			&clientcmd.ConfigOverrides{CurrentContext: o.kubeContext}).ClientConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes config: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(o.kubeQPS), o.kubeBurst
	cfg.UserAgent = "atlhyper-agent/" + agent.Version
	return cfg, nil
}

// kubeRequests counts the agent's requests to the API server by verb, so
// an operator can see it never polls (LISTs happen at start, on watch
// expiry and for the daily details; WATCHes are long-lived).
var kubeRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atlhyper_agent_kube_requests_total",
	Help: "Requests the agent sent to the Kubernetes API server, by verb (list, watch, get, create; patch and delete from remote operations)."}, []string{"verb"})

type countingTransport struct{ rt http.RoundTripper }

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	verb := strings.ToLower(req.Method)
	switch {
	case q.Get("watch") == "true" || q.Get("watch") == "1":
		verb = "watch"
	case req.Method == http.MethodGet && q.Has("limit"):
		verb = "list"
	case req.Method == http.MethodPost:
		verb = "create"
	}
	kubeRequests.WithLabelValues(verb).Inc()
	return c.rt.RoundTrip(req)
}

type server struct {
	*http.Server
	ln net.Listener
}

// listeners opens the agent's own endpoints on --metrics-listen and, with
// an ingest handler, the collectors' ingest (and nothing else) on
// --listen. addrs are the bound addresses ("" when not listening).
func listeners(o *options, own http.Handler, ingestH http.Handler) ([]*server, [2]string, error) {
	var out []*server
	var addrs [2]string
	ln, err := net.Listen("tcp", o.metricsListen)
	if err != nil {
		return nil, addrs, fmt.Errorf("--metrics-listen: %w", err)
	}
	out = append(out, &server{Server: &http.Server{Handler: own, ReadHeaderTimeout: 10 * time.Second}, ln: ln})
	addrs[0] = ln.Addr().String()
	if ingestH != nil {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			out[0].ln.Close()
			return nil, addrs, fmt.Errorf("--listen: %w", err)
		}
		r := chi.NewRouter()
		r.Mount("/v1/node-metrics", ingestH)
		out = append(out, &server{Server: &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}, ln: ln})
		addrs[1] = ln.Addr().String()
	}
	return out, addrs, nil
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
	klog.SetSlogLogger(log.With("component", "client-go"))
	redact.SetPolicy(redact.Policy{Disabled: !o.redactOn})
	if !o.redactOn {
		log.Warn("redaction is off (--redact=false): annotations, args, probe headers, events and log tails are stored as the API server has them")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	rc, err := restConfig(o)
	if err != nil {
		return err
	}
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} })
	// One connection pool for the informers and the few other requests.
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return fmt.Errorf("kubernetes http client: %w", err)
	}
	src, err := watch.NewSourceForClient(rc, hc)
	if err != nil {
		return err
	}
	kube, err := kubeapi.New(rc, hc)
	if err != nil {
		return err
	}
	if o.cluster == "" {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		uid, err := kube.NamespaceUID(cctx, "kube-system")
		cancel()
		if err != nil {
			return fmt.Errorf("cluster id from the kube-system namespace UID (or set --cluster): %w", err)
		}
		o.cluster = string(uid)
	}
	bucket, err := store.Open(ctx, o.store)
	if err != nil {
		return err
	}
	var kinds []string
	if o.kinds != "" {
		for _, k := range strings.Split(o.kinds, ",") {
			kinds = append(kinds, strings.TrimSpace(k))
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), kubeRequests)
	var a *agent.Agent
	var ingestH *ingest.Handler
	var collectorsFn func(time.Time) (int, []string)
	secret := o.ingestSecret
	if o.ingestSecretFile != "" {
		b, err := os.ReadFile(o.ingestSecretFile)
		if err != nil {
			return fmt.Errorf("--ingest-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret != "" {
		ingestH, err = ingest.New(ingest.Config{Secret: secret, Logger: log.With("component", "ingest"), Registerer: reg,
			Sink: func(ctx context.Context, rows []lake.NodeMetric) error { return a.NodeMetrics(ctx, rows) }})
		if err != nil {
			return err
		}
		collectorsFn = func(now time.Time) (int, []string) { return len(ingestH.Nodes(now)), ingestH.Stale(now) }
	} else {
		log.Info("no ingest secret: node metrics endpoint disabled")
	}
	var operations *agent.Operations
	if o.operations {
		api, err := ops.NewREST(rc)
		if err != nil {
			return err
		}
		operations = &agent.Operations{API: api, Keys: o.opsKeys, Allow: o.allow}
		if len(o.opsKeys) == 0 {
			log.Warn("remote operations on, but no --command-public-keys: every command will be refused")
		}
	}
	a, err = agent.New(agent.Config{
		Cluster: o.cluster, Instance: o.instance, Kube: kube, Source: src, Namespace: o.namespace, Kinds: kinds,
		SkipAccessCheck: o.skipAccessCheck, Store: bucket, SpoolDir: o.spoolDir, SpoolMaxBytes: o.spoolMaxBytes,
		FlushAge: o.flushAge, CheckpointInterval: o.checkpoint, StateInterval: o.stateInterval,
		HeartbeatInterval: o.heartbeat, Trim: memtrim.Trim, LeaderElection: o.leaderElect, LeaseDuration: o.leaseDur,
		LogTail:    agent.LogTailConfig{Lines: o.logTailLines, MaxBytes: o.logTailMaxBytes, Disabled: o.logTailLines == 0},
		Collectors: collectorsFn, Logger: log, Registerer: reg, Operations: operations,
	})
	if err != nil {
		return err
	}

	mounts := map[string]http.Handler{}
	if o.pprof {
		runtime.MemProfileRate = 512 << 10 // Go's default
		mounts["/debug/pprof"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
			case "cmdline":
				pprof.Cmdline(w, r)
			case "profile":
				pprof.Profile(w, r)
			case "symbol":
				pprof.Symbol(w, r)
			case "trace":
				pprof.Trace(w, r)
			default:
				pprof.Index(w, r)
			}
		})
	}
	// Two listeners: collectors reach ingest, and nothing else; probes and
	// Prometheus reach the agent's own endpoints, never ingest (a
	// NetworkPolicy can then open each port to its own clients only).
	var ingestHTTP http.Handler
	if ingestH != nil {
		ingestHTTP = ingestH
	}
	servers, addrs, err := listeners(o, a.Handler(reg, mounts), ingestHTTP)
	if err != nil {
		return err
	}
	for _, srv := range servers {
		go func() {
			if err := srv.Serve(srv.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server failed", "error", err)
				stop()
			}
		}()
	}
	log.Info("agent starting", "version", agent.Version, "cluster", o.cluster, "instance", o.instance,
		"store", bucket.String(), "metrics_listen", addrs[0], "ingest_listen", addrs[1], "leader_elect", o.leaderElect,
		"operations", o.operations)
	err = a.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(sctx)
	}
	if errors.Is(err, lease.ErrLost) {
		return fmt.Errorf("%w: exiting so the restart stands by", err)
	}
	if err == nil {
		log.Info("agent stopped")
	}
	return err
}
