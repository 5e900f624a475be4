package main

// End-to-end tests of the local stack, started exactly as the README says
// (scripts/up), on the file store and on MinIO.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/internal/controlplane"
	"github.com/atlhyper/atlhyper/query/control"
)

// stack is one run of scripts/up.
type stack struct {
	t      *testing.T
	cmd    *exec.Cmd
	done   chan error
	base   string // http://127.0.0.1:port
	data   string
	marker string // in every child's environment, to find leftovers
	log    *os.File
	token  string
}

func repoRoot(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startStack runs scripts/up with args and waits until the API is healthy.
func startStack(t *testing.T, data string, env []string, args ...string) *stack {
	t.Helper()
	port := freeTCPPort(t)
	var m [8]byte
	rand.Read(m[:])
	s := &stack{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), data: data, marker: hex.EncodeToString(m[:]), done: make(chan error, 1)}
	logPath := filepath.Join(t.TempDir(), "up.log")
	var err error
	if s.log, err = os.Create(logPath); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"--data", data, "--port", fmt.Sprint(port), "--for", "20m"}, args...)
	s.cmd = exec.Command(filepath.Join(repoRoot(t), "scripts", "up"), all...)
	s.cmd.Dir = repoRoot(t)
	s.cmd.Env = append(append(os.Environ(), env...), "ATLHYPER_E2E_MARKER="+s.marker)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.kill(syscall.SIGKILL) })
	deadline := time.Now().Add(15 * time.Minute) // the first run builds everything
	for {
		resp, err := http.Get(s.base + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("scripts/up exited before it was healthy (%v):\n%s", err, s.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy after 15 min:\n%s", s.output())
		}
		time.Sleep(time.Second)
	}
	s.login()
	return s
}

func (s *stack) output() string {
	data, _ := os.ReadFile(s.log.Name())
	if len(data) > 6000 {
		data = data[len(data)-6000:]
	}
	return string(data)
}

// login reads the generated admin password the way the banner tells a user.
func (s *stack) login() {
	f, err := os.Open(filepath.Join(s.data, "secrets.env"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vals[k] = v
	}
	// The banner follows the API's health check by a moment.
	s.eventually("the banner shows how to log in", 30*time.Second, func() bool {
		return strings.Contains(s.output(), vals["ATLHYPER_ADMIN_PASSWORD"])
	})
	body, _ := json.Marshal(map[string]string{"username": vals["ATLHYPER_ADMIN_USER"], "password": vals["ATLHYPER_ADMIN_PASSWORD"]})
	resp, err := http.Post(s.base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.AccessToken == "" {
		s.t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	s.token = out.AccessToken
}

// call does an authenticated request and decodes the JSON answer.
func (s *stack) call(method, path string, in, out any) int {
	var body io.Reader
	if in != nil {
		data, _ := json.Marshal(in)
		body = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// sql runs a query through the API and returns the first column of the first row.
func (s *stack) sql(q string, from time.Time) (float64, int) {
	var out struct {
		Rows [][]any `json:"rows"`
	}
	st := s.call("POST", "/api/v1/sql", map[string]any{"sql": q, "from": from.UTC().Format(time.RFC3339), "to": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, &out)
	if st != 200 || len(out.Rows) == 0 || len(out.Rows[0]) == 0 {
		return 0, st
	}
	n, _ := out.Rows[0][0].(float64)
	return n, st
}

// eventually retries check until it returns true or the timeout passes.
func (s *stack) eventually(what string, timeout time.Duration, check func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within %s\n%s", what, timeout, s.output())
		}
		time.Sleep(2 * time.Second)
	}
}

// stop sends Ctrl-C and waits for a clean exit.
func (s *stack) stop() {
	s.t.Helper()
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("scripts/up exited with %v after Ctrl-C:\n%s", err, s.output())
		}
	case <-time.After(60 * time.Second):
		s.t.Fatalf("scripts/up did not stop within 60 s of Ctrl-C:\n%s", s.output())
	}
	s.assertNoLeftovers()
}

// kill SIGKILLs the stack's processes: scripts/up and every child (each in
// its own process group), found by the marker in their environment.
func (s *stack) kill(sig syscall.Signal) {
	for _, pid := range s.processes() {
		syscall.Kill(pid, sig)
	}
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, sig)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

func (s *stack) processes() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte("ATLHYPER_E2E_MARKER="+s.marker)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (s *stack) assertNoLeftovers() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := s.processes()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var names []string
			for _, pid := range left {
				cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				names = append(names, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
			}
			s.t.Fatalf("processes left running after stop:\n%s", strings.Join(names, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkPrivacy: the data folder, logs and secrets are the owner's only,
// and each child process has exactly the secrets it needs in its
// environment.
func (s *stack) checkPrivacy() {
	s.t.Helper()
	mode := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			s.t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(s.data); m != 0o700 {
		s.t.Errorf("data folder %v", m)
	}
	if m := mode(filepath.Join(s.data, "secrets.env")); m != 0o600 {
		s.t.Errorf("secrets.env %v", m)
	}
	logs, _ := filepath.Glob(filepath.Join(s.data, "logs", "*.log"))
	for _, l := range logs {
		if m := mode(l); m != 0o600 {
			s.t.Errorf("%s %v", l, m)
		}
	}
	vals := map[string]string{}
	data, _ := os.ReadFile(filepath.Join(s.data, "secrets.env"))
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k] = v
		}
	}
	// What each child must (true) and must not (false) hold.
	want := map[string]map[string]bool{
		"api":       {"ATLHYPER_JWT_SECRET": true, "ATLHYPER_ADMIN_PASSWORD": true, "ATLHYPER_INGEST_SECRET": false, "ATLHYPER_COMMAND_SIGNING_KEY": true},
		"sim":       {"ATLHYPER_JWT_SECRET": false, "ATLHYPER_ADMIN_PASSWORD": false, "ATLHYPER_INGEST_SECRET": true, "ATLHYPER_COMMAND_SIGNING_KEY": false},
		"collector": {"ATLHYPER_JWT_SECRET": false, "ATLHYPER_ADMIN_PASSWORD": false, "ATLHYPER_INGEST_SECRET": false, "ATLHYPER_COMMAND_SIGNING_KEY": false},
		"scheduler": {"ATLHYPER_JWT_SECRET": false, "ATLHYPER_ADMIN_PASSWORD": false, "ATLHYPER_INGEST_SECRET": false, "ATLHYPER_COMMAND_SIGNING_KEY": false},
	}
	seen := map[string]bool{}
	for _, pid := range s.processes() {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		name := filepath.Base(string(bytes.SplitN(cmd, []byte{0}, 2)[0]))
		rules, ok := want[name]
		if !ok {
			continue
		}
		seen[name] = true
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for k, must := range rules {
			if has := bytes.Contains(env, []byte("="+vals[k]+"\x00")); has != must {
				s.t.Errorf("%s: holds %s: %v, want %v", name, k, has, must)
			}
		}
		// Agents hold the public key that verifies the API's commands.
		if name == "sim" || name == "agent" {
			sg, err := control.ParseSigner(vals["ATLHYPER_COMMAND_SIGNING_KEY"])
			if err != nil || !bytes.Contains(env, []byte("ATLHYPER_COMMAND_PUBLIC_KEYS="+sg.PublicKey()+"\x00")) {
				s.t.Errorf("%s: no command public key (%v)", name, err)
			}
		}
		if name == "collector" && !bytes.Contains(env, []byte("ATLHYPER_INGEST_TOKEN=")) {
			s.t.Errorf("the collector has no node token")
		}
	}
	if len(seen) != len(want) {
		s.t.Errorf("children checked: %v", seen)
	}
}

type clusterInfo struct {
	ID     string `json:"id"`
	Online bool   `json:"online"`
}

func (s *stack) clusters() []clusterInfo {
	var out struct {
		Items []clusterInfo `json:"items"`
	}
	s.call("GET", "/api/v1/clusters", nil, &out)
	return out.Items
}

// checkLive waits for data from all three simulated clusters and from this
// machine's node (the real collector), and returns the cluster ids.
func (s *stack) checkLive(started time.Time) []string {
	var ids []string
	s.eventually("3 clusters online", 3*time.Minute, func() bool {
		ids = nil
		for _, c := range s.clusters() {
			if c.Online {
				ids = append(ids, c.ID)
			}
		}
		return len(ids) == 3
	})
	s.eventually("pods of every cluster in the lake", 3*time.Minute, func() bool {
		n, _ := s.sql("SELECT count(DISTINCT cluster) FROM pods", started.Add(-time.Hour))
		return n == 3
	})
	host, _ := os.Hostname()
	node := strings.ToLower(strings.Split(host, ".")[0])
	s.eventually("this machine's node metrics in the lake", 3*time.Minute, func() bool {
		n, _ := s.sql(fmt.Sprintf("SELECT count(*) FROM node_metrics WHERE node = '%s' AND metric = 'mem.total_bytes'", node), started.Add(-time.Hour))
		return n > 0
	})
	return ids
}

func TestStackOnFileStore(t *testing.T) {
	data := t.TempDir()
	started := time.Now()
	s := startStack(t, data, nil)
	ids := s.checkLive(started)
	// The first run has served its cluster's pods by now: a moment the
	// second run's time travel must find them at.
	live := time.Now().Add(time.Second)
	s.checkPrivacy()
	s.stop()

	// A second start on the same data folder shows the first run's
	// history: the cluster as it was then.
	s = startStack(t, data, nil)
	var pods struct {
		Items []json.RawMessage `json:"items"`
	}
	at := live.UTC().Format(time.RFC3339)
	if st := s.call("GET", "/api/v1/clusters/"+ids[0]+"/pods?limit=10&at="+at, nil, &pods); st != 200 || len(pods.Items) == 0 {
		t.Fatalf("time travel into the first run (%s): status %d, %d pods", at, st, len(pods.Items))
	}

	// SIGKILL in the middle of writing, then start again: what the store
	// acknowledged is still there and every table reads.
	before := map[string]float64{}
	for _, table := range []string{"pods", "node_metrics", "events", "anomalies", "object_details"} {
		n, st := s.sql("SELECT count(*) FROM "+table, started.Add(-time.Hour))
		if st != 200 {
			t.Fatalf("count %s: status %d", table, st)
		}
		before[table] = n
	}
	s.kill(syscall.SIGKILL)
	s.assertNoLeftovers()
	s = startStack(t, data, nil)
	for table, n := range before {
		after, st := s.sql("SELECT count(*) FROM "+table, started.Add(-time.Hour))
		if st != 200 || after < n {
			t.Errorf("%s after SIGKILL: status %d, %v rows (had %v)", table, st, after, n)
		}
	}
	for _, table := range []string{"pods", "nodes", "workloads", "objects", "object_details", "events", "anomalies", "node_metrics", "heartbeats"} {
		if _, st := s.sql("SELECT count(*) FROM "+table, started.Add(-24*time.Hour)); st != 200 {
			t.Errorf("%s unreadable after SIGKILL: status %d", table, st)
		}
	}
	s.stop()
}

func TestStackOnMinIO(t *testing.T) {
	root := repoRoot(t)
	minioDir := t.TempDir()
	port := freeTCPPort(t)
	env := []string{"ATLHYPER_MINIO_DIR=" + minioDir, fmt.Sprintf("ATLHYPER_MINIO_PORT=%d", port)}
	run := func(args ...string) string {
		cmd := exec.Command(filepath.Join(root, "localstack", "minio"), args...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("localstack/minio %v: %v", args, err)
		}
		return string(out)
	}
	run("start")
	t.Cleanup(func() { run("stop") })
	// The README's way: eval "$(localstack/minio env)"; scripts/up --store "$ATLHYPER_STORE".
	var storeURL string
	var stackEnv []string
	for _, line := range strings.Split(strings.TrimSpace(run("env")), "\n") {
		for _, kv := range strings.Fields(strings.TrimPrefix(line, "export ")) {
			k, v, _ := strings.Cut(kv, "=")
			v = strings.Trim(v, "'")
			if k == "ATLHYPER_STORE" {
				storeURL = v
			} else {
				stackEnv = append(stackEnv, k+"="+v)
			}
		}
	}
	started := time.Now()
	s := startStack(t, t.TempDir(), stackEnv, "--store", storeURL)
	s.checkLive(started)
	s.stop()
}

// TestStackWithKubeconfig: scripts/up --kubeconfig runs the real agent
// against a real cluster (internal/controlplane, kwok nodes) next to no
// simulated one: the cluster shows up online in the API, and a remote
// operation asked through the API — signed with the key scripts/up
// generated, trusted by the agent it started — changes the cluster.
func TestStackWithKubeconfig(t *testing.T) {
	cp := controlplane.Start(t, controlplane.Options{Nodes: 2})
	kc, err := controlplane.Kubeconfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	ns, err := cp.Kube.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cluster := string(ns.UID) // the agent's default cluster id
	s := startStack(t, t.TempDir(), nil, "--clusters", "0", "--kubeconfig", kubeconfig)
	s.eventually("the real cluster online", 3*time.Minute, func() bool {
		for _, c := range s.clusters() {
			if c.ID == cluster && c.Online {
				return true
			}
		}
		return false
	})
	node := cp.Nodes[0]
	var v struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if st := s.call("POST", "/api/v1/clusters/"+cluster+"/commands", map[string]any{"action": "node.cordon",
		"target": map[string]string{"kind": "Node", "name": node}, "reason": "scripts/up test"}, &v); st != 201 {
		t.Fatalf("submit: %d", st)
	}
	s.eventually("the cordon succeeded", 2*time.Minute, func() bool {
		s.call("GET", "/api/v1/clusters/"+cluster+"/commands/"+v.ID, nil, &v)
		if control.Final(v.State) && v.State != control.Succeeded {
			t.Fatalf("cordon ended %s", v.State)
		}
		return v.State == control.Succeeded
	})
	var n *corev1.Node
	if n, err = cp.Kube.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{}); err != nil || !n.Spec.Unschedulable {
		t.Fatalf("node %s not cordoned in the cluster: %v", node, err)
	}
	s.stop()
}
