package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

func ptr[T any](v T) *T { return &v }

func samplePod(i int, ts time.Time) Pod {
	created := ts.Add(-time.Hour)
	return Pod{
		Meta: Meta{
			TS: ts, Op: OpUpdate, Kind: "Pod", Namespace: "shop", Name: "web-" + string(rune('a'+i%26)),
			UID: "uid-" + string(rune('a'+i%26)), ResourceVersion: "123", CreatedAt: &created,
			Labels: map[string]string{"app": "web", "tier": "front"}, OwnerKind: "ReplicaSet", OwnerName: "web-5d4",
		},
		Phase: "Running", Node: "node-1", QOSClass: "Burstable", PodIP: "10.0.0.1", Ready: i%2 == 0, Scheduled: true,
		ReadyContainers: 1, TotalContainers: 2, Restarts: int32(i), WaitingReason: "CrashLoopBackOff",
		LastTermReason: "OOMKilled", LastExitCode: ptr(int32(137)), StartTime: &created,
		CPURequestMilli: 250, MemLimitBytes: 512 << 20,
		Containers: []Container{
			{Name: "app", Image: "shop/web:1.2", Ready: true, Restarts: 3, State: "running", StartedAt: &created, LastReason: "OOMKilled", LastExitCode: ptr(int32(137))},
			{Name: "sidecar", Image: "envoy:1.30", State: "waiting", Reason: "CrashLoopBackOff", ExitCode: nil},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	ts := time.Date(2026, 11, 25, 10, 30, 0, 123456000, time.UTC)
	var rows []Pod
	for i := 0; i < 50; i++ {
		rows = append(rows, samplePod(i, ts.Add(time.Duration(49-i)*time.Second)))
	}
	rows[3].Labels = nil
	rows[4].Containers = nil
	rows[5].LastExitCode = nil
	want := append([]Pod(nil), rows...)
	data, meta, err := Pods.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != 50 || !meta.MinTime.Equal(ts) || !meta.MaxTime.Equal(ts.Add(49*time.Second)) {
		t.Fatalf("meta %+v", meta)
	}
	got, gmeta, err := Pods.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if gmeta.Table != "pods" || gmeta.SchemaVersion != ObjectsVersion || gmeta.Rows != 50 {
		t.Fatalf("decoded meta %+v", gmeta)
	}
	Pods.Sort(want)
	if !reflect.DeepEqual(got, want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		t.Fatalf("rows differ")
	}
	// Rows come back sorted by the table's key.
	for i := 1; i < len(got); i++ {
		if Pods.cmp(&got[i-1], &got[i]) > 0 {
			t.Fatalf("row %d out of order", i)
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	data, _, err := NodeMetrics.Encode([]NodeMetric{{TS: time.Now().UTC(), Node: "n", Metric: "m", Value: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("this is not parquet at all, not even close"),
		"truncated": data[:len(data)/2],
		"no footer": data[:len(data)-8],
	} {
		if _, _, err := NodeMetrics.Decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, _, err := Pods.Decode(data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong table: %v, want ErrCorrupt", err)
	}
	if _, err := ReadMeta(bytes.NewReader(data)); err != nil {
		t.Errorf("ReadMeta: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	id := NewULID(time.Now())
	k := ObjectKey{Table: "pods", Cluster: "prod-eu", Date: Day(time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)), Span: "13", Writer: "agent-7f", ID: id}
	got, err := ParseKey(k.Key())
	if err != nil || got != k {
		t.Fatalf("ParseKey(%q) = %+v, %v", k.Key(), got, err)
	}
	if got.Hour() != 13 || !got.Covers(k.Date.Add(13*time.Hour+30*time.Minute), k.Date.Add(14*time.Hour)) || got.Covers(k.Date, k.Date.Add(13*time.Hour)) {
		t.Fatal("hour coverage")
	}
	for _, bad := range []string{
		"pods/cluster=x/date=2026-11-25", "pods/cluster=X/date=2026-11-25/13-agent-" + id.String() + ".parquet",
		"pods/cluster=x/date=2026-13-25/13-agent-" + id.String() + ".parquet",
		"pods/cluster=x/date=2026-11-25/24-agent-" + id.String() + ".parquet",
		"pods/cluster=x/date=2026-11-25/13-" + id.String() + ".parquet",
		"pods/cluster=x/date=2026-11-25/13-agent-notaulid.parquet",
		"pods/cluster=x/date=2026-11-25/13-agent-" + id.String() + ".json",
	} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q): %v, want ErrBadKey", bad, err)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add("pods/cluster=x/date=2026-11-25/13-agent-01JDQ3Z5V4S8K2M7N9P0QRSTUV.parquet")
	f.Add("a/b/c/d")
	f.Fuzz(func(t *testing.T, key string) {
		k, err := ParseKey(key)
		if err == nil && k.Key() != key {
			t.Fatalf("round trip %q -> %q", key, k.Key())
		}
	})
}

// FuzzDecode: objects read back from the store are outside input; a
// corrupt one must give an error, never a panic.
func FuzzDecode(f *testing.F) {
	good, _, err := NodeMetrics.Encode([]NodeMetric{{TS: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Node: "n", Metric: "m", Device: "d", Value: 1.5}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-10])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ReadMeta(bytes.NewReader(data)); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("ReadMeta error not classified: %v", err)
		}
		if _, _, err := NodeMetrics.Decode(data); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Decode error not classified: %v", err)
		}
	})
}

func TestWriterSplitsByHourAndRetries(t *testing.T) {
	ctx := context.Background()
	sink := &flakySink{fail: 1, objects: map[string][]byte{}}
	w, err := NewWriter(WriterConfig{Cluster: "c1", Writer: "test", Sink: sink, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 9, 59, 0, 0, time.UTC)
	Add(w, NodeMetrics, NodeMetric{TS: base, Node: "n", Metric: "m"}, NodeMetric{TS: base.Add(2 * time.Minute), Node: "n", Metric: "m"})
	if err := w.Flush(ctx); err == nil {
		t.Fatal("flush with a failing sink succeeded")
	}
	if st := w.Stats(); st.PendingObjects != 2 || st.Errors != 1 {
		t.Fatalf("after failure: %+v", st)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var spans []string
	for key := range sink.objects {
		k, err := ParseKey(key)
		if err != nil {
			t.Fatal(err)
		}
		spans = append(spans, k.Span)
	}
	sort.Strings(spans)
	if fmt.Sprint(spans) != "[09 10]" || w.Stats().Rows != 2 || w.Stats().PendingObjects != 0 {
		t.Fatalf("spans %v, stats %+v", spans, w.Stats())
	}
}

type flakySink struct {
	mu      sync.Mutex
	fail    int
	objects map[string][]byte
}

func (s *flakySink) Put(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("store down")
	}
	s.objects[key] = data
	return nil
}

// TestWriterBacklogIsBounded: while the sink refuses everything, pending
// objects stay under MaxPendingBytes by dropping the oldest; when the sink
// is back the newest arrive, in order.
func TestWriterBacklogIsBounded(t *testing.T) {
	ctx := context.Background()
	sink := &flakySink{fail: 1 << 30, objects: map[string][]byte{}}
	const limit = 20 << 10
	w, err := NewWriter(WriterConfig{Cluster: "c1", Writer: "test", Sink: sink, MaxPendingBytes: limit, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var lastTS time.Time
	for i := range 60 {
		var rows []NodeMetric
		for j := range 100 {
			lastTS = base.Add(time.Duration(i*100+j) * time.Second)
			rows = append(rows, NodeMetric{TS: lastTS, Node: fmt.Sprintf("n%d", i), Metric: "m", Value: float32(i*j) * 1.37})
		}
		Add(w, NodeMetrics, rows...)
		if err := w.Flush(ctx); err == nil {
			t.Fatal("flush with a failing sink succeeded")
		}
		if st := w.Stats(); st.PendingBytes > limit && st.PendingObjects > 1 {
			t.Fatalf("flush %d: backlog %d bytes in %d objects, over the %d limit", i, st.PendingBytes, st.PendingObjects, limit)
		}
	}
	st := w.Stats()
	if st.DroppedObjects == 0 || st.DroppedRows != st.DroppedObjects*100 {
		t.Fatalf("nothing dropped, or rows miscounted: %+v", st)
	}
	kept := st.PendingObjects
	sink.mu.Lock()
	sink.fail = 0
	sink.mu.Unlock()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.objects) != kept || w.Stats().Rows != int64(kept*100) || int64(kept)+st.DroppedObjects != 60 {
		t.Fatalf("kept %d, wrote %d objects, stats %+v", kept, len(sink.objects), w.Stats())
	}
	var newest time.Time
	for _, data := range sink.objects {
		rows, _, err := NodeMetrics.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.TS.After(newest) {
				newest = r.TS
			}
		}
	}
	if !newest.Equal(lastTS) {
		t.Fatalf("newest row written %v, want the last added %v", newest, lastTS)
	}
}

// TestBlobColumnsCarryNoStatistics: JSON columns get no min/max (which
// would repeat kilobytes of JSON per page and footer); filterable columns
// keep theirs.
func TestBlobColumnsCarryNoStatistics(t *testing.T) {
	ts := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	obj := `{"metadata":{"name":"web-1","annotations":{"note":"` + strings.Repeat("x", 3000) + `"}}}`
	data, _, err := Details.Encode([]Detail{{TS: ts, Op: OpUpdate, Kind: "Pod", Namespace: "shop", Name: "web-1", UID: "u1", Object: obj}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rg := r.MetaData().RowGroup(0)
	for i := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		set, err := cc.StatsSet()
		if err != nil {
			t.Fatal(err)
		}
		switch col := cc.PathInSchema().String(); col {
		case "object":
			if set {
				t.Errorf("column object has statistics")
			}
		case "ts", "name", "namespace":
			if !set {
				t.Errorf("column %s has no statistics", col)
			}
		}
	}
	if len(data) > 2000 {
		t.Errorf("one detail row of 3 KB compressible JSON takes %d bytes", len(data))
	}
}
