package lake

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkEncodeNodeMetrics(b *testing.B) {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var rows []NodeMetric
	for n := 0; n < 6; n++ {
		for s := 0; s < 60; s++ {
			for i := 0; i < 240; i++ {
				rows = append(rows, NodeMetric{TS: start.Add(time.Duration(i) * 15 * time.Second), Node: fmt.Sprintf("node-%d", n), Metric: fmt.Sprintf("m%d", s), Device: "", Value: float32(i % 7)})
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := append([]NodeMetric(nil), rows...)
		if _, _, err := NodeMetrics.Encode(in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSortTimeMajor sorts rows in the order an agent receives them
// (all series at t, then all at t+15 s), which is not the stored order.
func BenchmarkSortTimeMajor(b *testing.B) {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var rows []NodeMetric
	for i := 0; i < 240; i++ {
		for n := 0; n < 6; n++ {
			for s := 0; s < 60; s++ {
				rows = append(rows, NodeMetric{TS: start.Add(time.Duration(i) * 15 * time.Second), Node: fmt.Sprintf("node-%d", n), Metric: fmt.Sprintf("m%d", s), Value: float32(i % 7)})
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := append([]NodeMetric(nil), rows...)
		NodeMetrics.Sort(in)
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
