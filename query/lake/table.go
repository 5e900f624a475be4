package lake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Table is one lake table whose rows are Go structs of type R.
type Table[R any] struct {
	name      string
	version   int
	doc       string
	retention int // default retention in days
	codec     *codec
	cmp       func(a, b *R) int
	timeOf    func(*R) time.Time
	sortKey   []string
}

// AnyTable is what code that handles every table alike (the query engine,
// compaction, the docs) needs to know about a table.
type AnyTable interface {
	Name() string
	Version() int
	Doc() string
	Schema() *arrow.Schema
	SortKey() []string
	DefaultRetentionDays() int
	// Merge decodes objects of this table, sorts all their rows and encodes
	// them as one object whose footer records meta.Inputs. It holds every
	// row in memory: for small merges (compaction uses DuckDB, which sorts
	// out of core, for large ones).
	Merge(inputs [][]byte, inputNames []string) ([]byte, ObjectMeta, error)
	// Empty is a zero-row object with the current schema: readers union
	// it with the data so that every column exists even when all data
	// objects predate it.
	Empty() ([]byte, error)
}

func newTable[R any](name string, version, retention int, doc string, timeOf func(*R) time.Time, keys ...sortKey[R]) *Table[R] {
	c, err := newCodec(reflect.TypeFor[R]())
	if err != nil {
		panic(err) // a programming error in the row type; caught by every test
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	cmpFn := func(a, b *R) int {
		for _, k := range keys { // stop at the first difference
			if c := k.cmp(a, b); c != 0 {
				return c
			}
		}
		return 0
	}
	return &Table[R]{name: name, version: version, doc: doc, retention: retention, codec: c, cmp: cmpFn, timeOf: timeOf, sortKey: names}
}

// sortKey is one column of a table's sort order.
type sortKey[R any] struct {
	name string
	cmp  func(a, b *R) int
}

func strKey[R any](name string, f func(*R) string) sortKey[R] {
	return sortKey[R]{name, func(a, b *R) int { return strings.Compare(f(a), f(b)) }}
}

func timeKey[R any](name string, f func(*R) time.Time) sortKey[R] {
	return sortKey[R]{name, func(a, b *R) int { return f(a).Compare(f(b)) }}
}

func intKey[R any, I cmp.Ordered](name string, f func(*R) I) sortKey[R] {
	return sortKey[R]{name, func(a, b *R) int { return cmp.Compare(f(a), f(b)) }}
}

func (t *Table[R]) Name() string              { return t.name }
func (t *Table[R]) Version() int              { return t.version }
func (t *Table[R]) Doc() string               { return t.doc }
func (t *Table[R]) Schema() *arrow.Schema     { return t.codec.schema }
func (t *Table[R]) SortKey() []string         { return t.sortKey }
func (t *Table[R]) DefaultRetentionDays() int { return t.retention }

// Time is the row's partitioning time.
func (t *Table[R]) Time(r *R) time.Time { return t.timeOf(r) }

// Sort orders rows by the table's sort key, the order in which they are
// stored so that dictionary, RLE and delta encodings find long runs.
func (t *Table[R]) Sort(rows []R) {
	// Sort indices, then permute once: rows are wide structs, and moving
	// them at every step of the sort costs more than comparing them.
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := t.cmp(&rows[a], &rows[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b) // ties keep their input order
	})
	sorted := make([]R, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

// ObjectMeta is the key-value metadata every lake object carries in its
// Parquet footer.
type ObjectMeta struct {
	Table         string    `json:"table"`
	SchemaVersion int       `json:"schema_version"`
	Rows          int64     `json:"rows"`
	MinTime       time.Time `json:"min_ts"`
	MaxTime       time.Time `json:"max_ts"`
	// Inputs are the object names (within the same partition) a compacted
	// object replaces; readers hide them once this object exists.
	Inputs []string `json:"inputs,omitempty"`
}

const (
	metaTable   = "atlhyper.table"
	metaVersion = "atlhyper.schema_version"
	metaRows    = "atlhyper.rows"
	metaMin     = "atlhyper.min_ts"
	metaMax     = "atlhyper.max_ts"
	metaInputs  = "atlhyper.inputs"
)

// rowGroupRows bounds a row group; whole objects usually fit in one.
const rowGroupRows = 1 << 20

// ZSTD levels: writers favour speed (objects live for an hour or two);
// compaction's merged objects are what stays at rest.
const (
	levelFresh  = 1
	levelMerged = 7
)

func (t *Table[R]) writerProps(level int) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(level),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithVersion(parquet.V2_LATEST),
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithCreatedBy("atlhyper"),
	}
	for _, f := range t.codec.fields {
		if f.nodict {
			opts = append(opts, parquet.WithDictionaryFor(f.columnPath(), false))
		}
		if f.nostats {
			opts = append(opts, parquet.WithStatsFor(f.columnPath(), false))
		}
		if f.hasEnc {
			opts = append(opts, parquet.WithEncodingFor(f.columnPath(), f.encoding))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

// Encode sorts rows (in place) and returns them as one Parquet object.
func (t *Table[R]) Encode(rows []R) ([]byte, ObjectMeta, error) {
	t.Sort(rows)
	meta := ObjectMeta{Table: t.name, SchemaVersion: t.version, Rows: int64(len(rows))}
	for i := range rows {
		ts := t.timeOf(&rows[i])
		if meta.MinTime.IsZero() || ts.Before(meta.MinTime) {
			meta.MinTime = ts
		}
		if ts.After(meta.MaxTime) {
			meta.MaxTime = ts
		}
	}
	data, err := t.encodeSorted(rows, meta, levelFresh)
	return data, meta, err
}

func (t *Table[R]) encodeSorted(rows []R, meta ObjectMeta, level int) ([]byte, error) {
	mem := memory.NewGoAllocator()
	rb := array.NewRecordBuilder(mem, t.codec.schema)
	defer rb.Release()
	rb.Reserve(len(rows))
	builders := rb.Fields()
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for k, f := range t.codec.fields {
			f.conv.append(builders[k], v.FieldByIndex(f.index))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()

	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(t.codec.schema, &buf, t.writerProps(level), pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, fmt.Errorf("%s: new writer: %w", t.name, err)
	}
	if err := w.WriteBuffered(rec); err != nil {
		return nil, fmt.Errorf("%s: write: %w", t.name, err)
	}
	kv := map[string]string{
		metaTable: t.name, metaVersion: strconv.Itoa(t.version), metaRows: strconv.FormatInt(meta.Rows, 10),
		metaMin: meta.MinTime.UTC().Format(time.RFC3339Nano), metaMax: meta.MaxTime.UTC().Format(time.RFC3339Nano),
	}
	if len(meta.Inputs) > 0 {
		in, _ := json.Marshal(meta.Inputs)
		kv[metaInputs] = string(in)
	}
	for _, k := range []string{metaTable, metaVersion, metaRows, metaMin, metaMax, metaInputs} {
		if v, ok := kv[k]; ok {
			if err := w.AppendKeyValueMetadata(k, v); err != nil {
				return nil, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s: close: %w", t.name, err)
	}
	return buf.Bytes(), nil
}

// Decode reads every row of a Parquet object of this table. Columns the
// object lacks (written before they were added) decode as zero values;
// columns this version does not know are ignored.
func (t *Table[R]) Decode(data []byte) (rows []R, meta ObjectMeta, err error) {
	defer recoverCorrupt(&err)
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, ObjectMeta{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer pf.Close()
	meta, err = readMeta(pf)
	if err != nil {
		return nil, ObjectMeta{}, err
	}
	if meta.Table != t.name {
		return nil, meta, fmt.Errorf("%w: object of table %q read as %q", ErrCorrupt, meta.Table, t.name)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: false, BatchSize: 64 << 10}, memory.NewGoAllocator())
	if err != nil {
		return nil, meta, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, meta, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer tbl.Release()
	rows = make([]R, 0, tbl.NumRows())
	tr := array.NewTableReader(tbl, 64<<10)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		cols := make([]arrow.Array, len(t.codec.fields))
		for k, f := range t.codec.fields {
			if idx := rec.Schema().FieldIndices(f.field.Name); len(idx) > 0 {
				cols[k] = rec.Column(idx[0])
			}
		}
		base := len(rows)
		rows = append(rows, make([]R, rec.NumRows())...)
		for i := 0; i < int(rec.NumRows()); i++ {
			v := reflect.ValueOf(&rows[base+i]).Elem()
			for k, f := range t.codec.fields {
				col := cols[k]
				if col == nil || (col.IsNull(i) && f.field.Nullable) {
					continue
				}
				if col.IsNull(i) {
					return nil, meta, fmt.Errorf("%w: required column %s is null in row %d", ErrCorrupt, f.field.Name, base+i)
				}
				if err := f.conv.decode(col, i, v.FieldByIndex(f.index)); err != nil {
					return nil, meta, fmt.Errorf("%w: column %s: %w", ErrCorrupt, f.field.Name, err)
				}
			}
		}
	}
	if err := tr.Err(); err != nil {
		return nil, meta, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return rows, meta, nil
}

// Merge implements AnyTable.
func (t *Table[R]) Merge(inputs [][]byte, inputNames []string) ([]byte, ObjectMeta, error) {
	var all []R
	for i, data := range inputs {
		rows, _, err := t.Decode(data)
		if err != nil {
			return nil, ObjectMeta{}, fmt.Errorf("input %s: %w", inputNames[i], err)
		}
		all = append(all, rows...)
	}
	t.Sort(all)
	meta := ObjectMeta{Table: t.name, SchemaVersion: t.version, Rows: int64(len(all)), Inputs: inputNames}
	for i := range all {
		ts := t.timeOf(&all[i])
		if meta.MinTime.IsZero() || ts.Before(meta.MinTime) {
			meta.MinTime = ts
		}
		if ts.After(meta.MaxTime) {
			meta.MaxTime = ts
		}
	}
	data, err := t.encodeSorted(all, meta, levelMerged)
	return data, meta, err
}

// Empty implements AnyTable.
func (t *Table[R]) Empty() ([]byte, error) {
	return t.encodeSorted(nil, ObjectMeta{Table: t.name, SchemaVersion: t.version}, levelFresh)
}

// ReadMeta reads the AtlHyper footer metadata of a Parquet object.
func ReadMeta(r parquet.ReaderAtSeeker) (meta ObjectMeta, err error) {
	defer recoverCorrupt(&err)
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return ObjectMeta{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer pf.Close()
	return readMeta(pf)
}

func readMeta(pf *file.Reader) (ObjectMeta, error) {
	kv := pf.MetaData().KeyValueMetadata()
	get := func(k string) string {
		if v := kv.FindValue(k); v != nil {
			return *v
		}
		return ""
	}
	m := ObjectMeta{Table: get(metaTable), Rows: pf.NumRows()}
	if m.Table == "" {
		return m, fmt.Errorf("%w: not an AtlHyper object (no %s metadata)", ErrCorrupt, metaTable)
	}
	var err error
	if m.SchemaVersion, err = strconv.Atoi(get(metaVersion)); err != nil {
		return m, fmt.Errorf("%w: schema version: %w", ErrCorrupt, err)
	}
	if v := get(metaMin); v != "" {
		m.MinTime, _ = time.Parse(time.RFC3339Nano, v)
	}
	if v := get(metaMax); v != "" {
		m.MaxTime, _ = time.Parse(time.RFC3339Nano, v)
	}
	if v := get(metaInputs); v != "" {
		if err := json.Unmarshal([]byte(v), &m.Inputs); err != nil {
			return m, fmt.Errorf("%w: inputs: %w", ErrCorrupt, err)
		}
	}
	return m, nil
}

// recoverCorrupt turns a panic of the Parquet reader on a malformed object
// (it has a few) into ErrCorrupt: one bad object must not take a process down.
func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: parquet reader: %v", ErrCorrupt, p)
	}
}
