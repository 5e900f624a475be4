// Command scheduler runs AtlHyper's scheduled functions (compaction and
// retention, the lake inventory).
//
// Locally it loops: every job at start, then at its interval. On AWS Lambda
// (detected by AWS_LAMBDA_RUNTIME_API) each invocation runs the job named in
// the event, e.g. an EventBridge schedule with input {"job": "compact"};
// build with `-tags lambda.norpc` as `bootstrap`. Every flag is also
// ATLHYPER_<FLAG> (internal/cli).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/internal/cli"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run() error {
	var storeURL, retention, workDir, once *string
	var compactEvery, inventoryEvery *time.Duration
	log, err := cli.Setup("scheduler", os.Args[1:], func(fs *flag.FlagSet) {
		storeURL = fs.String("store", "", "store URL")
		compactEvery = fs.Duration("compact-every", 15*time.Minute, "compaction interval")
		inventoryEvery = fs.Duration("inventory-every", time.Hour, "inventory interval")
		retention = fs.String("retention", "", "per-table retention in days, e.g. pods=14,node_metrics=30")
		workDir = fs.String("work-dir", os.TempDir(), "scratch space for merges")
		once = fs.String("once", "", "run this job once and exit (compact, inventory)")
	})
	if err != nil {
		return err
	}
	if *storeURL == "" {
		return fmt.Errorf("no store: set --store or ATLHYPER_STORE")
	}
	if *compactEvery <= 0 || *inventoryEvery <= 0 {
		return fmt.Errorf("--compact-every and --inventory-every must be positive")
	}
	ret, err := parseRetention(*retention)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	b, err := store.Open(ctx, *storeURL)
	if err != nil {
		return err
	}
	jobs := map[string]schedule.Job{
		schedule.JobCompact:   schedule.Compaction(compact.Config{WorkDir: *workDir, Retention: ret, Logger: log}, *compactEvery),
		schedule.JobInventory: schedule.InventoryJob(*inventoryEvery),
	}
	switch {
	case os.Getenv("AWS_LAMBDA_RUNTIME_API") != "":
		lambda.Start(func(ctx context.Context, event json.RawMessage) (*schedule.Status, error) {
			var in struct {
				Job string `json:"job"`
			}
			json.Unmarshal(event, &in)
			j, ok := jobs[in.Job]
			if !ok {
				return nil, fmt.Errorf("unknown job %q (compact, inventory)", in.Job)
			}
			st := schedule.RunOnce(ctx, b, j, log)
			return &st, nil
		})
		return nil
	case *once != "":
		j, ok := jobs[*once]
		if !ok {
			return fmt.Errorf("unknown job %q (compact, inventory)", *once)
		}
		if st := schedule.RunOnce(ctx, b, j, log); !st.OK {
			return fmt.Errorf("%s: %s", st.Job, st.Error)
		}
		return nil
	}
	log.Info("scheduler running", "store", b.String(), "compact_every", *compactEvery, "inventory_every", *inventoryEvery)
	schedule.Loop(ctx, b, []schedule.Job{jobs[schedule.JobCompact], jobs[schedule.JobInventory]}, log)
	return nil
}

func parseRetention(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		table, days, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(days)
		if !ok || err != nil {
			return nil, fmt.Errorf("retention %q: want table=days", kv)
		}
		out[table] = n
	}
	return out, nil
}
