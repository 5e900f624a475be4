package main

import (
	"math/rand/v2"
	"testing"

	"github.com/atlhyper/atlhyper/collector/payload"
)

// TestSynthDayIsWhatACollectorSends: the synthesized series are valid,
// unique per timestamp and on the interval grid, so the bytes-per-sample
// figure is about data the agent would accept.
func TestSynthDayIsWhatACollectorSends(t *testing.T) {
	*nodes, *hours = 2, 1
	rows := synthDay(rand.New(rand.NewPCG(1, 0)))
	type key struct {
		ts                   int64
		node, metric, device string
	}
	seen := map[key]bool{}
	series := map[[3]string]bool{}
	for _, r := range rows {
		k := key{r.TS.UnixMilli(), r.Node, r.Metric, r.Device}
		if seen[k] {
			t.Fatalf("duplicate sample %+v", k)
		}
		seen[k] = true
		series[[3]string{r.Node, r.Metric, r.Device}] = true
		if r.TS.UnixMilli()%synthStep.Milliseconds() != 0 {
			t.Fatalf("%v is off the %s grid", r.TS, synthStep)
		}
		if err := payload.ValidMetric(r.Metric); err != nil {
			t.Fatal(err)
		}
		if err := payload.ValidDevice(r.Device); err != nil {
			t.Fatal(err)
		}
		if err := payload.ValidValue(float64(r.Value)); err != nil || r.Value < 0 {
			t.Fatalf("%+v: %v", k, err)
		}
	}
	if want := 3600 / 15 * len(series); len(rows) != want || len(series) != 2*96 { // one hour, every series every 15 s
		t.Fatalf("%d rows in %d series, want %d rows in 192", len(rows), len(series), want)
	}
}
