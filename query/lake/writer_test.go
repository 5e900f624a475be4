package lake

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// TestWriterEncodesRowGroupsAsRowsCome: a table never holds more than
// GroupRows rows as Go values — the rest wait as encoded row groups — and
// tails and the flush still see every row exactly once, in objects whose
// row groups are each sorted.
func TestWriterEncodesRowGroupsAsRowsCome(t *testing.T) {
	ctx := context.Background()
	sink := &flakySink{objects: map[string][]byte{}}
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	w, err := NewWriter(WriterConfig{Cluster: "c1", Writer: "agent", Sink: sink, GroupRows: 500, MaxAge: time.Hour,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 9, 58, 0, 0, time.UTC) // rows of two hours
	want := map[string]int{}
	for push := range 40 {
		var rows []NodeMetric
		for node := range 5 {
			for m := range 20 {
				r := NodeMetric{TS: base.Add(time.Duration(push) * 15 * time.Second), Node: fmt.Sprintf("n%d", node), Metric: fmt.Sprintf("m.%02d", m), Value: float32(push)}
				rows = append(rows, r)
				want[fmt.Sprint(r)]++
			}
		}
		Add(w, NodeMetrics, rows...)
		b := w.buffers[NodeMetrics.Name()].(*tableBuffer[NodeMetric])
		if len(b.rows) >= 500 {
			t.Fatalf("push %d: %d rows held as values, want fewer than the group size", push, len(b.rows))
		}
	}
	if n := w.Buffered()[NodeMetrics.Name()]; n != 4000 {
		t.Fatalf("buffered %d rows, want 4000", n)
	}
	b := w.buffers[NodeMetrics.Name()].(*tableBuffer[NodeMetric])
	if b.encRows == 0 || len(b.groups) != 2 {
		t.Fatalf("%d rows encoded in %d hours, want row groups in both hours", b.encRows, len(b.groups))
	}

	// A tail holds every row once: the encoded groups as they are, the
	// rest encoded for it.
	m, parts, err := w.Tail()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i, p := range m.Parts {
		rows, _, err := NodeMetrics.Decode(parts[i])
		if err != nil || len(rows) != p.Rows {
			t.Fatalf("tail part %d: %d rows, manifest %d, %v", i, len(rows), p.Rows, err)
		}
		for _, r := range rows {
			if !r.TS.Truncate(time.Hour).Equal(p.Hour) {
				t.Fatalf("tail part of %v holds a row of %v", p.Hour, r.TS)
			}
			got[fmt.Sprint(r)]++
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the tail's rows differ from those added (%d distinct, want %d)", len(got), len(want))
	}

	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got = map[string]int{}
	var keys []string
	for key := range sink.objects {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	if len(keys) != 2 {
		t.Fatalf("objects %v, want one per hour", keys)
	}
	for _, key := range keys {
		data := sink.objects[key]
		rows, meta, err := NodeMetrics.Decode(data)
		if err != nil || meta.Rows != int64(len(rows)) {
			t.Fatalf("%s: %d rows (meta %+v): %v", key, len(rows), meta, err)
		}
		for _, r := range rows {
			got[fmt.Sprint(r)]++
		}
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		start := 0
		for g := range pf.NumRowGroups() {
			n := int(pf.RowGroup(g).NumRows())
			for i := start + 1; i < start+n; i++ {
				if NodeMetrics.cmp(&rows[i-1], &rows[i]) > 0 {
					t.Fatalf("%s: row group %d not sorted at row %d", key, g, i)
				}
			}
			start += n
		}
		if k, _ := ParseKey(key); k.Span == "10" && pf.NumRowGroups() < 2 {
			t.Errorf("%s: %d row groups, want the groups encoded as rows came", key, pf.NumRowGroups())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("the flushed rows differ from those added")
	}
	if n := w.Buffered(); len(n) != 0 {
		t.Fatalf("buffered after the flush: %v", n)
	}
}

// TestWriterAfterFlush: Run calls AfterFlush after a flush that wrote
// objects, and not on the ticks that find nothing due.
func TestWriterAfterFlush(t *testing.T) {
	sink := &flakySink{objects: map[string][]byte{}}
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ticks := make(chan time.Time)
	flushed := make(chan struct{}, 10)
	w, err := NewWriter(WriterConfig{Cluster: "c1", Writer: "agent", Sink: sink, MaxAge: time.Minute,
		Now:        clock,
		NewTicker:  func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} },
		AfterFlush: func() { flushed <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	Add(w, Heartbeats, Heartbeat{TS: clock()})
	ticks <- clock() // not due: the row waits MaxAge
	ticks <- clock() // the first tick has been handled once the second is taken
	if len(flushed) != 0 {
		t.Fatalf("AfterFlush called %d times before anything was due", len(flushed))
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	ticks <- clock()
	<-flushed
	cancel()
	<-done
	if len(sink.objects) != 1 || len(flushed) != 0 {
		t.Fatalf("%d objects written, %d more AfterFlush calls; want 1 object, one call", len(sink.objects), len(flushed))
	}
}
