// Command api runs the AtlHyper API as a local HTTP server (the same
// router the Lambda runs), optionally serving the static web dashboard.
//
//	ATLHYPER_JWT_SECRET=… ATLHYPER_ADMIN_USER=admin ATLHYPER_ADMIN_PASSWORD=… \
//	  go run ./functions/cmd/api --store file:///var/lib/atlhyper --web web/dist
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/functions/app"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := app.FromEnv()
	var origins multi
	listen := flag.String("listen", envOr("ATLHYPER_LISTEN", "127.0.0.1:8080"), "listen address (env ATLHYPER_LISTEN)")
	flag.StringVar(&cfg.StoreURL, "store", cfg.StoreURL, "store URL: file:///path or s3://bucket/prefix?endpoint=host:port&insecure=true (env ATLHYPER_STORE)")
	flag.StringVar(&cfg.CacheDir, "cache-dir", cfg.CacheDir, "local cache of lake objects (env ATLHYPER_CACHE_DIR; default $TMPDIR/atlhyper-cache)")
	flag.StringVar(&cfg.MemoryLimit, "query-memory", cfg.MemoryLimit, "DuckDB memory limit, e.g. 1GB (env ATLHYPER_QUERY_MEMORY)")
	flag.Var(&origins, "cors-origin", "browser origin allowed to call the API (repeatable; env ATLHYPER_CORS_ORIGINS, comma-separated)")
	flag.BoolVar(&cfg.TrustProxy, "trust-proxy", cfg.TrustProxy, "take the client address from X-Forwarded-For (only behind one trusted proxy; env ATLHYPER_TRUST_PROXY)")
	web := flag.String("web", os.Getenv("ATLHYPER_WEB_DIR"), "serve the static web dashboard from this directory (env ATLHYPER_WEB_DIR)")
	logJSON := flag.Bool("log-json", false, "log as JSON")
	flag.Parse()
	cfg.CORSOrigins = append(cfg.CORSOrigins, origins...)
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	cfg.Logger = slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	handler := a.Handler()
	if *web != "" {
		handler, err = withWeb(handler, *web)
		if err != nil {
			return err
		}
	}
	srv := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	cfg.Logger.Info("api listening", "addr", *listen, "store", a.Bucket.String(), "web", *web)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// withWeb serves the dashboard's static files for every path outside
// /api/, falling back to index.html for client-side routes.
func withWeb(api http.Handler, dir string) (http.Handler, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("--web %s: no index.html (build the web first)", dir)
	}
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		p := filepath.Join(dir, filepath.FromSlash(filepath.Clean("/"+r.URL.Path)))
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			http.ServeFile(w, r, filepath.Join(dir, "index.html"))
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}
