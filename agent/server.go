package agent

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the agent's own endpoints:
//
//	GET /healthz   200 while the process runs
//	GET /readyz    200 when this agent leads and every informer has synced;
//	               503 with the reason otherwise (a standby is not ready, so
//	               a Service routes collectors' pushes to the leader only)
//	GET /metrics   Prometheus metrics from g (when g is not nil)
//
// mounts adds handlers under path prefixes (e.g. the collectors' ingest
// at /v1/node-metrics).
func (a *Agent) Handler(g prometheus.Gatherer, mounts map[string]http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		run := a.current()
		switch {
		case run == nil && a.Leader():
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "starting: leader lease held, informers not started yet")
		case run == nil:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "standing by: not holding the leader lease (another agent holds it, or the store has not answered)")
		case !run.synced.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			unsynced := []string{"discovery"}
			if run.set != nil {
				unsynced = run.set.Unsynced()
			}
			fmt.Fprintf(w, "informers syncing: %s\n", strings.Join(unsynced, ", "))
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	if g != nil {
		r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	}
	for prefix, h := range mounts {
		r.Mount(prefix, h)
	}
	return r
}
