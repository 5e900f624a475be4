// Command lambda runs the AtlHyper API on AWS Lambda behind an API Gateway
// HTTP API (payload format 2.0): the same router as the local server.
// Build: GOOS=linux go build -tags lambda.norpc -o bootstrap ./functions/cmd/lambda
// Configuration comes from ATLHYPER_* environment variables; the cache
// lives in /tmp (the only writable place on Lambda).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/atlhyper/atlhyper/functions/app"
	"github.com/atlhyper/atlhyper/functions/lambdahttp"
)

func main() {
	cfg := app.FromEnv()
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(os.TempDir(), "atlhyper-cache")
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = 384 << 20 // Lambda's /tmp is 512 MiB unless configured larger
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	a, err := app.Open(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "atlhyper lambda:", err)
		os.Exit(1)
	}
	lambda.Start(lambdahttp.Handler(a.Handler()))
}
