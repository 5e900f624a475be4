// Command up runs the whole AtlHyper system on one machine (scripts/up):
// a store (a data folder by default), a simulated fleet driven through the
// real agent code, this machine as a node via the real collector, the API
// serving the web dashboard, and the scheduled functions on a local timer.
// Ctrl-C (or --for) stops everything; data stays in the data folder for
// the next run.
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/query/control"
)

type options struct {
	store, data, web        string
	port, clusters, nodes   int
	pods                    int
	kubeconfig, kubeContext string
	forDur                  time.Duration
	compactEvery, flushAge  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.store, "store", "", "store URL (default: file://<data>/lake); e.g. a MinIO bucket, see localstack/minio")
	flag.StringVar(&o.data, "data", "data", "data folder: the file store, caches, logs, secrets")
	flag.IntVar(&o.port, "port", 8080, "port of the dashboard and API on 127.0.0.1")
	flag.IntVar(&o.clusters, "clusters", 3, "simulated clusters (0: none)")
	flag.IntVar(&o.nodes, "nodes", 6, "nodes per simulated cluster")
	flag.IntVar(&o.pods, "pods", 120, "pods per simulated cluster")
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "also watch a real cluster with the agent, from this kubeconfig")
	flag.StringVar(&o.kubeContext, "context", "", "kubeconfig context (default: current)")
	flag.DurationVar(&o.forDur, "for", 0, "run for this long, then stop cleanly (0: until Ctrl-C)")
	flag.DurationVar(&o.compactEvery, "compact-every", 10*time.Minute, "how often the scheduled compaction runs")
	flag.DurationVar(&o.flushAge, "flush-age", time.Minute, "longest the agents buffer rows before writing an object")
	flag.StringVar(&o.web, "web", "web/dist", "built dashboard to serve")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "up:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Fprintf(os.Stderr, "up: "+format+"\n", args...) }

func run(o options) error {
	data, err := filepath.Abs(o.data)
	if err != nil {
		return err
	}
	if err := privateDirs(data, "bin", "logs", "cache"); err != nil {
		return err
	}
	if o.store == "" {
		o.store = "file://" + filepath.Join(data, "lake")
	}
	if err := checkPort(o.port); err != nil {
		return err
	}
	secrets, err := loadSecrets(filepath.Join(data, "secrets.env"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var bins map[string]string
	sup := &supervisor{logs: filepath.Join(data, "logs")}
	defer sup.stopAll()
	return runPhases(ctx, o.forDur, time.Now,
		func(ctx context.Context) (err error) {
			if bins, err = build(ctx, filepath.Join(data, "bin")); err != nil {
				return err
			}
			return buildWeb(ctx, o.web)
		},
		func(ctx context.Context) error { return start(ctx, o, data, secrets, bins, sup) },
		func(ctx context.Context) error {
			select {
			case <-ctx.Done():
			case name := <-sup.exited:
				return sup.fail(name, errors.New("exited unexpectedly"))
			}
			say("stopping…")
			sup.stopAll()
			say("stopped")
			return nil
		})
}

// runPhases builds, starts the stack, then waits until ctx ends or, with
// --for, until forDur after the stack serves: a first run's build (many
// minutes) does not eat into the time asked for.
func runPhases(ctx context.Context, forDur time.Duration, now func() time.Time, build, start, wait func(context.Context) error) error {
	if err := build(ctx); err != nil {
		return err
	}
	if err := start(ctx); err != nil {
		return err
	}
	if forDur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, now().Add(forDur))
		defer cancel()
		say("serving; stopping in %s (--for)", forDur)
	}
	return wait(ctx)
}

// start runs every process of the stack and waits until the API serves.
func start(ctx context.Context, o options, data string, secrets secrets, bins map[string]string, sup *supervisor) error {
	base := withoutSecrets(os.Environ())
	// Each child gets the secrets it needs and no other: the store's
	// credentials go to the processes that use the store, never to the
	// collector.
	storeEnv := append(slices.Clone(base), storeCredentials(os.Environ())...)
	ingest, err := freePort()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	node := strings.ToLower(strings.Split(host, ".")[0])
	// Agents trust commands signed with the API's key. The environment
	// variable reaches an agent whether or not it has the flag yet
	// (internal/cli maps it), and one that does not ignores it.
	pub, err := secrets.commandPublicKey()
	if err != nil {
		return err
	}
	agentKeys := "ATLHYPER_COMMAND_PUBLIC_KEYS=" + pub
	if o.clusters > 0 {
		simEnv := append(slices.Clone(storeEnv), "ATLHYPER_INGEST_SECRET="+secrets.ingestSecret, agentKeys)
		if err := sup.start("sim", bins["sim"], simEnv, "--store", o.store, "--clusters", fmt.Sprint(o.clusters),
			"--nodes", fmt.Sprint(o.nodes), "--pods", fmt.Sprint(o.pods), "--listen", ingest,
			"--host-node", node, "--flush-age", o.flushAge.String(), "--spool-dir", filepath.Join(data, "spool")); err != nil {
			return err
		}
		if err := waitHTTP(ctx, "http://"+ingest+"/readyz", 2*time.Minute); err != nil {
			return sup.fail("sim", err)
		}
		// The collector holds its own node's token, not the secret.
		collectorEnv := append(slices.Clone(base), "ATLHYPER_INGEST_TOKEN="+nodetoken.Make(secrets.ingestSecret, node))
		if err := sup.start("collector", bins["collector"], collectorEnv, "--agent-url", "http://"+ingest+"/v1/node-metrics", "--node", node); err != nil {
			return err
		}
	}
	if o.kubeconfig != "" {
		args := []string{"--store", o.store, "--kubeconfig", o.kubeconfig, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
			"--spool-dir", filepath.Join(data, "spool", "agent"), "--flush-age", o.flushAge.String()}
		if o.kubeContext != "" {
			args = append(args, "--context", o.kubeContext)
		}
		if err := sup.start("agent", bins["agent"], append(slices.Clone(storeEnv), agentKeys), args...); err != nil {
			return err
		}
	}
	if err := sup.start("scheduler", bins["scheduler"], storeEnv, "--store", o.store, "--compact-every", o.compactEvery.String(),
		"--inventory-every", "10m", "--work-dir", filepath.Join(data, "cache")); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", o.port)
	apiEnv := append(slices.Clone(storeEnv), "ATLHYPER_JWT_SECRET="+secrets.jwtSecret,
		"ATLHYPER_ADMIN_USER="+secrets.adminUser, "ATLHYPER_ADMIN_PASSWORD="+secrets.adminPassword,
		"ATLHYPER_COMMAND_SIGNING_KEY="+secrets.commandKey)
	if err := sup.start("api", bins["api"], apiEnv, "--store", o.store, "--listen", addr, "--web", o.web,
		"--cache-dir", filepath.Join(data, "cache", "query")); err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+addr+"/api/v1/health", time.Minute); err != nil {
		return sup.fail("api", err)
	}
	fmt.Printf(`
  AtlHyper is running.

    Dashboard   http://%s/
    Log in as   %s / %s      (saved in %s)
    Store       %s
    Logs        %s/*.log

  Ctrl-C stops everything; the data stays for the next run.

`, addr, secrets.adminUser, secrets.adminPassword, filepath.Join(data, "secrets.env"), o.store, sup.logs)
	return nil
}

// build compiles the Go binaries (go's cache makes later runs fast).
func build(ctx context.Context, dir string) (map[string]string, error) {
	pkgs := map[string]string{
		"api": "./functions/cmd/api", "scheduler": "./functions/cmd/scheduler", "sim": "./agent/cmd/sim",
		"agent": "./agent/cmd/agent", "collector": "./collector/cmd/collector",
	}
	began := time.Now()
	bins := map[string]string{}
	var targets []string
	for name, pkg := range pkgs {
		targets = append(targets, pkg)
		bins[name] = filepath.Join(dir, filepath.Base(pkg))
	}
	sort.Strings(targets)
	// What needs compiling (nothing on later runs: Go's cache), so the
	// first run can say how far it is.
	list := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", "-f", "{{if .Stale}}{{.ImportPath}}{{end}}"}, targets...)...)
	list.Stderr = os.Stderr
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	stale := len(strings.Fields(string(out)))
	if stale > 0 {
		say("building Go binaries (api, scheduler, sim, agent, collector): %d packages to compile; the first run compiles DuckDB bindings and client-go, a few minutes", stale)
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-v", "-o", dir + "/"}, targets...)...)
	cmd.Stdout = os.Stderr
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	done := make(chan struct{})
	go func() {
		defer close(done)
		reportProgress(pr, stale, time.Now, 10*time.Second, os.Stderr)
	}()
	err = cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		return nil, fmt.Errorf("go build: %w", err)
	}
	say("built in %s", time.Since(began).Round(time.Second))
	return bins, nil
}

// reportProgress reads `go build -v` output (one package per line as it
// is compiled; anything else is a compiler message, passed through) and
// writes a progress line at most every `every`: how many of total are
// done and what is compiling.
func reportProgress(r io.Reader, total int, now func() time.Time, every time.Duration, w io.Writer) {
	sc := bufio.NewScanner(r)
	done := 0
	last := now()
	for sc.Scan() {
		line := sc.Text()
		if !isPackagePath(line) {
			fmt.Fprintln(w, line)
			continue
		}
		done++
		if t := now(); t.Sub(last) >= every || done == total {
			last = t
			if total > 0 {
				fmt.Fprintf(w, "up: compiled %d/%d packages (%d%%), now %s\n", done, total, min(100, done*100/total), line)
			} else {
				fmt.Fprintf(w, "up: compiled %d packages, now %s\n", done, line)
			}
		}
	}
}

// isPackagePath tells `go build -v` package lines from compiler messages.
var packagePath = regexp.MustCompile(`^[A-Za-z0-9._~/-]+$`)

func isPackagePath(s string) bool { return packagePath.MatchString(s) }

// buildWeb installs the dashboard's npm packages and builds it when its
// sources are newer than the last build.
func buildWeb(ctx context.Context, dist string) error {
	webDir := filepath.Dir(dist)
	if newer(filepath.Join(webDir, "package-lock.json"), filepath.Join(webDir, "node_modules", ".package-lock.json")) {
		say("installing the dashboard's npm packages (first run: a minute or two)…")
		if err := npm(ctx, webDir, "ci", "--no-audit", "--no-fund"); err != nil {
			return err
		}
	}
	index := filepath.Join(dist, "index.html")
	stale := newer(filepath.Join(webDir, "package-lock.json"), index) || newer(filepath.Join(webDir, "index.html"), index)
	filepath.WalkDir(filepath.Join(webDir, "src"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && newer(p, index) {
			stale = true
			return filepath.SkipAll
		}
		return nil
	})
	if !stale {
		return nil
	}
	say("building the dashboard…")
	return npm(ctx, webDir, "run", "build")
}

func npm(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// newer reports whether a is newer than b (or b is missing).
func newer(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err != nil || ai.ModTime().After(bi.ModTime())
}

type secrets struct {
	adminUser, adminPassword, jwtSecret, ingestSecret string
	// commandKey signs remote operations (the API's); agents get its
	// public half (commandPublicKey).
	commandKey string
}

// secretNames are the variables the local stack keeps in secrets.env.
var secretNames = []string{"ATLHYPER_ADMIN_USER", "ATLHYPER_ADMIN_PASSWORD", "ATLHYPER_JWT_SECRET", "ATLHYPER_INGEST_SECRET",
	"ATLHYPER_COMMAND_SIGNING_KEY"}

// commandPublicKey is what agents trust (--command-public-keys).
func (s secrets) commandPublicKey() (string, error) {
	sg, err := control.ParseSigner(s.commandKey)
	if err != nil {
		return "", fmt.Errorf("ATLHYPER_COMMAND_SIGNING_KEY in secrets.env: %w", err)
	}
	return sg.PublicKey(), nil
}

// newCommandKey makes a command signing key, "local=<base64 seed>".
func newCommandKey() string {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	return "local=" + base64.StdEncoding.EncodeToString(priv.Seed())
}

// loadSecrets reads the local stack's generated secrets, creating what is
// missing (everything on the first run): nothing well-known, nothing typed
// by hand. The file is readable by its owner only.
func loadSecrets(path string) (secrets, error) {
	vals := map[string]string{}
	if f, err := os.Open(path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				vals[k] = v
			}
		}
		f.Close()
	}
	s := secrets{adminUser: vals["ATLHYPER_ADMIN_USER"], adminPassword: vals["ATLHYPER_ADMIN_PASSWORD"],
		jwtSecret: vals["ATLHYPER_JWT_SECRET"], ingestSecret: vals["ATLHYPER_INGEST_SECRET"], commandKey: vals["ATLHYPER_COMMAND_SIGNING_KEY"]}
	if _, err := s.commandPublicKey(); err != nil {
		s.commandKey = "" // absent (an older run) or damaged: make a new one
	}
	complete := s.adminUser != "" && s.adminPassword != "" && s.jwtSecret != "" && s.ingestSecret != "" && s.commandKey != ""
	if s.adminUser == "" || s.adminPassword == "" {
		s.adminUser, s.adminPassword = "admin", random(12)
	}
	if s.jwtSecret == "" {
		s.jwtSecret = random(32)
	}
	if s.ingestSecret == "" {
		s.ingestSecret = random(24)
	}
	if s.commandKey == "" {
		s.commandKey = newCommandKey()
	}
	if !complete {
		content := fmt.Sprintf("%s=%s\n%s=%s\n%s=%s\n%s=%s\n%s=%s\n", secretNames[0], s.adminUser, secretNames[1], s.adminPassword,
			secretNames[2], s.jwtSecret, secretNames[3], s.ingestSecret, secretNames[4], s.commandKey)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return s, err
		}
	}
	return s, os.Chmod(path, 0o600) // a file from an older run may be 0644
}

// privateDirs makes data and its subdirectories readable by their owner
// only (logs hold user names, addresses and session ids; the store holds
// everything), tightening folders an older run made 0755.
func privateDirs(data string, sub ...string) error {
	for _, d := range append([]string{""}, sub...) {
		p := filepath.Join(data, d)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// secretVars are variables no child inherits from this process: secrets
// are handed to each child explicitly.
var secretVars = regexp.MustCompile(`^(ATLHYPER_(JWT_SECRET|JWT_SECRET_PREVIOUS|ADMIN_USER|ADMIN_PASSWORD|INGEST_SECRET|INGEST_SECRET_FILE|COMMAND_SIGNING_KEY|COMMAND_PUBLIC_KEYS|` +
	`INGEST_TOKEN|INGEST_TOKEN_FILE|SIM_INGEST_SECRET|SIM_INGEST_TOKEN|COLLECTOR_TOKEN)|COLLECTOR_TOKEN|COLLECTOR_TOKEN_FILE|` +
	`COLLECTOR_TOKEN_SECRET_FILE|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|MINIO_ROOT_USER|MINIO_ROOT_PASSWORD)=`)

// storeVars are the store's credentials (from localstack/minio env).
var storeVars = regexp.MustCompile(`^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)=`)

func withoutSecrets(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return secretVars.MatchString(kv) })
}

func storeCredentials(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return !storeVars.MatchString(kv) })
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func checkPort(port int) error {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("port %d is taken (another scripts/up?): use --port", port)
	}
	return l.Close()
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", url, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// supervisor starts children in their own process groups, logs each to a
// file, and stops them all: SIGTERM, then SIGKILL after a grace period.
// Children also get SIGTERM if this process dies (Pdeathsig).
type supervisor struct {
	logs   string
	mu     sync.Mutex
	procs  []*child
	exited chan string
}

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *supervisor) start(name, bin string, env []string, args ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited == nil {
		s.exited = make(chan string, 16)
	}
	logf, err := os.OpenFile(filepath.Join(s.logs, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := logf.Chmod(0o600); err != nil { // a log from an older run may be 0644
		logf.Close()
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logf.Close()
		close(c.done)
		select {
		case s.exited <- name:
		default:
		}
	}()
	s.procs = append(s.procs, c)
	say("started %s (pid %d, log %s)", name, cmd.Process.Pid, filepath.Join(s.logs, name+".log"))
	return nil
}

func (s *supervisor) stopAll() {
	s.mu.Lock()
	procs := s.procs
	s.procs = nil
	s.mu.Unlock()
	// Reverse order: the API first, the writers last so they flush.
	for i := len(procs) - 1; i >= 0; i-- {
		syscall.Kill(-procs[i].cmd.Process.Pid, syscall.SIGTERM)
	}
	for _, c := range procs {
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			say("%s did not stop in 15 s; killing it", c.name)
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
}

func (s *supervisor) fail(name string, err error) error {
	tail, _ := os.ReadFile(filepath.Join(s.logs, name+".log"))
	if len(tail) > 4000 {
		tail = tail[len(tail)-4000:]
	}
	return fmt.Errorf("%s: %w\n--- last lines of %s.log ---\n%s", name, err, name, tail)
}
