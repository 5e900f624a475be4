// Command api runs the AtlHyper API as a local HTTP server (the same
// router the Lambda runs), optionally serving the static web dashboard.
//
//	ATLHYPER_JWT_SECRET=… ATLHYPER_ADMIN_USER=admin ATLHYPER_ADMIN_PASSWORD=… \
//	  go run ./functions/cmd/api --store file:///var/lib/atlhyper --web web/dist
//
// Every flag is also ATLHYPER_<FLAG> (internal/cli); secrets come only
// from the environment (app.FromEnv).
// "api admin" is the break-glass recovery of a lost last admin (admin.go);
// "api command-key" makes a key pair for remote operations (commandkey.go);
// "api onboard" prepares a cluster's values for the Helm chart (onboard.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/internal/cli"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "admin":
		err = runAdmin(context.Background(), os.Args[2:], os.Stdin, os.Stderr)
	case len(os.Args) > 1 && os.Args[1] == "command-key":
		err = runCommandKey(os.Args[2:], os.Stdout)
	case len(os.Args) > 1 && os.Args[1] == "onboard":
		err = runOnboard(context.Background(), os.Args[2:], os.Stdout, os.Stderr)
	default:
		err = run()
	}
	if err != nil {
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
