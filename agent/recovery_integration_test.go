package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/internal/kubetest"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// logBuffer collects JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// faults wraps the agent's transport: it can make every watch answer 410
// Gone ("resourceVersion too old") and cut the watches in flight, and it
// records what the agent asks for.
type faults struct {
	rt      http.RoundTripper
	expire  atomic.Bool
	mu      sync.Mutex
	bodies  []io.Closer
	lists   atomic.Int64
	gone    atomic.Int64
	relists atomic.Int64
	accepts map[string][]string // resource → Accept headers
}

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	watch := q.Get("watch") == "true" || q.Get("watch") == "1"
	for _, res := range []string{"/secrets", "/configmaps"} {
		if strings.HasSuffix(req.URL.Path, res) || strings.Contains(req.URL.Path, res+"/") {
			f.mu.Lock()
			if f.accepts == nil {
				f.accepts = map[string][]string{}
			}
			f.accepts[res] = append(f.accepts[res], req.Header.Get("Accept"))
			f.mu.Unlock()
		}
	}
	rv := q.Get("resourceVersion")
	if watch && q.Get("sendInitialEvents") == "true" && rv == "" {
		f.relists.Add(1)
	}
	if watch && f.expire.Load() && rv != "" && rv != "0" {
		// What an API server sends when the resourceVersion is older than
		// its watch cache and etcd keep: an ERROR event with 410 Expired.
		f.gone.Add(1)
		body := `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",` +
			`"message":"too old resource version: 1 (2)","reason":"Expired","code":410}}` + "\n"
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json;stream=watch"}}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: -1, Request: req}, nil
	}
	if !watch && req.Method == http.MethodGet && q.Has("limit") {
		f.lists.Add(1)
	}
	resp, err := f.rt.RoundTrip(req)
	if err == nil && watch {
		f.mu.Lock()
		f.bodies = append(f.bodies, resp.Body)
		f.mu.Unlock()
	}
	return resp, err
}

// expireWatches makes the server "forget" the agent's resourceVersions.
func (f *faults) expireWatches() {
	f.expire.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bodies {
		b.Close()
	}
	f.bodies = nil
}

func (h *harness) withFaults() (*rest.Config, *faults) {
	f := &faults{}
	rc := rest.CopyConfig(h.env.Config)
	rc.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { f.rt = rt; return f }
	return rc, f
}

func changeRows(t *testing.T, b store.Bucket, cluster string) map[string][]lake.Pod {
	out := map[string][]lake.Pod{}
	for _, r := range readTable(t, b, lake.Pods, cluster) {
		out[r.Name] = append(out[r.Name], r)
	}
	return out
}

func hasOp(rows []lake.Pod, op, rv string) bool {
	for _, r := range rows {
		if r.Op == op && (rv == "" || r.ResourceVersion == rv) {
			return true
		}
	}
	return false
}

func TestWatchExpiryRecovers(t *testing.T) {
	env := apiServer(t)
	b, _ := store.NewFile(t.TempDir())
	h := newHarness(t, env, b)
	for i := range 5 {
		h.create(h.pod(fmt.Sprintf("p%d", i)))
	}
	rc, f := h.withFaults()
	logs := &logBuffer{}
	cfg := h.config("expiry", rc)
	cfg.Logger = logs.logger()
	a := h.start(cfg)
	h.waitReady(a)

	f.expireWatches()
	time.Sleep(200 * time.Millisecond)
	p0 := h.podStatus("p0", setRunning)
	if err := h.kube.CoreV1().Pods(h.ns).Delete(h.ctx(), "p1", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	h.create(h.pod("p5"))
	time.Sleep(1500 * time.Millisecond) // rewatches keep failing with 410
	f.expire.Store(false)

	h.eventually("changes made while watches were expired recorded", 60*time.Second, func() bool {
		if err := a.Flush(h.ctx()); err != nil {
			t.Fatal(err)
		}
		rows := changeRows(t, b, h.cluster)
		return hasOp(rows["p0"], lake.OpUpdate, p0.ResourceVersion) && hasOp(rows["p1"], lake.OpDelete, "") && hasOp(rows["p5"], lake.OpAdd, "")
	})
	if f.gone.Load() == 0 {
		t.Fatal("no watch was answered 410")
	}
	if !strings.Contains(logs.String(), "object deleted while the watch was interrupted; found by relist") {
		t.Errorf("the relist was not logged:\n%s", logs.String())
	}
	if !a.Ready() {
		t.Errorf("stats after expiry: %+v", a.Stats())
	}
	if f.gone.Load() > 200 {
		t.Errorf("%d watches answered 410: a retry storm", f.gone.Load())
	}
	t.Logf("410s served: %d, relists: watch-list %d, LIST %d", f.gone.Load(), f.relists.Load(), f.lists.Load())
}

func TestAPIServerRestart(t *testing.T) {
	env := kubetest.Start(t, kubetest.Options{CertDir: t.TempDir()})
	b, _ := store.NewFile(t.TempDir())
	h := newHarness(t, env, b)
	h.create(h.pod("p0"))
	logs := &logBuffer{}
	cfg := h.config("restart", env.Config)
	cfg.Logger = logs.logger()
	// client-go logs through klog; the binary routes klog to its slog
	// logger (agent/cmd/agent), as done here.
	klog.SetSlogLogger(logs.logger().With("component", "client-go"))
	defer klog.SetSlogLogger(quietLogger())
	a := h.start(cfg)
	h.waitReady(a)

	began := time.Now()
	if err := env.RestartAPIServer(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("API server restarted in %v", time.Since(began))
	// The API server is back: new changes reach the lake without any help.
	var p0 *corev1.Pod
	h.eventually("API server answering", 60*time.Second, func() bool {
		_, err := h.kube.CoreV1().Pods(h.ns).Get(context.Background(), "p0", metav1.GetOptions{})
		return err == nil
	})
	t.Logf("answering after %v", time.Since(began))
	p0 = h.podStatus("p0", setRunning)
	h.create(h.pod("p1"))
	h.eventually("changes after the restart recorded", 60*time.Second, func() bool {
		a.Flush(h.ctx())
		rows := changeRows(t, b, h.cluster)
		return hasOp(rows["p0"], lake.OpUpdate, p0.ResourceVersion) && hasOp(rows["p1"], lake.OpAdd, "")
	})
	select {
	case err := <-a.done:
		t.Fatalf("agent stopped: %v", err)
	default:
	}
	t.Logf("recorded after %v", time.Since(began))
	for _, want := range []string{"API server not answering", "API server answering again"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestMalformedAndHugeObjects(t *testing.T) {
	env := apiServer(t)
	b, _ := store.NewFile(t.TempDir())
	h := newHarness(t, env, b)
	logs := &logBuffer{}
	a := h.startAgent("odd", func(c *agent.Config) { c.MaxDetailBytes = 64 << 10; c.Logger = logs.logger() })

	huge := h.pod("huge")
	huge.Annotations = map[string]string{"blob": strings.Repeat("x", 200<<10)}
	h.create(huge)
	h.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "big"},
		Data: map[string]string{"blob": strings.Repeat("y", 900<<10)}})
	// Bytes that are not UTF-8, through the protobuf client (JSON could
	// not carry them).
	pb := rest.CopyConfig(h.env.Config)
	pb.ContentType = "application/vnd.kubernetes.protobuf"
	pbKube, err := kubernetes.NewForConfig(pb)
	if err != nil {
		t.Fatal(err)
	}
	h.create(h.pod("weird"))
	p, err := pbKube.CoreV1().Pods(h.ns).Get(h.ctx(), "weird", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setRunning(p)
	p.Status.Message = "bad \xff\xfe bytes \x00 here"
	p.Status.Reason = "Odd\xc3"
	p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{
		Reason: "Error\xff", ExitCode: 3, Message: "trace \xe2\x28\xa1"}
	if _, err := pbKube.CoreV1().Pods(h.ns).UpdateStatus(h.ctx(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.create(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "weird.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: h.ns, Name: "weird"},
		Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: "ok", Count: 1, LastTimestamp: metav1.Now()})

	h.eventually("rows of every object", 30*time.Second, func() bool {
		a.Flush(h.ctx())
		rows := changeRows(t, b, h.cluster)
		return hasOp(rows["huge"], lake.OpAdd, "") && hasOp(rows["weird"], lake.OpUpdate, "")
	})
	for _, r := range readTable(t, b, lake.Pods, h.cluster) {
		js, _ := json.Marshal(r)
		if !utf8.Valid(js) || !utf8.ValidString(r.Reason) || !utf8.ValidString(r.Containers[0].LastReason) {
			t.Errorf("row of %s is not valid UTF-8: %q", r.Name, r.Reason)
		}
	}
	var hugeDetail, cmDetail string
	for _, d := range readTable(t, b, lake.Details, h.cluster) {
		if !utf8.ValidString(d.Object) {
			t.Errorf("detail of %s is not valid UTF-8", d.Name)
		}
		switch d.Name {
		case "huge":
			hugeDetail = d.Object
		case "big":
			cmDetail = d.Object
		}
	}
	if !strings.Contains(hugeDetail, `"truncated":true`) || len(hugeDetail) > 1024 {
		t.Errorf("huge detail not replaced by a stub: %d bytes", len(hugeDetail))
	}
	if cmDetail == "" || strings.Contains(cmDetail, "yyyy") || len(cmDetail) > 1024 {
		t.Errorf("configmap detail: %d bytes", len(cmDetail))
	}
	if !strings.Contains(logs.String(), "object detail too large") {
		t.Error("the huge object was not logged")
	}
	if st := a.Stats(); !st.Ready {
		t.Errorf("agent unhealthy: %+v", st)
	}
}

// forbidden strings: Secret and ConfigMap values and literal env values.
var forbidden = []string{"TOPSECRET-VALUE", "CONFIGMAP-VALUE", "hunter2-", "s3cr3t-template", "init-literal"}

func TestSecretsNeverReadOrStored(t *testing.T) {
	env := apiServer(t)
	b, _ := store.NewFile(t.TempDir())
	h := newHarness(t, env, b)
	rc, f := h.withFaults()
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "db",
		Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: `{"data":{"password":"TOPSECRET-VALUE"}}`}},
		StringData: map[string]string{"password": "TOPSECRET-VALUE"}})
	h.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "cfg"}, Data: map[string]string{"k": "CONFIGMAP-VALUE"}})
	a := h.start(h.config("secrets", rc))
	h.waitReady(a)
	p := h.pod("app")
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "i", Env: []corev1.EnvVar{{Name: "X", Value: "init-literal"}}}}
	h.create(p)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "w"}}
	h.create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "dep"}, Spec: appsv1.DeploymentSpec{Selector: sel,
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "w"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "w", Image: "w", Env: []corev1.EnvVar{{Name: "T", Value: "s3cr3t-template"}}}}}}}})
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "later"}, StringData: map[string]string{"p": "TOPSECRET-VALUE"}})
	time.Sleep(500 * time.Millisecond)
	if _, err := a.Checkpoint(h.ctx(), true); err != nil {
		t.Fatal(err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	// The agent asked for Secrets and ConfigMaps as metadata only.
	f.mu.Lock()
	for res, accepts := range f.accepts {
		for _, acc := range accepts {
			if !strings.Contains(acc, "as=PartialObjectMetadata") {
				t.Errorf("%s requested with Accept %q", res, acc)
			}
		}
	}
	if len(f.accepts["/secrets"]) == 0 {
		t.Error("secrets were never watched")
	}
	f.mu.Unlock()

	// Nothing in the store holds a forbidden value; the secret's rows exist.
	infos, err := store.ListAll(h.ctx(), b, "")
	if err != nil {
		t.Fatal(err)
	}
	sawSecret := false
	for _, info := range infos {
		data, _, err := b.Get(h.ctx(), info.Key, "")
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if strings.HasSuffix(info.Key, ".parquet") {
			text = decodeAny(t, info.Key, data)
		}
		for _, s := range forbidden {
			if strings.Contains(text, s) {
				t.Errorf("%s contains %q", info.Key, s)
			}
		}
		if strings.Contains(text, `"kind":"Secret"`) && strings.Contains(text, `"name":"db"`) {
			sawSecret = true
		}
	}
	if !sawSecret {
		t.Error("no detail row of the secret's metadata")
	}
}

// decodeAny decodes a lake object of any table to JSON text.
func decodeAny(t *testing.T, key string, data []byte) string {
	table, _, _ := strings.Cut(key, "/")
	var rows any
	var err error
	switch table {
	case "pods":
		rows, _, err = lake.Pods.Decode(data)
	case "nodes":
		rows, _, err = lake.Nodes.Decode(data)
	case "workloads":
		rows, _, err = lake.Workloads.Decode(data)
	case "objects":
		rows, _, err = lake.Objects.Decode(data)
	case "object_details":
		rows, _, err = lake.Details.Decode(data)
	case "events":
		rows, _, err = lake.Events.Decode(data)
	case "anomalies":
		rows, _, err = lake.Anomalies.Decode(data)
	case "heartbeats":
		rows, _, err = lake.Heartbeats.Decode(data)
	default:
		t.Fatalf("unexpected table %s", key)
	}
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	js, _ := json.Marshal(rows)
	// Details hold JSON inside a string: unescape it for the search.
	return strings.ReplaceAll(string(js), `\"`, `"`)
}

func TestTwoReplicasOneWriter(t *testing.T) {
	env := apiServer(t)
	b, _ := store.NewFile(t.TempDir())
	h := newHarness(t, env, b)
	h.create(h.pod("p0"))
	r1 := h.start(h.config("replica-1", env.Config))
	r2 := h.start(h.config("replica-2", env.Config))
	h.eventually("a leader", 30*time.Second, func() bool { return r1.Ready() || r2.Ready() })
	time.Sleep(500 * time.Millisecond)
	leader, standby := r1, r2
	if r2.Leader() {
		leader, standby = r2, r1
	}
	if standby.Leader() || standby.Ready() {
		t.Fatal("two leaders")
	}
	srv := httptest.NewServer(standby.Handler(nil, nil))
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("standby /readyz = %d", resp.StatusCode)
	}
	var rvs []string
	for i := range 5 {
		rvs = append(rvs, h.podStatus("p0", func(p *corev1.Pod) { setRunning(p); p.Status.Message = fmt.Sprint(i) }).ResourceVersion)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := leader.stop(); err != nil {
		t.Fatal(err)
	}
	h.eventually("the standby takes over", 30*time.Second, func() bool { return standby.Ready() })
	for i := 5; i < 10; i++ {
		rvs = append(rvs, h.podStatus("p0", func(p *corev1.Pod) { setRunning(p); p.Status.Message = fmt.Sprint(i) }).ResourceVersion)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := standby.stop(); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range readTable(t, b, lake.Pods, h.cluster) {
		if r.Op == lake.OpUpdate {
			count[r.ResourceVersion]++
		}
	}
	for _, rv := range rvs {
		if count[rv] != 1 {
			t.Errorf("update rv %s recorded %d times", rv, count[rv])
		}
	}
}
