// Command lambda runs the AtlHyper API on AWS Lambda behind an API Gateway
// HTTP API (payload format 2.0): the same router as the local server.
// Build: GOOS=linux go build -tags lambda.norpc -o bootstrap ./functions/cmd/lambda
// Configuration comes from ATLHYPER_* environment variables (the local
// server's flags, internal/cli); the cache lives in /tmp (the only
// writable place on Lambda).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/lambdahttp"
	"github.com/atlhyper/atlhyper/internal/cli"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "atlhyper lambda:", err)
		os.Exit(1)
	}
}

// run configures the API from the environment alone: the same settings as
// the local server's flags, as ATLHYPER_<FLAG> (internal/cli).
func run() error {
	cfg := app.FromEnv()
	var err error
	if cfg.Logger, err = cli.Setup("lambda", nil, cfg.Flags); err != nil {
		return err
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(os.TempDir(), "atlhyper-cache")
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = 384 << 20 // Lambda's /tmp is 512 MiB unless configured larger
	}
	a, err := app.Open(context.Background(), cfg)
	if err != nil {
		return err
	}
	lambda.Start(lambdahttp.Handler(a.Handler()))
	return nil
}
