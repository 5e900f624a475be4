package api

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// healthCache remembers the store check for a few seconds so that health
// probes cost the store almost nothing.
type healthCache struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	now := s.cfg.Now()
	s.health.mu.Lock()
	if now.Sub(s.health.at) > 5*time.Second {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		_, err := s.cfg.Bucket.Stat(ctx, lake.SysPrefix+"health")
		cancel()
		if store.IsNotFound(err) {
			err = nil
		}
		s.health.at, s.health.err = now, err
	}
	err := s.health.err
	s.health.mu.Unlock()
	body := map[string]any{"status": "ok", "version": s.cfg.Version, "time": now.UTC()}
	if err != nil {
		body["status"] = "unavailable"
		w.Header().Set("Retry-After", "5")
		return withStatus{http.StatusServiceUnavailable, body}, nil
	}
	return body, nil
}

func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request) (any, error) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	return raw{bytes.NewReader(openAPI)}, nil
}

// systemUsage is self-monitoring: what AtlHyper keeps and does in the
// store and what that costs (functions/usage).
func (s *Server) systemUsage(_ http.ResponseWriter, r *http.Request) (any, error) {
	return s.cfg.Usage.Report(r.Context())
}
