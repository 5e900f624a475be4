// Command bench measures the agent (scripts/bench agent → go run ./agent/internal/bench):
// the real agent binary against a real kube-apiserver + etcd (envtest)
// holding ≥ 5,000 pods on ≥ 100 nodes created through the API, writing to a
// local store, under a realistic low churn, at its default flags. It prints,
// on stdout:
//
//	agent.rss_mib                median RSS over the window (what a container's working set counts:
//	                             anonymous memory and the binary's mapped pages)
//	agent.rss_anon_mib           median anonymous RSS (heap, stacks)
//	agent.rss_file_mib           median file-backed RSS (the binary's pages)
//	agent.rss_peak_mib           peak RSS from start to the end of the window (VmHWM: the initial
//	                             sync and the startup checkpoint with every object's detail, which
//	                             is also the daily re-emission)
//	agent.cpu_millicores         CPU over the window
//	agent.apiserver_lists_per_min LIST requests the API server served during the window
//	                              (apiserver_request_total{verb="LIST"}; the churn client sends none)
//	agent.kb_shipped_per_min     bytes PUT to the store, steady state
//	agent.puts_per_hour          PUTs, steady state
//
// and then, with collectors on every node pushing node metrics through the
// agent's ingest endpoint (internal/nodesynth: a busy 8-core node's series
// every 15 s) while a dashboard watches the cluster (a tail object every
// few seconds), over a second window:
//
//	agent.node_metrics.rss_mib        median RSS
//	agent.node_metrics.rss_peak_mib   peak RSS in that window
//	agent.node_metrics.rows_per_min   node_metrics rows the agent took
//	agent.node_metrics.cpu_millicores CPU over that window
//
// Steady state: each window is one flush cycle (the default --flush-age,
// 20 min, aligned to the clock) of the churn's rows and the agent's JSON
// state objects; the hourly checkpoint and the daily re-emission of
// details happen outside it and are added amortized, with their sizes
// measured from the startup checkpoint the agent wrote. Details, and where
// the memory goes (the binary's segments, the Go heap), go to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/agent/sim"
	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/push"
	"github.com/atlhyper/atlhyper/internal/nodesynth"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench agent:", err)
		os.Exit(1)
	}
}

var logf = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// ingestSecret makes the simulated collectors' node tokens.
const ingestSecret = "bench-ingest-secret-0123456789"

func run() error {
	pods := flag.Int("pods", 5000, "pods to create")
	nodes := flag.Int("nodes", 100, "nodes to create")
	window := flag.Duration("window", 20*time.Minute+5*time.Second, "measurement window (one flush cycle at the default --flush-age)")
	nmWindow := flag.Duration("node-metrics-window", 20*time.Minute+5*time.Second, "window with node metrics pushed for every node (0: skip)")
	nmCores := flag.Int("node-metrics-cores", 8, "CPU cores of each synthesized node (its series count)")
	warmup := flag.Duration("warmup", 30*time.Second, "churn before the window")
	keep := flag.Bool("keep", false, "keep the work directory")
	agentArgs := flag.String("agent-args", "", "extra agent flags (space-separated), e.g. --pprof or --flush-age 5m")
	flag.Parse()
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

	work, err := os.MkdirTemp("", "atlhyper-bench-agent-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(work)
	} else {
		logf("work directory %s", work)
	}
	bin := filepath.Join(work, "agent")
	logf("building the agent binary")
	build := exec.Command("go", "build", "-o", bin, "./agent/cmd/agent")
	build.Dir = moduleRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	if err := evict(bin); err != nil {
		return err
	}

	logf("starting kube-apiserver + etcd")
	env, err := kubetest.New(kubetest.Options{Args: map[string]string{"service-cluster-ip-range": "10.0.0.0/16", "max-requests-inflight": "2000",
		"max-mutating-requests-inflight": "1000"}})
	if err != nil {
		return err
	}
	defer env.Stop()
	ctx := context.Background()
	loadCfg := *env.Config
	loadCfg.QPS, loadCfg.Burst = 2000, 4000
	kube, err := kubernetes.NewForConfig(&loadCfg)
	if err != nil {
		return err
	}
	began := time.Now()
	if err := populate(ctx, kube, *nodes, *pods); err != nil {
		return err
	}
	logf("created %d nodes and %d pods through the API in %v", *nodes, *pods, time.Since(began).Round(time.Second))

	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := writeKubeconfig(env, kubeconfig); err != nil {
		return err
	}
	lakeDir := filepath.Join(work, "lake")
	var addrs [2]string
	for i := range addrs {
		port, err := freePort()
		if err != nil {
			return err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	addr, ingestAddr := addrs[0], addrs[1]
	logFile, err := os.Create(filepath.Join(work, "agent.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--store", "file://"+lakeDir, "--cluster", "bench",
		"--spool-dir", filepath.Join(work, "spool"), "--metrics-listen", addr, "--listen", ingestAddr,
		// The hourly checkpoint is measured at start and added amortized:
		// keep it out of the window.
		"--checkpoint-interval", "24h")
	if *agentArgs != "" {
		cmd.Args = append(cmd.Args, strings.Fields(*agentArgs)...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "ATLHYPER_INGEST_SECRET="+ingestSecret)
	agentStart := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	listsBefore, err := apiserverLists(ctx, kube)
	if err != nil {
		return err
	}
	logf("agent listening on %s, ingest on %s (pid %d)", addr, ingestAddr, pid)
	if err := waitReady(addr, exited, 3*time.Minute); err != nil {
		return err
	}
	syncTook := time.Since(agentStart)
	logf("agent ready (informers synced, startup checkpoint written) in %v", syncTook.Round(100*time.Millisecond))
	// The churn starts now, the window after the warm-up. The churn
	// client lists its pods first: it sends no LIST later.
	shop, err := kube.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	churnCtx, stopChurn := context.WithCancel(ctx)
	defer stopChurn()
	churnDone := make(chan churnStats, 1)
	go func() { churnDone <- churn(churnCtx, kube, *nodes, shop.Items) }()
	if err := sleepWatching(*warmup, exited); err != nil {
		return err
	}
	listsAfterSync, _ := apiserverLists(ctx, kube)
	cp, err := checkpointSizes(lakeDir)
	if err != nil {
		return err
	}

	m0, err := scrape(addr)
	if err != nil {
		return err
	}
	l0, _ := apiserverLists(ctx, kube)
	am0, _ := apiserverMetrics(ctx, kube)
	w, err := measure(pid, *window, exited)
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	l1, _ := apiserverLists(ctx, kube)
	am1, _ := apiserverMetrics(ctx, kube)
	m1, err := scrape(addr)
	if err != nil {
		return err
	}
	peak := procKiB(pid, "VmHWM:") / 1024
	where := whereMemoryGoes(pid, m1)

	minutes := w.elapsed.Minutes()
	putBytes := m1.sum("atlhyper_agent_store_put_bytes_total", "") - m0.sum("atlhyper_agent_store_put_bytes_total", "")
	dataBytes := m1.sum("atlhyper_agent_store_put_bytes_total", `class="data"`) - m0.sum("atlhyper_agent_store_put_bytes_total", `class="data"`)
	puts := m1.sum("atlhyper_agent_store_requests_total", `op="put"`) - m0.sum("atlhyper_agent_store_requests_total", `op="put"`)
	dataPuts := m1.sum("atlhyper_agent_store_requests_total", `op="put",class="data"`) - m0.sum("atlhyper_agent_store_requests_total", `op="put",class="data"`)
	agentLists := m1.sum("atlhyper_agent_kube_requests_total", `verb="list"`) - m0.sum("atlhyper_agent_kube_requests_total", `verb="list"`)
	unchanged := m1.sum("atlhyper_agent_unchanged_updates_total", "") - m0.sum("atlhyper_agent_unchanged_updates_total", "")
	changes := m1.sum("atlhyper_agent_changes_total", "") - m0.sum("atlhyper_agent_changes_total", "")

	kbPerMin := (putBytes/minutes + float64(cp.stateBytes)/60 + float64(cp.detailBytes)/1440) / 1024
	putsPerHour := puts*60/minutes + float64(cp.stateObjects) + float64(cp.detailObjects)/24
	listsPerMin := (l1 - l0) / minutes

	logf("agent: %v change rows, %v unchanged updates skipped (node heartbeats, no-op writes)", changes, unchanged)
	logf("window PUTs: %v (%v data objects, %v state JSON), %.1f KB (%.1f KB data)", puts, dataPuts, puts-dataPuts, putBytes/1024, dataBytes/1024)
	logf("startup checkpoint: state tables %d objects %.1f KB (hourly), details %d objects %.1f KB (daily)",
		cp.stateObjects, float64(cp.stateBytes)/1024, cp.detailObjects, float64(cp.detailBytes)/1024)
	logf("API server LISTs: %.0f while the agent synced, %.0f during the window; the agent counted %.0f of its own in the window",
		listsAfterSync-listsBefore, l1-l0, agentLists)
	if l1 > l0 {
		logf("LISTs in the window:\n  %s", listDeltas(am0, am1))
	}
	logf("agent RSS: median %.1f MiB (%.1f MiB anonymous: heap and stacks; %.1f MiB the binary's mapped pages), peak %.1f MiB (start-up included); sync took %v",
		w.rss, w.anon, w.file, peak, syncTook.Round(100*time.Millisecond))
	logf("where the memory goes at the end of the window:\n  %s", strings.Join(where, "\n  "))

	fmt.Printf("agent.rss_mib %.1f MiB\n", w.rss)
	fmt.Printf("agent.rss_anon_mib %.1f MiB\n", w.anon)
	fmt.Printf("agent.rss_file_mib %.1f MiB\n", w.file)
	fmt.Printf("agent.rss_peak_mib %.1f MiB\n", peak)
	fmt.Printf("agent.cpu_millicores %.1f millicores\n", w.millicores)
	fmt.Printf("agent.apiserver_lists_per_min %.2f lists/min\n", listsPerMin)
	fmt.Printf("agent.kb_shipped_per_min %.1f KB/min\n", kbPerMin)
	fmt.Printf("agent.puts_per_hour %.0f puts/h\n", putsPerHour)

	if *nmWindow > 0 {
		if err := nodeMetricsPhase(ctx, pid, addr, ingestAddr, lakeDir, *nodes, *nmCores, *warmup, *nmWindow, exited); err != nil {
			return fmt.Errorf("%w (log: %s)", err, logFile.Name())
		}
	}

	stopChurn()
	cs := <-churnDone
	logf("churn over both windows: %+v", cs)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return errors.New("agent did not stop within 2 min of SIGTERM")
	}
	return nil
}

// nodeMetricsPhase has a collector on every node push a busy node's series
// every 15 s through the agent's ingest endpoint while a dashboard
// watches the cluster, and measures the agent over window.
func nodeMetricsPhase(ctx context.Context, pid int, addr, ingestAddr, lakeDir string, nodes, cores int,
	warmup, window time.Duration, exited <-chan error) error {
	const step = 15 * time.Second
	bucket, err := store.NewFile(lakeDir)
	if err != nil {
		return err
	}
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Stop the pushers, the scraper and the watcher before waiting for
	// them (deferred separately, the wait ran first and never returned).
	defer func() { stop(); wg.Wait() }()
	// A dashboard watches the cluster: the agent writes its tail (every
	// row it holds, encoded) every few seconds.
	wg.Go(func() {
		for {
			if _, err := control.Watch(pctx, bucket, "bench", time.Now(), control.MaxWatch); err != nil && pctx.Err() == nil {
				logf("watch: %v", err)
			}
			select {
			case <-pctx.Done():
				return
			case <-time.After(30 * time.Second):
			}
		}
	})
	r := rand.New(rand.NewPCG(7, 0))
	steps := int(24 * time.Hour / step)
	client := &http.Client{Timeout: 30 * time.Second}
	pushers := make([]*push.Pusher, nodes)
	synth := make([]*nodesynth.Node, nodes)
	for i := range nodes {
		name := nodesynth.NodeName(i)
		synth[i] = nodesynth.NewNode(r, name, cores, step)
		p, err := push.New(push.Config{URL: "http://" + ingestAddr + "/v1/node-metrics", Token: nodetoken.Make(ingestSecret, name),
			Node: name, Interval: step, Client: client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return err
		}
		pushers[i] = p
		wg.Go(func() { p.Run(pctx) })
	}
	// Collectors scrape on the interval grid, spread over it by node.
	wg.Go(func() {
		next := time.Now().Truncate(step).Add(step)
		for {
			select {
			case <-pctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
			i := int(next.Sub(lake0(next)) / step)
			for n, p := range pushers {
				p.Add(next, synth[n].Step(i%steps, steps))
			}
			next = next.Add(step)
		}
	})
	logf("node metrics: %d nodes × %d cores pushing every %v; the cluster is watched", nodes, cores, step)
	if err := sleepWatching(warmup, exited); err != nil {
		return err
	}
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) // resets VmHWM
	m0, err := scrape(addr)
	if err != nil {
		return err
	}
	w, err := measure(pid, window, exited)
	if err != nil {
		return err
	}
	m1, err := scrape(addr)
	if err != nil {
		return err
	}
	peak := max(procKiB(pid, "VmHWM:")/1024, w.max)
	rows := m1.sum("atlhyper_node_metrics_samples_total", "") - m0.sum("atlhyper_node_metrics_samples_total", "")
	var sent, failed uint64
	for _, p := range pushers {
		st := p.Stats()
		sent += st.Sent
		failed += st.Failures + st.Rejected + st.Dropped
	}
	logf("node metrics window %v: %.0f rows taken (%d scrapes accepted, %d failed, rejected or dropped); tail PUTs %.0f",
		w.elapsed.Round(time.Second), rows, sent, failed,
		m1.sum("atlhyper_agent_store_requests_total", `op="put",class="state"`)-m0.sum("atlhyper_agent_store_requests_total", `op="put",class="state"`))
	logf("agent RSS with node metrics: median %.1f MiB (%.1f MiB anonymous, %.1f MiB file), peak %.1f MiB",
		w.rss, w.anon, w.file, peak)
	logf("where the memory goes at the end of the node metrics window:\n  %s", strings.Join(whereMemoryGoes(pid, m1), "\n  "))
	fmt.Printf("agent.node_metrics.rss_mib %.1f MiB\n", w.rss)
	fmt.Printf("agent.node_metrics.rss_peak_mib %.1f MiB\n", peak)
	fmt.Printf("agent.node_metrics.rows_per_min %.0f rows/min\n", rows/w.elapsed.Minutes())
	fmt.Printf("agent.node_metrics.cpu_millicores %.1f millicores\n", w.millicores)
	return nil
}

// lake0 is the start of t's UTC day.
func lake0(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// window is what measure saw: medians of RSS and its parts (MiB), the
// largest RSS sample, and CPU.
type windowStats struct {
	rss, anon, file, max float64
	millicores           float64
	elapsed              time.Duration
}

// measure samples the agent's RSS every 2 s for d.
func measure(pid int, d time.Duration, exited <-chan error) (windowStats, error) {
	var ws windowStats
	cpu0 := cpuSeconds(pid)
	t0 := time.Now()
	var rss, anon, file []float64
	for time.Since(t0) < d {
		select {
		case err := <-exited:
			return ws, fmt.Errorf("agent exited during the window: %v", err)
		case <-time.After(2 * time.Second):
		}
		r := procKiB(pid, "VmRSS:") / 1024
		rss = append(rss, r)
		anon = append(anon, procKiB(pid, "RssAnon:")/1024)
		file = append(file, procKiB(pid, "RssFile:")/1024)
		ws.max = math.Max(ws.max, r)
	}
	ws.elapsed = time.Since(t0)
	ws.millicores = (cpuSeconds(pid) - cpu0) / ws.elapsed.Seconds() * 1000
	ws.rss, ws.anon, ws.file = median(rss), median(anon), median(file)
	return ws, nil
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func sleepWatching(d time.Duration, exited <-chan error) error {
	select {
	case err := <-exited:
		return fmt.Errorf("agent exited: %v", err)
	case <-time.After(d):
		return nil
	}
}

// whereMemoryGoes breaks the agent's RSS down by mapping (the binary's
// code, read-only data and data; the Go heap's arenas; the rest) and adds
// the Go runtime's own view of its heap.
func whereMemoryGoes(pid int, m metrics) []string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return []string{err.Error()}
	}
	defer f.Close()
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	sums := map[string]float64{}
	var order []string
	name := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 5 && strings.Contains(fs[0], "-") && len(fs[1]) == 4 {
			switch {
			case len(fs) >= 6 && fs[5] == exe:
				name = map[string]string{"r-xp": "binary code", "r--p": "binary read-only data", "rw-p": "binary data"}[fs[1]]
				if name == "" {
					name = "binary " + fs[1]
				}
			case len(fs) >= 6 && strings.HasPrefix(fs[5], "["):
				name = "kernel " + fs[5]
			case len(fs) >= 6:
				name = "other files"
			default:
				name = "anonymous mappings (Go heap, stacks, runtime)"
			}
			continue
		}
		if len(fs) >= 2 && fs[0] == "Rss:" {
			kb, _ := strconv.ParseFloat(fs[1], 64)
			if _, ok := sums[name]; !ok {
				order = append(order, name)
			}
			sums[name] += kb / 1024
		}
	}
	var out []string
	for _, n := range order {
		if sums[n] >= 0.05 {
			out = append(out, fmt.Sprintf("%-48s %6.1f MiB", n, sums[n]))
		}
	}
	mib := func(series string) float64 { return m.sum(series, "") / (1 << 20) }
	out = append(out, fmt.Sprintf("Go heap: %.1f MiB in use (%.1f MiB live objects after the last GC), %.1f MiB idle not yet returned, stacks %.1f MiB, runtime metadata %.1f MiB",
		mib("go_memstats_heap_inuse_bytes"), mib("go_memstats_heap_alloc_bytes"), mib("go_memstats_heap_idle_bytes")-mib("go_memstats_heap_released_bytes"),
		mib("go_memstats_stack_inuse_bytes"), mib("go_memstats_mspan_inuse_bytes")+mib("go_memstats_mcache_inuse_bytes")+mib("go_memstats_gc_sys_bytes")+mib("go_memstats_other_sys_bytes")))
	return out
}

func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "."
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeKubeconfig(env *kubetest.Env, path string) error {
	c := env.Config
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.CAData}
	cfg.AuthInfos["bench"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.CertData, ClientKeyData: c.KeyData, Token: c.BearerToken}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench"}
	cfg.CurrentContext = "bench"
	return clientcmd.WriteToFile(*cfg, path)
}

func waitReady(addr string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("agent exited: %v", err)
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("agent not ready after %v", timeout)
}

// metrics is a parsed Prometheus text exposition: series → value.
type metrics map[string]float64

func scrape(addr string) (metrics, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (metrics, error) {
	m := metrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

// sum adds the series of a metric whose labels contain every comma-separated
// label matcher in match.
func (m metrics) sum(name, match string) float64 {
	var total float64
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		ok := true
		for _, l := range strings.Split(match, ",") {
			if l != "" && !strings.Contains(series, l) {
				ok = false
			}
		}
		if ok {
			total += v
		}
	}
	return total
}

func apiserverLists(ctx context.Context, kube kubernetes.Interface) (float64, error) {
	m, err := apiserverMetrics(ctx, kube)
	if err != nil {
		return 0, err
	}
	return m.sum("apiserver_request_total", `verb="LIST"`), nil
}

func apiserverMetrics(ctx context.Context, kube kubernetes.Interface) (metrics, error) {
	data, err := kube.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("API server /metrics: %w", err)
	}
	return parseMetrics(bytes.NewReader(data))
}

// listDeltas describes which LIST series grew between two scrapes.
func listDeltas(a, b metrics) string {
	var out []string
	for series, v := range b {
		if strings.HasPrefix(series, "apiserver_request_total{") && strings.Contains(series, `verb="LIST"`) && v > a[series] {
			out = append(out, fmt.Sprintf("%s +%.0f", series, v-a[series]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n  ")
}

// procKiB reads a size field (VmRSS:, RssAnon:, VmHWM:) of /proc/<pid>/status in KiB.
func procKiB(pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb
		}
	}
	return 0
}

func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

type cpSizes struct {
	stateObjects, detailObjects int
	stateBytes, detailBytes     int64
}

// checkpointSizes measures the startup checkpoint: every data object in the
// lake right after start-up belongs to it.
func checkpointSizes(lakeDir string) (cpSizes, error) {
	var s cpSizes
	err := filepath.Walk(lakeDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		rel, _ := filepath.Rel(lakeDir, path)
		table, _, _ := strings.Cut(rel, string(filepath.Separator))
		switch table {
		case "object_details":
			s.detailObjects++
			s.detailBytes += info.Size()
		case "pods", "nodes", "workloads", "objects":
			s.stateObjects++
			s.stateBytes += info.Size()
		}
		return nil
	})
	return s, err
}

// populate loads a simulated cluster's topology through the API: objects,
// then their status through the status subresource.
func populate(ctx context.Context, kube kubernetes.Interface, nodes, pods int) error {
	objs, metas := sim.Topology(nodes, pods, 42, time.Now())
	for _, m := range metas {
		pm := m.(*metav1.PartialObjectMetadata)
		meta := *pm.ObjectMeta.DeepCopy()
		if pm.Kind == "Secret" {
			objs = append(objs, &corev1.Secret{ObjectMeta: meta, StringData: map[string]string{"password": "s3cr3t"}})
		} else {
			objs = append(objs, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"app.yaml": strings.Repeat("key: value\n", 20)}})
		}
	}
	// A LimitRange per namespace, as many clusters have: without one the
	// API server's LimitRanger admission LISTs limitranges on every pod
	// creation, and those LISTs would be counted against the agent.
	for _, o := range objs {
		if ns, ok := o.(*corev1.Namespace); ok {
			objs = append(objs, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "defaults"},
				Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
					DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}}})
		}
	}
	rank := func(o runtime.Object) int {
		switch o.(type) {
		case *corev1.Namespace:
			return 0
		case *corev1.Node:
			return 1
		case *corev1.Pod:
			return 3
		}
		return 2
	}
	sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i]) < rank(objs[j]) })
	for r := 0; r <= 3; r++ {
		var batch []runtime.Object
		for _, o := range objs {
			if rank(o) == r {
				batch = append(batch, o)
			}
		}
		if err := parallel(batch, 16, func(o runtime.Object) error { return createWithStatus(ctx, kube, o) }); err != nil {
			return err
		}
	}
	return nil
}

func parallel(objs []runtime.Object, workers int, fn func(runtime.Object) error) error {
	ch := make(chan runtime.Object)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				if err := fn(o); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, o := range objs {
		ch <- o
	}
	close(ch)
	wg.Wait()
	return first
}

func clean(m metav1.Object) {
	m.SetUID("")
	m.SetResourceVersion("")
	m.SetCreationTimestamp(metav1.Time{})
}

func createWithStatus(ctx context.Context, k kubernetes.Interface, obj runtime.Object) error {
	m := obj.(metav1.Object)
	clean(m)
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		if o.Name == "default" || o.Name == "kube-system" {
			return nil
		}
		_, err = k.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Node:
		st := o.Status
		var n *corev1.Node
		if n, err = k.CoreV1().Nodes().Create(ctx, o, metav1.CreateOptions{}); err == nil {
			n.Status = st
			_, err = k.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		}
	case *corev1.Pod:
		st := o.Status
		var p *corev1.Pod
		if p, err = k.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			st.QOSClass = p.Status.QOSClass // the API server's, immutable
			p.Status = st
			_, err = k.CoreV1().Pods(o.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	case *corev1.ServiceAccount:
		_, err = k.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		o.Spec.ClusterIP, o.Spec.ClusterIPs = "", nil
		_, err = k.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ConfigMap:
		_, err = k.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.LimitRange:
		_, err = k.CoreV1().LimitRanges(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Secret:
		_, err = k.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.PersistentVolumeClaim:
		st := o.Status
		var p *corev1.PersistentVolumeClaim
		if p, err = k.CoreV1().PersistentVolumeClaims(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			p.Status = st
			_, err = k.CoreV1().PersistentVolumeClaims(o.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	case *discoveryv1.EndpointSlice:
		_, err = k.DiscoveryV1().EndpointSlices(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.Deployment:
		st := o.Status
		var d *appsv1.Deployment
		if d, err = k.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			st.ObservedGeneration = d.Generation
			d.Status = st
			_, err = k.AppsV1().Deployments(o.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
	case *appsv1.ReplicaSet:
		st := o.Status
		var r *appsv1.ReplicaSet
		if r, err = k.AppsV1().ReplicaSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			r.Status = st
			_, err = k.AppsV1().ReplicaSets(o.Namespace).UpdateStatus(ctx, r, metav1.UpdateOptions{})
		}
	case *appsv1.StatefulSet:
		st := o.Status
		var s *appsv1.StatefulSet
		if s, err = k.AppsV1().StatefulSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			s.Status = st
			_, err = k.AppsV1().StatefulSets(o.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
		}
	case *appsv1.DaemonSet:
		st := o.Status
		var d *appsv1.DaemonSet
		if d, err = k.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			d.Status = st
			_, err = k.AppsV1().DaemonSets(o.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
	case *batchv1.CronJob:
		_, err = k.BatchV1().CronJobs(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *batchv1.Job:
		st := o.Status
		o.Spec.ManualSelector = ptr(true)
		o.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/job-name": o.Name}}
		o.Spec.Template.Labels = map[string]string{"batch.kubernetes.io/job-name": o.Name}
		var j *batchv1.Job
		if j, err = k.BatchV1().Jobs(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err == nil {
			j.Status = st
			_, err = k.BatchV1().Jobs(o.Namespace).UpdateStatus(ctx, j, metav1.UpdateOptions{})
		}
	// Kinds created without their status (the agent caches them; nothing
	// here reads it).
	case *corev1.PersistentVolume:
		_, err = k.CoreV1().PersistentVolumes().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ResourceQuota:
		_, err = k.CoreV1().ResourceQuotas(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *autoscalingv2.HorizontalPodAutoscaler:
		_, err = k.AutoscalingV2().HorizontalPodAutoscalers(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *networkingv1.IngressClass:
		_, err = k.NetworkingV1().IngressClasses().Create(ctx, o, metav1.CreateOptions{})
	case *networkingv1.Ingress:
		_, err = k.NetworkingV1().Ingresses(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *networkingv1.NetworkPolicy:
		_, err = k.NetworkingV1().NetworkPolicies(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *policyv1.PodDisruptionBudget:
		_, err = k.PolicyV1().PodDisruptionBudgets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *storagev1.StorageClass:
		_, err = k.StorageV1().StorageClasses().Create(ctx, o, metav1.CreateOptions{})
	default:
		return fmt.Errorf("populate: unexpected %T", obj)
	}
	if err != nil {
		return fmt.Errorf("create %T %s/%s: %w", obj, m.GetNamespace(), m.GetName(), err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

type churnStats struct {
	PodUpdates, PodsReplaced, Events, NodeHeartbeats int
}

// churn is a realistic quiet cluster: a pod status change every 10 s, a
// pod replaced every minute, an event every 20 s, and every node's
// kubelet reporting status every 5 minutes (the node-status report
// frequency with node leases) — a change of heartbeat times only.
func churn(ctx context.Context, k kubernetes.Interface, nodes int, pods []corev1.Pod) churnStats {
	var st churnStats
	podTick := time.NewTicker(10 * time.Second)
	defer podTick.Stop()
	nodeTick := time.NewTicker(5 * time.Minute / time.Duration(nodes))
	defer nodeTick.Stop()
	if len(pods) == 0 {
		return st
	}
	i, n := 0, 0
	for {
		select {
		case <-ctx.Done():
			return st
		case <-nodeTick.C:
			name := fmt.Sprintf("node-%03d", n%nodes)
			n++
			if node, err := k.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err == nil {
				for j := range node.Status.Conditions {
					node.Status.Conditions[j].LastHeartbeatTime = metav1.Now()
				}
				if _, err := k.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err == nil {
					st.NodeHeartbeats++
				}
			}
		case <-podTick.C:
			i++
			p := &pods[i%len(pods)]
			if cur, err := k.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{}); err == nil {
				for j := range cur.Status.Conditions {
					if cur.Status.Conditions[j].Type == corev1.PodReady {
						c := &cur.Status.Conditions[j]
						c.Status = map[corev1.ConditionStatus]corev1.ConditionStatus{corev1.ConditionTrue: corev1.ConditionFalse,
							corev1.ConditionFalse: corev1.ConditionTrue}[c.Status]
						c.LastTransitionTime = metav1.Now()
					}
				}
				if _, err := k.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err == nil {
					st.PodUpdates++
				}
			}
			if i%2 == 0 {
				ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: fmt.Sprintf("%s.%d", p.Name, i)},
					InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
					Type:           corev1.EventTypeNormal, Reason: "Pulled", Message: "Container image already present on machine",
					Count: 1, FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Source: corev1.EventSource{Component: "kubelet"}}
				if _, err := k.CoreV1().Events(p.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err == nil {
					st.Events++
				}
			}
			if i%6 == 0 { // a pod replaced: deleted, and a new one created in its place
				old := &pods[(i/6)%len(pods)]
				if err := k.CoreV1().Pods(old.Namespace).Delete(ctx, old.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err == nil {
					fresh := old.DeepCopy()
					clean(fresh)
					fresh.Name = fmt.Sprintf("%s-r%d", old.Name, i)
					fresh.Status = corev1.PodStatus{}
					if p, err := k.CoreV1().Pods(fresh.Namespace).Create(ctx, fresh, metav1.CreateOptions{}); err == nil {
						p.Status = old.Status
						k.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
						*old = *p
						st.PodsReplaced++
					}
				}
			}
		}
	}
}

// evict drops a file from the page cache, so that the agent maps its
// binary as it would from a container image, read from disk: a file the
// linker has just written sits in the cache in large folios, and each
// page the process touches then maps much more of the binary around it
// (5 MiB more file-backed RSS for an idle agent, measured).
func evict(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("evict %s: %w", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("evict %s: %w", path, err)
	}
	return nil
}
