package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/query/lake"
)

const secret = "s3cret-ingest-secret-for-tests"

// token is node-a's token.
var token = nodetoken.Make(secret, "node-a")

// tokenFor is the token of the node a (gzipped) body names, node-a's when
// it names none: each push is sent with its own node's token.
func tokenFor(body []byte) string {
	var p struct{ Node string }
	if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
		if data, err := io.ReadAll(zr); err == nil && json.Unmarshal(data, &p) == nil && p.Node != "" {
			return nodetoken.Make(secret, p.Node)
		}
	}
	return token
}

var agentNow = time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)

// recorder is a sink that remembers what it was given and can be told to
// fail.
type recorder struct {
	mu    sync.Mutex
	calls [][]lake.NodeMetric
	fail  error
}

func (r *recorder) sink(_ context.Context, rows []lake.NodeMetric) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.calls = append(r.calls, rows)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

type env struct {
	h   *Handler
	rec *recorder
	now time.Time
	reg *prometheus.Registry
}

func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	e := &env{rec: &recorder{}, now: agentNow, reg: prometheus.NewRegistry()}
	cfg := Config{Secret: secret, Sink: e.rec.sink, Now: func() time.Time { return e.now }, Registerer: e.reg,
		Logger: slog.New(slog.DiscardHandler)}
	if edit != nil {
		edit(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func push(seq uint64, tss ...time.Time) *payload.Payload {
	p := &payload.Payload{Node: "node-a", Instance: "inst-1", Seq: seq, IntervalMS: 15000}
	for i, ts := range tss {
		p.Scrapes = append(p.Scrapes, payload.Scrape{TSMillis: ts.UnixMilli(), Samples: []payload.Sample{
			{Metric: "cpu.user_pct", Value: 12.5 + float64(i)},
			{Metric: "cpu.user_pct", Device: "cpu0", Value: 99.9},
			{Metric: "mem.used_bytes", Value: 8.389e9},
		}})
	}
	return p
}

func gzipped(t *testing.T, p *payload.Payload) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := payload.Encode(&buf, nil, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (e *env) post(t *testing.T, body []byte, edit func(*http.Request)) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tokenFor(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if edit != nil {
		edit(req)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	r := reply{status: w.Code, header: w.Header()}
	if err := json.Unmarshal(w.Body.Bytes(), &r.body); err != nil {
		t.Fatalf("reply is not JSON (%v): %q", err, w.Body.String())
	}
	return r
}

func (e *env) pushOK(t *testing.T, p *payload.Payload) {
	t.Helper()
	if r := e.post(t, gzipped(t, p), nil); r.status != http.StatusOK {
		t.Fatalf("push refused: %d %v", r.status, r.body)
	}
}

// refused asserts a 4xx/5xx with a JSON error mentioning msg.
func refused(t *testing.T, r reply, status int, msg string) {
	t.Helper()
	errText, _ := r.body["error"].(string)
	if r.status != status || !strings.Contains(errText, msg) {
		t.Fatalf("got %d %v, want %d with error mentioning %q", r.status, r.body, status, msg)
	}
}

var (
	ts1 = agentNow.Add(-30 * time.Second)
	ts2 = agentNow.Add(-15 * time.Second)
	ts3 = agentNow
)

func TestAccept(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, gzipped(t, push(1, ts1, ts2)), nil)
	if r.status != http.StatusOK || r.body["accepted"] != 6.0 || r.body["last_seq"] != 2.0 {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	want := []lake.NodeMetric{
		{TS: ts1, Node: "node-a", Metric: "cpu.user_pct", Value: 12.5},
		{TS: ts1, Node: "node-a", Metric: "cpu.user_pct", Device: "cpu0", Value: 99.9},
		{TS: ts1, Node: "node-a", Metric: "mem.used_bytes", Value: 8.389e9},
		{TS: ts2, Node: "node-a", Metric: "cpu.user_pct", Value: 13.5},
		{TS: ts2, Node: "node-a", Metric: "cpu.user_pct", Device: "cpu0", Value: 99.9},
		{TS: ts2, Node: "node-a", Metric: "mem.used_bytes", Value: 8.389e9},
	}
	if e.rec.count() != 1 || !reflect.DeepEqual(e.rec.calls[0], want) {
		t.Fatalf("sink got %+v", e.rec.calls)
	}
	// Uncompressed bodies are fine too, and the next push follows on.
	body, _ := json.Marshal(push(3, ts3))
	if r := e.post(t, body, func(r *http.Request) { r.Header.Del("Content-Encoding") }); r.status != http.StatusOK {
		t.Fatalf("identity encoding: %d %v", r.status, r.body)
	}
	nodes := e.h.Nodes(agentNow)
	if len(nodes) != 1 || nodes[0].Node != "node-a" || nodes[0].LastSeq != 3 || !nodes[0].LastSample.Equal(ts3) || nodes[0].Stale {
		t.Fatalf("nodes %+v", nodes)
	}
	if got := metric(t, e.reg, "atlhyper_node_metrics_pushes_total", "accepted"); got != 2 {
		t.Fatalf("accepted counter %v", got)
	}
	if got := metric(t, e.reg, "atlhyper_node_metrics_samples_total", ""); got != 9 {
		t.Fatalf("samples counter %v", got)
	}
}

// TestRefusals: every bad push gets a clear 4xx and the sink never sees it.
func TestRefusals(t *testing.T) {
	good := gzipped(t, push(1, ts1))
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"node":"node-a","instance":"i","seq":1,"interval_ms":15000,"scrapes":[{"ts_ms":1,"samples":[{"metric":"a.b","device":"`))
	zw.Write(bytes.Repeat([]byte("A"), 64<<20))
	zw.Close()
	invalid := push(1, ts1)
	invalid.Scrapes[0].Samples[0].Metric = "Not A Metric"

	for name, c := range map[string]struct {
		body   []byte
		edit   func(*http.Request)
		status int
		msg    string
	}{
		"no token":     {good, func(r *http.Request) { r.Header.Del("Authorization") }, 401, "bearer token"},
		"wrong token":  {good, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token[:len(token)-1]+"x") }, 401, "bearer token"},
		"token prefix": {good, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token[:10]) }, 401, "bearer token"},
		"other secret": {good, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+nodetoken.Make("another-secret-of-enough-length", "node-a"))
		}, 401, "bearer token"},
		"another node's token": {good, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+nodetoken.Make(secret, "node-b")) }, 403,
			`node "node-b" cannot push samples of node "node-a"`},
		"basic auth":       {good, func(r *http.Request) { r.SetBasicAuth("u", token) }, 401, "bearer token"},
		"content type":     {good, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "Content-Type"},
		"content encoding": {good, func(r *http.Request) { r.Header.Set("Content-Encoding", "br") }, 415, "Content-Encoding"},
		"garbage":          {[]byte("\x1f\x8b garbage"), nil, 400, "gzip"},
		"not json":         {[]byte("hello"), func(r *http.Request) { r.Header.Del("Content-Encoding") }, 400, "malformed"},
		"unknown field": {[]byte(`{"node":"node-a","evil":1}`),
			func(r *http.Request) { r.Header.Del("Content-Encoding") }, 400, "unknown field"},
		"invalid schema": {gzipped(t, invalid), nil, 422, "metric name"},
		"oversized":      {bytes.Repeat([]byte("x"), DefaultMaxBodyBytes+1), nil, 413, "exceeds"},
		"oversized chunk": {append([]byte(`{"node":"`), bytes.Repeat([]byte("x"), DefaultMaxBodyBytes)...), func(r *http.Request) {
			r.ContentLength = -1 // chunked: no length to check up front
			r.Header.Del("Content-Encoding")
		}, 413, "exceeds"},
		"gzip bomb": {bomb.Bytes(), nil, 413, "too large"},
		"future":    {gzipped(t, push(1, agentNow.Add(3*time.Minute))), nil, 422, "ahead of the agent's clock"},
		"past":      {gzipped(t, push(1, agentNow.Add(-7*time.Hour))), nil, 422, "behind the agent's clock"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			r := e.post(t, c.body, c.edit)
			refused(t, r, c.status, c.msg)
			if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if e.rec.count() != 0 {
				t.Fatalf("sink called for a refused push")
			}
			if len(e.h.Nodes(agentNow)) != 0 {
				t.Fatalf("refused push left node state: %+v", e.h.Nodes(agentNow))
			}
		})
	}
	if len(bomb.Bytes()) > DefaultMaxBodyBytes {
		t.Fatalf("bomb of %d bytes is not small enough to test the decoded limit", bomb.Len())
	}
}

func TestReplay(t *testing.T) {
	e := newEnv(t, nil)
	first := gzipped(t, push(1, ts1, ts2))
	e.pushOK(t, push(1, ts1, ts2))

	// The same push again: its acknowledgement was lost.
	r := e.post(t, first, nil)
	refused(t, r, http.StatusConflict, "replayed push")
	if r.body["last_seq"] != 2.0 || r.body["last_ts_ms"] != float64(ts2.UnixMilli()) {
		t.Fatalf("409 without the agent's position: %v", r.body)
	}
	// A retry that overlaps: new seq numbers but a timestamp already stored.
	refused(t, e.post(t, gzipped(t, push(3, ts2, ts3)), nil), http.StatusConflict, "duplicate timestamps")
	// A restarted collector (new instance, seq from 1) with an old timestamp.
	restarted := push(1, ts2)
	restarted.Instance = "inst-2"
	refused(t, e.post(t, gzipped(t, restarted), nil), http.StatusConflict, "duplicate timestamps")
	if e.rec.count() != 1 {
		t.Fatalf("sink called %d times, want 1", e.rec.count())
	}
	// ... and with a new one it is accepted.
	restarted.Scrapes[0].TSMillis = ts3.UnixMilli()
	e.pushOK(t, restarted)
	if n := e.h.Nodes(agentNow)[0]; n.Instance != "inst-2" || n.LastSeq != 1 {
		t.Fatalf("after restart: %+v", n)
	}
	if got := metric(t, e.reg, "atlhyper_node_metrics_pushes_total", "replay"); got != 3 {
		t.Fatalf("replay counter %v", got)
	}
}

func TestConcurrentReplaysStoreOnce(t *testing.T) {
	e := newEnv(t, nil)
	body := gzipped(t, push(1, ts1))
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		wg.Go(func() { statuses[i] = e.post(t, body, nil).status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if ok != 1 || e.rec.count() != 1 {
		t.Fatalf("%d accepted, sink called %d times; want 1 and 1", ok, e.rec.count())
	}
}

func TestSinkFailureIsRetryable(t *testing.T) {
	e := newEnv(t, nil)
	e.rec.fail = errors.New("spool full")
	body := gzipped(t, push(1, ts1))
	r := e.post(t, body, nil)
	refused(t, r, http.StatusServiceUnavailable, "spool full")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	// Nothing was remembered, so the retry is not a replay.
	e.rec.fail = nil
	if r := e.post(t, body, nil); r.status != http.StatusOK {
		t.Fatalf("retry after sink failure: %d %v", r.status, r.body)
	}
}

func TestStale(t *testing.T) {
	e := newEnv(t, nil)
	e.pushOK(t, push(1, ts3))
	other := push(1, ts3)
	other.Node = "node-b"
	other.IntervalMS = 60000
	e.pushOK(t, other)
	if s := e.h.Stale(agentNow.Add(60 * time.Second)); len(s) != 0 {
		t.Fatalf("stale after 4 intervals exactly: %v", s)
	}
	// node-a pushes every 15 s: stale after 4 × 15 s; node-b every minute.
	if s := e.h.Stale(agentNow.Add(61 * time.Second)); !reflect.DeepEqual(s, []string{"node-a"}) {
		t.Fatalf("stale %v, want [node-a]", s)
	}
	if s := e.h.Stale(agentNow.Add(5 * time.Minute)); !reflect.DeepEqual(s, []string{"node-a", "node-b"}) {
		t.Fatalf("stale %v", s)
	}
	e.now = agentNow.Add(5 * time.Minute)
	if got := metric(t, e.reg, "atlhyper_node_metrics_stale_nodes", ""); got != 2 {
		t.Fatalf("stale gauge %v", got)
	}
}

// metric reads a registered counter or gauge; result selects the
// pushes_total series.
func metric(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if result != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != result) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s %s", name, result)
	return 0
}

// TestNodeCannotMuteAnother: node-b's token cannot push node-a's samples,
// so it cannot put node-a's clock ahead either (a push of node-a dated
// 2 minutes ahead would make node-a's real pushes replays until then);
// node-a's own pushes go on.
func TestNodeCannotMuteAnother(t *testing.T) {
	e := newEnv(t, nil)
	e.pushOK(t, push(1, ts1))
	ahead := push(99, agentNow.Add(DefaultMaxFuture-time.Second))
	r := e.post(t, gzipped(t, ahead), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+nodetoken.Make(secret, "node-b")) })
	refused(t, r, http.StatusForbidden, "cannot push samples")
	e.pushOK(t, push(2, ts2))
	// A rotated secret: the previous one still works until collectors move.
	e2 := newEnv(t, func(c *Config) { c.Secret, c.PreviousSecret = "the-new-ingest-secret-2026", secret })
	e2.pushOK(t, push(1, ts1))
}

func TestMaxNodes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxNodes = 1 })
	e.pushOK(t, push(1, ts1))
	other := push(1, ts1)
	other.Node = "node-b"
	r := e.post(t, gzipped(t, other), nil)
	refused(t, r, http.StatusTooManyRequests, "tracks 1 nodes")
	// Once node-a has been quiet for longer than MaxAge it is forgotten.
	e.now = agentNow.Add(DefaultMaxAge + time.Minute)
	other.Scrapes[0].TSMillis = e.now.UnixMilli()
	e.pushOK(t, other)
}

func TestMethodAndMount(t *testing.T) {
	e := newEnv(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), `"error"`) {
		t.Fatalf("GET: %d %s", w.Code, w.Body)
	}
	// Mounted under a prefix in a real server, as the agent does.
	mux := http.NewServeMux()
	mux.Handle("/v1/node-metrics", e.h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/v1/node-metrics", bytes.NewReader(gzipped(t, push(1, ts1))))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mounted: %d %s", resp.StatusCode, b)
	}
}

func TestConfigRequired(t *testing.T) {
	if _, err := New(Config{Sink: (&recorder{}).sink}); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := New(Config{Secret: "short", Sink: (&recorder{}).sink}); err == nil {
		t.Error("a short secret accepted")
	}
	if _, err := New(Config{Secret: secret}); err == nil {
		t.Error("no sink accepted")
	}
}
