// Command api runs the AtlHyper API as a local HTTP server (the same
// router the Lambda runs), optionally serving the static web dashboard.
//
//	ATLHYPER_JWT_SECRET=… ATLHYPER_ADMIN_USER=admin ATLHYPER_ADMIN_PASSWORD=… \
//	  go run ./functions/cmd/api --store file:///var/lib/atlhyper --web web/dist
//
// "api admin" is the break-glass recovery of a lost last admin (admin.go).
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
	"strings"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/app"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		err = runAdmin(context.Background(), os.Args[2:], os.Stdin, os.Stderr)
	} else {
		err = run()
	}
	if err != nil {
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
		handler, err = api.WebHandler(handler, *web)
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
