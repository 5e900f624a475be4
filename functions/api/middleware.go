package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/atlhyper/atlhyper/functions/auth"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyPrincipal
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func principal(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(keyPrincipal).(auth.Principal)
	return p, ok
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status for logs.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// base is the outermost middleware: request id, security headers, panic
// recovery and the access log.
func (s *Server) base(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Always our own id: audit records are keyed by it, so a client
		// must not choose it. A client's id is logged beside it.
		rid := newRequestID()
		clientRID := r.Header.Get("X-Request-ID")
		if !requestIDRE.MatchString(clientRID) {
			clientRID = ""
		}
		h := w.Header()
		h.Set("X-Request-ID", rid)
		// API answers are data, never a document: a policy allowing nothing.
		securityHeaders(h, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Cache-Control", "no-store")
		sw := &statusWriter{ResponseWriter: w}
		holder := new(auth.Principal)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, rid), keyPrincipalHolder, holder)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Logger.Error("panic", "request_id", rid, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.fail(sw, r.WithContext(ctx), errors.New("panic"))
				}
			}
			route := chi.RouteContext(ctx)
			pattern := ""
			if route != nil {
				pattern = route.RoutePattern()
			}
			user := holder.Username
			s.cfg.Logger.Info("request", "request_id", rid, "client_request_id", clientRID, "method", r.Method, "route", pattern, "status", sw.status,
				"bytes", sw.bytes, "ms", float64(time.Since(start).Microseconds())/1000, "user", user)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// keyPrincipalHolder carries a pointer the auth middleware fills, so the
// access log (outside the route) can name the user.
const keyPrincipalHolder ctxKey = 99

// cors answers preflights and sets CORS headers for configured origins
// only. Tokens travel in the Authorization header, never in cookies, so
// credentials are not allowed.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		allowed := origin != "" && slices.Contains(s.cfg.CORSOrigins, origin)
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After, X-AtlHyper-Row-Count, X-AtlHyper-Truncated, X-AtlHyper-Output-Type, Content-Disposition, ETag, Date, "+AsOfHeader)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				s.fail(w, r, &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "origin not allowed"})
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID, If-None-Match, Idempotency-Key")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sourceIP is the client address: the socket peer, or with TrustProxy the
// address the (one, trusted) proxy appended last to X-Forwarded-For. The
// Lambda adapter sets RemoteAddr from API Gateway's sourceIp.
func (s *Server) sourceIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return "unknown"
}

// authenticate requires a valid access token and at least role need.
func (s *Server) authenticate(need auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			scheme, tok, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				s.fail(w, r, errUnauthorized)
				return
			}
			p, err := s.cfg.Auth.Authenticate(r.Context(), strings.TrimSpace(tok))
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if holder, ok := r.Context().Value(keyPrincipalHolder).(*auth.Principal); ok {
				*holder = p
			}
			if !p.Role.Allows(need) {
				s.fail(w, r, errForbidden)
				return
			}
			if !s.users.allow(p.Username, s.cfg.Now()) {
				s.fail(w, r, errUserRate)
				return
			}
			if reconstructs(r) {
				release, ok := s.users.reconstruction(r.Context(), p.Username)
				if !ok {
					s.fail(w, r, errUserReconstructions)
					return
				}
				defer release()
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
		})
	}
}

// limitBody bounds request bodies.
func (s *Server) limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				s.fail(w, r, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: fmt.Sprintf("request body over %d bytes", n)})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}
