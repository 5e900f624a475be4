package lake

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// randomRows fills n rows of R with values of every shape the codec
// knows: nil, empty and full lists and maps, nil and set pointers, and
// strings from a small vocabulary so dictionaries form.
func randomRows[R any](r *rand.Rand, n int) []R {
	rows := make([]R, n)
	for i := range rows {
		fill(r, reflect.ValueOf(&rows[i]).Elem())
	}
	return rows
}

// moderateInts keeps integers within ±2^20: arrow-go cannot decode the
// int32 delta encodings DuckDB writes for values spanning the whole range.
var moderateInts bool

var words = []string{"", "a", "web", "kube-system", "node-1", "Running", "CrashLoopBackOff", "10.0.0.1", "ünïcode ✓",
	`{"k":"v"}`, "a much longer value that will not fit in any small string optimisation whatsoever"}

func fill(r *rand.Rand, v reflect.Value) {
	if v.Type() == timeType {
		t := time.UnixMicro(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).UnixMicro() + r.Int64N(int64(48*time.Hour/time.Microsecond))).UTC()
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i))
			}
		}
	case reflect.Pointer:
		if r.IntN(3) == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem())
		v.Set(p)
	case reflect.Slice:
		switch r.IntN(5) {
		case 0:
			return // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), 1+r.IntN(3), 3)
			for i := 0; i < s.Len(); i++ {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		switch r.IntN(5) {
		case 0:
			return
		default:
			m := reflect.MakeMap(v.Type())
			for range r.IntN(4) {
				m.SetMapIndex(reflect.ValueOf(words[r.IntN(len(words))]), reflect.ValueOf(words[r.IntN(len(words))]))
			}
			v.Set(m)
		}
	case reflect.String:
		v.SetString(words[r.IntN(len(words))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		half := int64(1) << (min(v.Type().Bits(), 63) - 1)
		if moderateInts {
			half = min(half, 1<<20)
		}
		v.SetInt(r.Int64N(half) - r.Int64N(half))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(float32(r.NormFloat64() * 1000)))
	}
}

// checkTable encodes random rows of t both ways (column writers and the
// former Arrow path) and decodes them back.
func checkTable[R any](t *testing.T, tbl *Table[R], seed uint64) {
	t.Run(tbl.name, func(t *testing.T) {
		r := rand.New(rand.NewPCG(seed, 1))
		for _, n := range []int{1, 7, 300, 5000} {
			rows := randomRows[R](r, n)
			data, meta, err := tbl.Encode(rows) // sorts rows
			if err != nil {
				t.Fatal(err)
			}
			want, err := oracleEncode(tbl, rows, meta, levelFresh)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want) {
				if diff := sameButNestedStats(data, want); diff != "" {
					t.Errorf("%d rows: %d bytes, Arrow's writer wrote %d other bytes: %s", n, len(data), len(want), diff)
				}
			}
			got, gmeta, err := tbl.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if gmeta.Rows != int64(n) || !gmeta.MinTime.Equal(meta.MinTime) || !gmeta.MaxTime.Equal(meta.MaxTime) {
				t.Errorf("meta %+v, want %+v", gmeta, meta)
			}
			for i := range rows {
				if !reflect.DeepEqual(got[i], rows[i]) {
					t.Fatalf("%d rows: row %d:\n got %+v\nwant %+v", n, i, got[i], rows[i])
				}
			}
		}
	})
}

// sameButNestedStats accepts the one way the column writers' objects
// differ from the Arrow path's: the statistics of nested column chunks
// where some entries are null. Arrow's spaced writes left some of those
// without min/max although they hold values, and gave chunks without any
// value an inverted min/max (MaxInt, MinInt); the column writers state
// min/max exactly when a value exists. Everything else in the footer —
// schema, key-value metadata, row groups, encodings, value and null
// counts, the statistics and sizes of every other chunk — must be equal;
// it describes what differs.
func sameButNestedStats(data, want []byte) string {
	a, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return err.Error()
	}
	b, err := file.NewParquetReader(bytes.NewReader(want))
	if err != nil {
		return err.Error()
	}
	ma, mb := a.MetaData(), b.MetaData()
	if !ma.Schema.Equals(mb.Schema) || !ma.KeyValueMetadata().Equals(mb.KeyValueMetadata()) || ma.NumRowGroups() != mb.NumRowGroups() {
		return "schema, key-value metadata or row groups differ"
	}
	quirks := 0
	for g := 0; g < ma.NumRowGroups(); g++ {
		for c := 0; c < ma.RowGroup(g).NumColumns(); c++ {
			ca, _ := ma.RowGroup(g).ColumnChunk(c)
			cb, _ := mb.RowGroup(g).ColumnChunk(c)
			sa, _ := ca.Statistics()
			sb, _ := cb.Statistics()
			path := ca.PathInSchema().String()
			if ca.NumValues() != cb.NumValues() || fmt.Sprint(ca.Encodings()) != fmt.Sprint(cb.Encodings()) || sa.NullCount() != sb.NullCount() {
				return fmt.Sprintf("column %s differs", path)
			}
			same := sa.HasMinMax() == sb.HasMinMax() && bytes.Equal(sa.EncodeMin(), sb.EncodeMin()) && bytes.Equal(sa.EncodeMax(), sb.EncodeMax())
			if same && ca.TotalCompressedSize() == cb.TotalCompressedSize() {
				continue
			}
			nested := strings.Contains(path, ".")
			inverted := sb.HasMinMax() && sb.NullCount() == cb.NumValues() && !sa.HasMinMax()
			missing := !sb.HasMinMax() && sa.HasMinMax() && sa.NullCount() < ca.NumValues()
			if !nested || sb.NullCount() == 0 || !(inverted || missing) {
				return fmt.Sprintf("column %s: statistics or size differ", path)
			}
			quirks++
		}
	}
	if quirks == 0 {
		return "the bytes differ, the footers do not"
	}
	return ""
}

// TestCodecMatchesArrow proves the lake format unchanged by the move from
// pqarrow to column writers: for every table, random rows of every shape
// encode to the very bytes the Arrow path wrote (but for the statistics of
// some nested column chunks with nulls: sameButNestedStats), and decode to
// themselves.
func TestCodecMatchesArrow(t *testing.T) {
	checkTable(t, Pods, 1)
	checkTable(t, Nodes, 2)
	checkTable(t, Workloads, 3)
	checkTable(t, Objects, 4)
	checkTable(t, Details, 5)
	checkTable(t, Events, 6)
	checkTable(t, Anomalies, 7)
	checkTable(t, NodeMetrics, 8)
	checkTable(t, Heartbeats, 9)
	checkTable(t, AuditLog, 10)
	for _, tb := range All() {
		data, err := tb.Empty()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReadMeta(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: empty object: %v", tb.Name(), err)
		}
	}
}

// TestEncoderRowGroups writes an object a row group at a time: every
// group decodes, in order, and a snapshot taken between groups is a
// complete object holding the groups written so far.
func TestEncoderRowGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	e, err := Pods.newEncoder(levelFresh)
	if err != nil {
		t.Fatal(err)
	}
	var all []Pod
	for g := range 4 {
		rows := randomRows[Pod](r, 100+g)
		Pods.Sort(rows)
		if err := e.writeGroup(rows); err != nil {
			t.Fatal(err)
		}
		all = append(all, rows...)
		snap, err := e.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		got, meta, err := Pods.Decode(snap)
		if err != nil {
			t.Fatalf("snapshot after group %d: %v", g, err)
		}
		if meta.Table != "pods" || len(got) != len(all) || !reflect.DeepEqual(got, all) {
			t.Fatalf("snapshot after group %d: %d rows, want %d (%+v)", g, len(got), len(all), meta)
		}
	}
	data, meta, err := e.finish()
	if err != nil {
		t.Fatal(err)
	}
	got, gmeta, err := Pods.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != int64(len(all)) || gmeta.Rows != meta.Rows || !reflect.DeepEqual(got, all) {
		t.Fatalf("finished object: %d rows (meta %d), want %d", len(got), meta.Rows, len(all))
	}
}

func ExampleTable_Decode() {
	data, _, _ := NodeMetrics.Encode([]NodeMetric{{TS: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Node: "n1", Metric: "cpu.user_pct", Value: 12.5}})
	rows, meta, _ := NodeMetrics.Decode(data)
	fmt.Println(meta.Rows, rows[0].Node, rows[0].Metric, rows[0].Value)
	// Output: 1 n1 cpu.user_pct 12.5
}
