//go:build ignore

// fleetfill writes a generated fleet into a store for the web end-to-end
// tests, using the API's fleet generator (functions/fleetgen, the real lake
// writers). The e2e harness prefers the agent's simulator (agent/cmd/sim)
// and uses this only when the simulator is not available.
//
//	go run ./web/e2e/fleetfill.go --store file:///tmp/lake
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/query/store"
)

func main() {
	url := flag.String("store", "", "store URL (file:///path)")
	clusters := flag.Int("clusters", 3, "clusters")
	nodes := flag.Int("nodes", 6, "nodes per cluster")
	pods := flag.Int("pods", 240, "pods per cluster")
	hours := flag.Int("hours", 30, "hours of history")
	flag.Parse()
	ctx := context.Background()
	b, err := store.Open(ctx, *url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetfill:", err)
		os.Exit(1)
	}
	spec := fleetgen.Spec{Clusters: *clusters, Nodes: *nodes, Pods: *pods, Namespaces: 5, End: time.Now().UTC().Truncate(time.Second), Hours: *hours,
		ChurnPerHour: 30, AnomaliesPerHour: 3, MetricHours: 3, MetricEvery: time.Minute, DetailHours: 26, Seed: 42}
	if err := fleetgen.Generate(ctx, b, spec); err != nil {
		fmt.Fprintln(os.Stderr, "fleetfill:", err)
		os.Exit(1)
	}
	fmt.Printf("fleetfill: %d clusters × %d nodes × %d pods, %d h of history\n", *clusters, *nodes, *pods, *hours)
}
