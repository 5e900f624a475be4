package lake

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestTailHoldsEveryUnflushedRowOnce: a tail has exactly the rows a reader
// cannot find in the store yet — buffered rows and objects the sink has not
// accepted — and after the flush the objects it lists as recent and newer
// than its moment are exactly those that took its rows.
func TestTailHoldsEveryUnflushedRowOnce(t *testing.T) {
	ctx := context.Background()
	sink := &flakySink{fail: 1, objects: map[string][]byte{}}
	var mu sync.Mutex
	now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w, err := NewWriter(WriterConfig{Cluster: "c1", Writer: "agent", Sink: sink, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 9, 59, 0, 0, time.UTC)
	Add(w, NodeMetrics, NodeMetric{TS: base, Node: "n1", Metric: "m"}, NodeMetric{TS: base.Add(2 * time.Minute), Node: "n1", Metric: "m"})
	if err := w.Flush(ctx); err == nil {
		t.Fatal("flush with a failing sink succeeded")
	}
	tick(time.Second)
	Add(w, NodeMetrics, NodeMetric{TS: base.Add(3 * time.Minute), Node: "n2", Metric: "m"})
	Add(w, Pods, Pod{Meta: Meta{TS: base.Add(4 * time.Minute), Op: OpAdd, UID: "u1", Name: "p1", Namespace: "ns"}})

	m, data, err := w.Tail()
	if err != nil {
		t.Fatal(err)
	}
	m.Instance = "agent-0"
	archive, err := EncodeTail(m, data)
	if err != nil {
		t.Fatal(err)
	}
	got, parts, err := DecodeTail("c1", archive)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AsOf.Equal(clock()) || got.Instance != "agent-0" || got.Writer != "agent" {
		t.Fatalf("manifest %+v", got)
	}
	var metrics, pods, pending int
	for i, p := range got.Parts {
		switch p.Table {
		case NodeMetrics.Name():
			rows, _, err := NodeMetrics.Decode(parts[i])
			if err != nil || len(rows) != p.Rows {
				t.Fatalf("part %d: %d rows, manifest says %d: %v", i, len(rows), p.Rows, err)
			}
			for _, r := range rows {
				if !r.TS.UTC().Truncate(time.Hour).Equal(p.Hour) {
					t.Fatalf("part %d of hour %v holds a row of %v", i, p.Hour, r.TS)
				}
			}
			metrics += len(rows)
		case Pods.Name():
			rows, _, err := Pods.Decode(parts[i])
			if err != nil || len(rows) != 1 || rows[0].UID != "u1" {
				t.Fatalf("pods part: %+v %v", rows, err)
			}
			pods++
		}
		if p.Pending != "" {
			pending++
		}
	}
	if metrics != 3 || pods != 1 || pending != 2 {
		t.Fatalf("tail has %d metric rows, %d pod rows, %d pending objects; want 3, 1, 2", metrics, pods, pending)
	}
	if n := w.Buffered(); n[NodeMetrics.Name()] != 1 || n[Pods.Name()] != 1 {
		t.Fatalf("the tail emptied the buffers: %v", n)
	}

	// The flush takes the rows: every object it stores is newer than the
	// tail, or was listed in it as pending.
	tick(time.Second)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	pendingKeys := map[string]bool{}
	for _, p := range got.Parts {
		if p.Pending != "" {
			pendingKeys[p.Pending] = true
		}
	}
	for key := range sink.objects {
		k, err := ParseKey(key)
		if err != nil {
			t.Fatal(err)
		}
		if !pendingKeys[key] && !NewerThan(k, "agent", got.AsOf) {
			t.Fatalf("object %s holds tail rows but is not newer than the tail (%v)", key, got.AsOf)
		}
		if NewerThan(k, "compact", got.AsOf) {
			t.Fatal("NewerThan ignored the writer")
		}
	}
	m2, data2, err := w.Tail()
	if err != nil || len(m2.Parts) != 0 || len(data2) != 0 {
		t.Fatalf("tail after a flush: %+v %v", m2, err)
	}
	var stored []string
	for key := range sink.objects {
		stored = append(stored, key)
	}
	sort.Strings(stored)
	recent := append([]string(nil), m2.Recent...)
	sort.Strings(recent)
	if len(stored) != 4 || len(recent) != 4 {
		t.Fatalf("stored %v, recent %v", stored, recent)
	}
	for i := range stored {
		if stored[i] != recent[i] {
			t.Fatalf("stored %v, recent %v", stored, recent)
		}
	}
	tick(recentWindow + time.Second)
	if m3, _, _ := w.Tail(); len(m3.Recent) != 0 {
		t.Fatalf("recent keys outlived the window: %v", m3.Recent)
	}
}

func TestDecodeTailRefuses(t *testing.T) {
	good := TailManifest{Cluster: "c1", Writer: "agent", AsOf: time.Now()}
	part, _, err := NodeMetrics.Encode([]NodeMetric{{TS: time.Date(2026, 1, 1, 1, 5, 0, 0, time.UTC), Node: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	cases := map[string]func(m *TailManifest){
		"other cluster": func(m *TailManifest) { m.Cluster = "c2" },
		"no as_of":      func(m *TailManifest) { m.AsOf = time.Time{} },
		"bad writer":    func(m *TailManifest) { m.Writer = "Agent/../x" },
		"unknown table": func(m *TailManifest) { m.Parts = []TailPart{{Table: "users", Hour: hour}} },
		"unaligned":     func(m *TailManifest) { m.Parts = []TailPart{{Table: "node_metrics", Hour: hour.Add(time.Minute)}} },
		"pending elsewhere": func(m *TailManifest) {
			m.Parts = []TailPart{{Table: "node_metrics", Hour: hour, Pending: "node_metrics/cluster=c2/date=2026-01-01/01-agent-01JD0000000000000000000000.parquet"}}
		},
		"recent elsewhere": func(m *TailManifest) { m.Recent = []string{"_sys/users/admin.json"} },
	}
	for name, mutate := range cases {
		m := good
		mutate(&m)
		var datas [][]byte
		for range m.Parts {
			datas = append(datas, part)
		}
		archive, err := EncodeTail(m, datas)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := DecodeTail("c1", archive); !errors.Is(err, ErrBadTail) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := DecodeTail("c1", []byte("not a zip")); !errors.Is(err, ErrBadTail) {
		t.Errorf("garbage: %v", err)
	}
	m := good
	m.Parts = []TailPart{{Table: "node_metrics", Hour: hour}}
	archive, err := EncodeTail(m, [][]byte{part})
	if err != nil {
		t.Fatal(err)
	}
	if _, parts, err := DecodeTail("c1", archive); err != nil || len(parts) != 1 {
		t.Fatalf("good tail refused: %v", err)
	}
}

func FuzzDecodeTail(f *testing.F) {
	part, _, _ := NodeMetrics.Encode([]NodeMetric{{TS: time.Date(2026, 1, 1, 1, 5, 0, 0, time.UTC), Node: "n"}})
	m := TailManifest{Cluster: "c1", Writer: "agent", AsOf: time.Date(2026, 1, 1, 1, 6, 0, 0, time.UTC),
		Parts: []TailPart{{Table: "node_metrics", Hour: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), Rows: 1}}}
	archive, _ := EncodeTail(m, [][]byte{part})
	f.Add(archive)
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, parts, err := DecodeTail("c1", data)
		if err != nil {
			if !errors.Is(err, ErrBadTail) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if m.Cluster != "c1" || len(parts) != len(m.Parts) {
			t.Fatalf("accepted inconsistent tail %+v", m)
		}
	})
}
