// Package ingest is the agent's end of node metrics: an http.Handler that
// collectors push to, which checks each push and hands the accepted samples,
// as lake rows, to a sink the agent provides (its batching lake writer).
//
// A push reaches the sink only when everything about it is right: the
// bearer token (the node's own token, collector/nodetoken, checked in
// constant time before the body is read; the push must then be that
// node's), the body size before and after
// gzip (so a small body cannot expand into gigabytes), the schema (known
// fields, finite values, name shapes, count bounds), the clock (no samples
// far ahead of or behind the agent's) and the sequence (no replays, no
// repeated timestamps). Everything else gets a 4xx with a JSON body
// {"error": "..."} that says what was wrong, and a sink failure gets a 503
// so the collector keeps the samples and retries.
//
// The handler also remembers each node's last push, so the agent can tell
// which nodes went quiet (Stale). That memory is the only state, it is lost
// on restart, and it is bounded (MaxNodes).
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/atlhyper/atlhyper/collector/nodetoken"
	"github.com/atlhyper/atlhyper/collector/payload"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Sink takes accepted samples. It must either keep all of them or return an
// error (the collector then retries the whole push).
type Sink func(ctx context.Context, rows []lake.NodeMetric) error

// Config configures a Handler. Secret and Sink are required.
type Config struct {
	// Secret makes the nodes' tokens (nodetoken.Make); PreviousSecret, if
	// set, is still accepted while collectors move to the new one.
	Secret, PreviousSecret string
	Sink                   Sink

	// MaxBodyBytes bounds the request body as sent (gzip-compressed);
	// Limits.MaxDecodedBytes bounds it after decompression.
	MaxBodyBytes int64
	Limits       payload.Limits

	// Samples more than MaxFuture ahead of the agent's clock or more than
	// MaxAge behind it are refused: a node with a wrong clock would
	// otherwise write rows into the wrong hours and days of the lake.
	MaxFuture time.Duration
	MaxAge    time.Duration

	// A node is stale after StaleAfter of its intervals without a push.
	StaleAfter int
	// MaxNodes bounds the per-node memory.
	MaxNodes int

	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: counters are kept but not registered
}

// Defaults.
const (
	DefaultMaxBodyBytes = 4 << 20
	DefaultMaxFuture    = 2 * time.Minute
	DefaultMaxAge       = 6 * time.Hour // above the collector's default 2 h backlog
	DefaultStaleAfter   = 4
	DefaultMaxNodes     = 10000
)

// Handler serves POST pushes at whatever path it is mounted on.
type Handler struct {
	cfg    Config
	log    *slog.Logger
	router chi.Router

	mu    sync.Mutex
	nodes map[string]*node

	pushes  *prometheus.CounterVec
	samples prometheus.Counter
}

// node is what the handler remembers about one node. push serialises a
// node's pushes from replay check to state update, so two concurrent
// retries cannot both pass; the other fields are guarded by Handler.mu.
type node struct {
	push     sync.Mutex
	instance string
	lastSeq  uint64
	lastTS   int64 // unix ms of the newest accepted sample
	lastPush time.Time
	interval time.Duration
}

// NodeStatus is one node as the handler last heard from it.
type NodeStatus struct {
	Node       string        `json:"node"`
	Instance   string        `json:"instance"`
	LastSeq    uint64        `json:"last_seq"`
	LastSample time.Time     `json:"last_sample"`
	LastPush   time.Time     `json:"last_push"`
	Interval   time.Duration `json:"interval"`
	Stale      bool          `json:"stale"`
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if err := nodetoken.CheckSecret(cfg.Secret); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if cfg.PreviousSecret != "" {
		if err := nodetoken.CheckSecret(cfg.PreviousSecret); err != nil {
			return nil, fmt.Errorf("ingest: previous: %w", err)
		}
	}
	if cfg.Sink == nil {
		return nil, errors.New("ingest: sink is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Limits == (payload.Limits{}) {
		cfg.Limits = payload.DefaultLimits
	}
	if cfg.MaxFuture <= 0 {
		cfg.MaxFuture = DefaultMaxFuture
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.MaxNodes <= 0 {
		cfg.MaxNodes = DefaultMaxNodes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{
		cfg: cfg, log: cfg.Logger, nodes: map[string]*node{},
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "atlhyper_node_metrics_pushes_total",
			Help: "Collector pushes by outcome (accepted or the reason for refusal).",
		}, []string{"result"}),
		samples: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "atlhyper_node_metrics_samples_total",
			Help: "Samples accepted and handed to the lake writer.",
		}),
	}
	if reg := cfg.Registerer; reg != nil {
		cs := []prometheus.Collector{h.pushes, h.samples,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "atlhyper_node_metrics_nodes", Help: "Nodes that have pushed since the agent started.",
			}, func() float64 { return float64(len(h.Nodes(h.cfg.Now()))) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "atlhyper_node_metrics_stale_nodes", Help: "Nodes whose pushes have stopped.",
			}, func() float64 { return float64(len(h.Stale(h.cfg.Now()))) }),
		}
		for _, c := range cs {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("ingest: register metrics: %w", err)
			}
		}
	}
	r := chi.NewRouter()
	r.Post("/*", h.servePush)
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "only POST is allowed"})
	})
	h.router = r
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

type errorBody struct {
	Error   string `json:"error"`
	LastSeq uint64 `json:"last_seq,omitempty"`
	LastTS  int64  `json:"last_ts_ms,omitempty"`
}

type okBody struct {
	Accepted int    `json:"accepted"` // samples
	LastSeq  uint64 `json:"last_seq"`
}

// refusal is a push turned away: HTTP status, the counter label and the
// message for the collector.
type refusal struct {
	status int
	result string
	body   errorBody
}

func refuse(status int, result, format string, args ...any) *refusal {
	return &refusal{status: status, result: result, body: errorBody{Error: fmt.Sprintf(format, args...)}}
}

func (h *Handler) servePush(w http.ResponseWriter, r *http.Request) {
	p, rf := h.accept(w, r)
	if rf != nil {
		h.pushes.WithLabelValues(rf.result).Inc()
		node := ""
		if p != nil {
			node = p.Node
		}
		lvl := slog.LevelWarn
		if rf.status == http.StatusConflict {
			lvl = slog.LevelInfo // a collector retrying after a lost reply: expected now and then
		}
		h.log.Log(r.Context(), lvl, "node metrics push refused", "status", rf.status, "reason", rf.result,
			"err", rf.body.Error, "node", node, "remote", r.RemoteAddr)
		if rf.status == http.StatusUnauthorized || rf.status == http.StatusForbidden {
			w.Header().Set("WWW-Authenticate", `Bearer realm="atlhyper"`)
		}
		if rf.status == http.StatusServiceUnavailable || rf.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "5")
		}
		writeJSON(w, rf.status, rf.body)
		return
	}
	h.pushes.WithLabelValues("accepted").Inc()
	n := p.Samples()
	h.samples.Add(float64(n))
	writeJSON(w, http.StatusOK, okBody{Accepted: n, LastSeq: p.Seq + uint64(len(p.Scrapes)) - 1})
}

// accept runs every check and, when all pass, the sink. The order matters:
// nothing is read before the token is checked, and nothing is remembered
// before the sink has the samples.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request) (*payload.Payload, *refusal) {
	tokenNode, ok := h.authorized(r)
	if !ok {
		return nil, refuse(http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token: want the node's own token (<node>.<mac>)")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != payload.ContentType {
		return nil, refuse(http.StatusUnsupportedMediaType, "unsupported", "Content-Type must be %s", payload.ContentType)
	}
	var gzipped bool
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "gzip":
		gzipped = true
	case "", "identity":
	default:
		return nil, refuse(http.StatusUnsupportedMediaType, "unsupported", "Content-Encoding %q: want gzip or none", enc)
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "body of %d bytes exceeds %d", r.ContentLength, h.cfg.MaxBodyBytes)
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	p, err := payload.Read(body, gzipped, h.cfg.Limits)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "body exceeds %d bytes", h.cfg.MaxBodyBytes)
		case errors.Is(err, payload.ErrTooLarge):
			return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "%v", err)
		case errors.Is(err, payload.ErrInvalid):
			return p, refuse(http.StatusUnprocessableEntity, "invalid", "%v", err)
		default:
			return nil, refuse(http.StatusBadRequest, "malformed", "%v", err)
		}
	}
	if p.Node != tokenNode {
		return p, refuse(http.StatusForbidden, "forbidden", "the token of node %q cannot push samples of node %q", tokenNode, p.Node)
	}
	now := h.cfg.Now()
	for i, sc := range p.Scrapes {
		ts := time.UnixMilli(sc.TSMillis)
		if ahead := ts.Sub(now); ahead > h.cfg.MaxFuture {
			return p, refuse(http.StatusUnprocessableEntity, "skewed",
				"scrape %d at %s is %s ahead of the agent's clock (at most %s): check the node's time sync",
				i, ts.UTC().Format(time.RFC3339), ahead.Round(time.Second), h.cfg.MaxFuture)
		}
		if behind := now.Sub(ts); behind > h.cfg.MaxAge {
			return p, refuse(http.StatusUnprocessableEntity, "skewed",
				"scrape %d at %s is %s behind the agent's clock (at most %s)",
				i, ts.UTC().Format(time.RFC3339), behind.Round(time.Second), h.cfg.MaxAge)
		}
	}

	n, rf := h.node(p.Node, now)
	if rf != nil {
		return p, rf
	}
	n.push.Lock()
	defer n.push.Unlock()
	if rf := h.checkReplay(n, p); rf != nil {
		return p, rf
	}
	if err := h.cfg.Sink(r.Context(), toRows(p)); err != nil {
		return p, refuse(http.StatusServiceUnavailable, "sink_error", "agent cannot store samples now: %v", err)
	}
	h.mu.Lock()
	if n.instance != p.Instance {
		if n.instance != "" {
			h.log.Info("collector restarted", "node", p.Node, "old_instance", n.instance, "instance", p.Instance)
		}
		n.instance = p.Instance
	}
	n.lastSeq = p.Seq + uint64(len(p.Scrapes)) - 1
	n.lastTS = p.Scrapes[len(p.Scrapes)-1].TSMillis
	n.lastPush = now
	n.interval = time.Duration(p.IntervalMS) * time.Millisecond
	h.mu.Unlock()
	return p, nil
}

// checkReplay refuses a push the lake already has: a sequence number at or
// below the last accepted one of the same collector instance, or a sample
// no newer than the newest accepted from the node (whatever the instance),
// either of which would put duplicate rows into the lake. The answer
// carries the last accepted sequence and time so the collector can drop
// exactly what the agent has.
func (h *Handler) checkReplay(n *node, p *payload.Payload) *refusal {
	h.mu.Lock()
	defer h.mu.Unlock()
	var rf *refusal
	switch first := p.Scrapes[0].TSMillis; {
	case n.instance == p.Instance && p.Seq <= n.lastSeq:
		rf = refuse(http.StatusConflict, "replay", "replayed push: seq %d is not after the last accepted seq %d of instance %s",
			p.Seq, n.lastSeq, p.Instance)
	case first <= n.lastTS:
		rf = refuse(http.StatusConflict, "replay", "duplicate timestamps: scrape at %s is not after the last accepted sample at %s",
			time.UnixMilli(first).UTC().Format(time.RFC3339Nano), time.UnixMilli(n.lastTS).UTC().Format(time.RFC3339Nano))
	default:
		return nil
	}
	if n.instance == p.Instance {
		rf.body.LastSeq = n.lastSeq
	}
	rf.body.LastTS = n.lastTS
	return rf
}

// node returns the state of a node, making room for a new node by
// forgetting ones that have been quiet longer than MaxAge.
func (h *Handler) node(name string, now time.Time) (*node, *refusal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n, ok := h.nodes[name]; ok {
		return n, nil
	}
	if len(h.nodes) >= h.cfg.MaxNodes {
		for k, n := range h.nodes {
			if n.lastPush.IsZero() || now.Sub(n.lastPush) > h.cfg.MaxAge {
				delete(h.nodes, k)
			}
		}
		if len(h.nodes) >= h.cfg.MaxNodes {
			return nil, refuse(http.StatusTooManyRequests, "too_many_nodes", "agent already tracks %d nodes", h.cfg.MaxNodes)
		}
	}
	n := &node{}
	h.nodes[name] = n
	return n, nil
}

// authorized checks the bearer token and returns the node it was made
// for (nodetoken compares in constant time).
func (h *Handler) authorized(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	node, err := nodetoken.Verify(strings.TrimSpace(tok), h.cfg.Secret, h.cfg.PreviousSecret)
	return node, err == nil
}

// toRows converts a payload into lake rows.
func toRows(p *payload.Payload) []lake.NodeMetric {
	rows := make([]lake.NodeMetric, 0, p.Samples())
	for _, sc := range p.Scrapes {
		ts := time.UnixMilli(sc.TSMillis).UTC()
		for _, s := range sc.Samples {
			rows = append(rows, lake.NodeMetric{TS: ts, Node: p.Node, Metric: s.Metric, Device: s.Device, Value: float32(s.Value)})
		}
	}
	return rows
}

// Nodes lists every node heard from, by name.
func (h *Handler) Nodes(now time.Time) []NodeStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]NodeStatus, 0, len(h.nodes))
	for name, n := range h.nodes {
		if n.lastPush.IsZero() {
			continue // created by a push that was then refused
		}
		out = append(out, NodeStatus{
			Node: name, Instance: n.instance, LastSeq: n.lastSeq, LastSample: time.UnixMilli(n.lastTS).UTC(),
			LastPush: n.lastPush, Interval: n.interval, Stale: h.stale(n, now),
		})
	}
	slices.SortFunc(out, func(a, b NodeStatus) int { return strings.Compare(a.Node, b.Node) })
	return out
}

// Stale lists the nodes that have not pushed for StaleAfter of their
// intervals.
func (h *Handler) Stale(now time.Time) []string {
	var out []string
	for _, s := range h.Nodes(now) {
		if s.Stale {
			out = append(out, s.Node)
		}
	}
	return out
}

func (h *Handler) stale(n *node, now time.Time) bool {
	return now.Sub(n.lastPush) > time.Duration(h.cfg.StaleAfter)*n.interval
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
