package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/atlhyper/atlhyper/internal/nodesynth"
	"github.com/atlhyper/atlhyper/query/lake"
)

// synthStep is the synthesized day's interval: the collector's default,
// whatever -interval the live run uses.
const synthStep = 15 * time.Second

// bytesPerSample encodes a synthesized cluster-day as one node_metrics
// object (what daily compaction writes) and divides its size by its rows.
func bytesPerSample() (float64, error) {
	start := time.Now()
	rows := synthDay(rand.New(rand.NewPCG(uint64(*seed), 0)))
	n := len(rows)
	data, _, err := lake.NodeMetrics.Encode(rows)
	if err != nil {
		return 0, fmt.Errorf("encode: %w", err)
	}
	steps := *hours * 3600 / int(synthStep.Seconds())
	progress("synthesized %d nodes × %d h at %s: %d samples in %d series, %.2f MB as one object (%s)",
		*nodes, *hours, synthStep, n, n/steps, float64(len(data))/1e6, time.Since(start).Round(time.Millisecond))
	return float64(len(data)) / float64(n), nil
}

// synthDay is a day of every series of *nodes busy cloud nodes
// (internal/nodesynth).
func synthDay(r *rand.Rand) []lake.NodeMetric {
	steps := *hours * 3600 / int(synthStep.Seconds())
	day := lake.Day(time.Now()).AddDate(0, 0, -1)
	rows := make([]lake.NodeMetric, 0, *nodes*steps*100)
	for n := range *nodes {
		node := nodesynth.NewNode(r, nodesynth.NodeName(n), *cores, synthStep)
		for i := range steps {
			ts := day.Add(time.Duration(i) * synthStep)
			for _, s := range node.Step(i, steps) {
				rows = append(rows, lake.NodeMetric{TS: ts, Node: node.Name, Metric: s.Metric, Device: s.Device, Value: float32(s.Value)})
			}
		}
	}
	return rows
}
