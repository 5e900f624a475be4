package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/audit"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/functions/usage"
	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return openAPI }

// Body limits.
const (
	MaxBody    = 64 << 10
	MaxSQLBody = 128 << 10
)

// Config wires a Server.
type Config struct {
	Auth  *auth.Service
	View  *lakeview.View
	SQL   *adhoc.Runner
	Audit *audit.Recorder
	// Usage answers /system/usage (self-monitoring).
	Usage *usage.Reporter
	// CommandSigner signs remote operations; nil turns them off (the
	// command routes answer 503).
	CommandSigner *control.Signer
	// Bucket is checked by /health.
	Bucket store.Bucket
	// CORSOrigins may call the API from a browser (exact origins).
	CORSOrigins []string
	// TrustProxy takes the client address from X-Forwarded-For (set only
	// behind exactly one trusted proxy).
	TrustProxy bool
	// UserRate and UserBurst are each user's token bucket on this instance
	// (default 50/s, burst 200); UserReconstructions bounds the state
	// reconstructions (`at`, time travel) one user runs at once (default 2).
	UserRate            float64
	UserBurst           int
	UserReconstructions int
	Version             string
	Logger              *slog.Logger
	Now                 func() time.Time
}

// Route is one served route and the least role it needs ("" = public).
type Route struct {
	Method, Pattern string
	Role            auth.Role
}

// Server is the API.
type Server struct {
	cfg    Config
	mux    *chi.Mux
	routes []Route
	health healthCache
	users  *userLimits
}

// New builds the API.
func New(cfg Config) (*Server, error) {
	if cfg.Auth == nil || cfg.View == nil || cfg.SQL == nil || cfg.Audit == nil || cfg.Usage == nil || cfg.Bucket == nil {
		return nil, errors.New("api: auth, view, sql, audit, usage and bucket are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.UserRate <= 0 {
		cfg.UserRate, cfg.UserBurst = DefaultUserRate, DefaultUserBurst
	}
	if cfg.UserBurst <= 0 {
		cfg.UserBurst = max(1, int(cfg.UserRate))
	}
	if cfg.UserReconstructions <= 0 {
		cfg.UserReconstructions = DefaultUserReconstructions
	}
	s := &Server{cfg: cfg, mux: chi.NewRouter(), users: newUserLimits(cfg.UserRate, cfg.UserBurst, cfg.UserReconstructions)}
	// JSON compresses ~10x; brotli 4 and gzip 5 keep a 1,000-pod page's
	// compression at a few milliseconds.
	compress, err := Compress(4, 5, 1024)
	if err != nil {
		return nil, err
	}
	s.mux.Use(s.base, compress, s.cors)
	s.mux.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, notFound("no route %s %s", r.Method, clipStr(r.URL.Path)))
	})
	s.mux.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this route"})
	})
	s.register()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Routes lists every served route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Mux is the router (for walking routes in tests).
func (s *Server) Mux() *chi.Mux { return s.mux }

// MemoryCache reports the per-user limits the instance remembers against
// their bound (entries).
func (s *Server) MemoryCache() lru.Stats { return s.users.users.Stats() }

func (s *Server) handle(method, pattern string, role auth.Role, fn func(http.ResponseWriter, *http.Request) (any, error)) {
	h := s.reply(fn)
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Role: role})
	limit := int64(MaxBody)
	if pattern == "/api/v1/sql" {
		limit = MaxSQLBody
	}
	var handler http.Handler = h
	if method == http.MethodGet && role == auth.Viewer && pattern != "/api/v1/auth/me" {
		// Cluster data, anomalies, the SQL schema: revalidated with ETags.
		// Admin answers (users, audit, usage) and auth stay no-store.
		handler = conditional(handler)
	}
	if method != http.MethodGet {
		handler = s.limitBody(limit)(handler)
	}
	if role != "" {
		handler = s.authenticate(role)(handler)
	}
	s.mux.Method(method, pattern, handler)
}

func (s *Server) register() {
	const v = "/api/v1"
	s.handle("GET", v+"/health", "", s.getHealth)
	s.handle("GET", v+"/openapi.yaml", auth.Viewer, s.getOpenAPI)

	s.handle("POST", v+"/auth/login", "", s.login)
	s.handle("POST", v+"/auth/refresh", "", s.refresh)
	s.handle("POST", v+"/auth/logout", auth.Viewer, s.logout)
	s.handle("GET", v+"/auth/me", auth.Viewer, s.me)
	s.handle("POST", v+"/auth/password", auth.Viewer, s.changePassword)

	s.handle("GET", v+"/users", auth.Admin, s.listUsers)
	s.handle("POST", v+"/users", auth.Admin, s.createUser)
	s.handle("GET", v+"/users/{username}", auth.Admin, s.getUser)
	s.handle("PATCH", v+"/users/{username}", auth.Admin, s.updateUser)
	s.handle("DELETE", v+"/users/{username}", auth.Admin, s.deleteUser)

	s.handle("GET", v+"/clusters", auth.Viewer, s.listClusters)
	s.handle("GET", v+"/fleet/overview", auth.Viewer, s.fleetOverview)
	s.handle("GET", v+"/clusters/{cluster}", auth.Viewer, s.getCluster)
	s.handle("GET", v+"/clusters/{cluster}/overview", auth.Viewer, s.clusterOverview)
	s.handle("GET", v+"/clusters/{cluster}/namespace-summaries", auth.Viewer, s.namespaceSummaries)
	s.handle("POST", v+"/clusters/{cluster}/watch", auth.Viewer, s.watchCluster)

	for _, k := range lakeview.Kinds {
		s.handle("GET", v+"/clusters/{cluster}/"+k.Path, auth.Viewer, s.listObjects(k))
		if k.Namespaced {
			s.handle("GET", v+"/clusters/{cluster}/"+k.Path+"/{namespace}/{name}", auth.Viewer, s.getObject(k))
		} else {
			s.handle("GET", v+"/clusters/{cluster}/"+k.Path+"/{name}", auth.Viewer, s.getObject(k))
		}
	}

	s.handle("GET", v+"/clusters/{cluster}/events", auth.Viewer, s.listEvents)
	s.handle("GET", v+"/clusters/{cluster}/events/{namespace}/{name}", auth.Viewer, s.getEvent)

	s.handle("GET", v+"/anomalies", auth.Viewer, s.listAnomalies(false))
	s.handle("GET", v+"/anomalies/trend", auth.Viewer, s.anomalyTrend(false))
	s.handle("GET", v+"/clusters/{cluster}/anomalies", auth.Viewer, s.listAnomalies(true))
	s.handle("GET", v+"/clusters/{cluster}/anomalies/trend", auth.Viewer, s.anomalyTrend(true))
	s.handle("GET", v+"/clusters/{cluster}/anomalies/{fingerprint}", auth.Viewer, s.getAnomaly)

	s.handle("GET", v+"/clusters/{cluster}/node-metrics", auth.Viewer, s.nodesMetrics)
	s.handle("GET", v+"/clusters/{cluster}/nodes/{name}/metrics", auth.Viewer, s.nodeMetrics)
	s.handle("GET", v+"/clusters/{cluster}/nodes/{name}/metrics/history", auth.Viewer, s.nodeMetricsHistory)

	s.handle("GET", v+"/clusters/{cluster}/timetravel/diff", auth.Viewer, s.diff)
	s.handle("GET", v+"/clusters/{cluster}/timetravel/timeline", auth.Viewer, s.timeline)

	s.handle("POST", v+"/sql", auth.Viewer, s.runSQL)
	s.handle("GET", v+"/sql/schema", auth.Viewer, s.sqlSchema)
	s.handle("GET", v+"/sql/examples", auth.Viewer, s.sqlExamples)

	// Remote operations: submitting needs at least an operator (the
	// action's own role is checked in the handler); reading is open to
	// viewers, the output only to operators and the requester.
	s.handle("GET", v+"/actions", auth.Viewer, s.listActions)
	s.handle("GET", v+"/commands", auth.Viewer, s.listCommands(false))
	s.handle("GET", v+"/clusters/{cluster}/commands", auth.Viewer, s.listCommands(true))
	s.handle("POST", v+"/clusters/{cluster}/commands", auth.Operator, s.submitCommand)
	s.handle("POST", v+"/clusters/{cluster}/commands/parse", auth.Operator, s.parseCommand)
	s.handle("GET", v+"/clusters/{cluster}/commands/{id}", auth.Viewer, s.getCommand)
	s.handle("GET", v+"/clusters/{cluster}/commands/{id}/output", auth.Viewer, s.getOutput)
	s.handle("POST", v+"/clusters/{cluster}/commands/{id}/cancel", auth.Operator, s.cancelCommand)
	s.handle("POST", v+"/clusters/{cluster}/commands/{id}/stop", auth.Operator, s.stopCommand)

	s.handle("GET", v+"/audit", auth.Admin, s.listAudit)

	// Admin: it reveals the bucket's layout and size, per-cluster volumes,
	// agents' errors and the cost of running AtlHyper.
	s.handle("GET", v+"/system/usage", auth.Admin, s.systemUsage)
}

// decode reads a JSON body strictly: the right content type, known fields
// only, one value.
func decode(r *http.Request, v any) *apiError {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send Content-Type: application/json"}
	}
	data, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: fmt.Sprintf("request body over %d bytes", mbe.Limit)}
	}
	if err != nil {
		return badRequest("could not read the body")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return badRequest("invalid JSON body: %s", msg)
	}
	if dec.More() {
		return badRequest("invalid JSON body: more than one value")
	}
	return nil
}

// record writes an audit record for r; the write outlives a client that
// hangs up.
func (s *Server) record(r *http.Request, action, target string, params map[string]any, outcome string, status int) error {
	rec := lake.Audit{
		TS: s.cfg.Now().UTC(), Action: action, Target: target, Params: audit.Mask(params), Outcome: outcome, Status: int32(status),
		SourceIP: s.sourceIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r.Context()),
	}
	if p, ok := principal(r.Context()); ok {
		rec.Actor, rec.Role = p.Username, string(p.Role)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	return s.cfg.Audit.Record(ctx, rec)
}

// recordAs is record with an explicit actor (login, before a principal).
func (s *Server) recordAs(r *http.Request, actor string, role auth.Role, action, target string, params map[string]any, outcome string, status int) error {
	rec := lake.Audit{
		TS: s.cfg.Now().UTC(), Actor: actor, Role: string(role), Action: action, Target: target, Params: audit.Mask(params), Outcome: outcome,
		Status: int32(status), SourceIP: s.sourceIP(r), UserAgent: r.UserAgent(), RequestID: requestID(r.Context()),
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	return s.cfg.Audit.Record(ctx, rec)
}

func outcomeOf(status int) string {
	switch {
	case status < 400:
		return audit.OK
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests:
		return audit.Denied
	}
	return audit.Error
}
