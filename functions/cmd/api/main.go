// Command api runs the AtlHyper API as a local HTTP server (the same
// router the Lambda runs), optionally serving the static web dashboard.
//
//	ATLHYPER_JWT_SECRET=… ATLHYPER_ADMIN_USER=admin ATLHYPER_ADMIN_PASSWORD=… \
//	  go run ./functions/cmd/api --store file:///var/lib/atlhyper --web web/dist
//
// Every flag is also ATLHYPER_<FLAG> (internal/cli); secrets come only
// from the environment (app.FromEnv).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/internal/cli"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := app.FromEnv()
	var listen, web *string
	var err error
	cfg.Logger, err = cli.Setup("api", os.Args[1:], func(fs *flag.FlagSet) {
		cfg.Flags(fs)
		listen = fs.String("listen", "127.0.0.1:8080", "listen address")
		web = fs.String("web", "", "serve the static web dashboard from this directory")
	})
	if err != nil {
		return err
	}

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
