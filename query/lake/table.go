package lake

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
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
	return t.encodeSorted(rows, nil, levelFresh)
}

// encodeSorted writes sorted rows as one object, in row groups of at most
// rowGroupRows rows.
func (t *Table[R]) encodeSorted(rows []R, inputs []string, level int) ([]byte, ObjectMeta, error) {
	e, err := t.newEncoder(level)
	if err != nil {
		return nil, ObjectMeta{}, err
	}
	for len(rows) > 0 {
		n := min(len(rows), rowGroupRows)
		if err := e.writeGroup(rows[:n]); err != nil {
			return nil, ObjectMeta{}, err
		}
		rows = rows[n:]
	}
	e.meta.Inputs = inputs
	return e.finish()
}

// encoder writes one object a row group at a time: a writer can encode
// rows as they come and keep only the compressed bytes.
type encoder[R any] struct {
	t    *Table[R]
	buf  bytes.Buffer
	fw   *file.Writer
	meta ObjectMeta
}

func (t *Table[R]) newEncoder(level int) (*encoder[R], error) {
	e := &encoder[R]{t: t, meta: ObjectMeta{Table: t.name, SchemaVersion: t.version}}
	// The table and version go in at once, so that a snapshot of a
	// partly written object (a tail part) says what it is; the counts
	// follow at the end.
	kv := metadata.NewKeyValueMetadata()
	if err := kv.Append(metaTable, t.name); err != nil {
		return nil, err
	}
	if err := kv.Append(metaVersion, strconv.Itoa(t.version)); err != nil {
		return nil, err
	}
	fw, err := file.NewParquetWriterWithError(&e.buf, t.codec.root, file.WithWriterProps(t.writerProps(level)), file.WithWriteMetadata(kv))
	if err != nil {
		return nil, fmt.Errorf("%s: new writer: %w", t.name, err)
	}
	e.fw = fw
	return e, nil
}

// writeGroup writes rows (sorted by the caller) as one row group.
func (e *encoder[R]) writeGroup(rows []R) (err error) {
	if len(rows) == 0 {
		return nil
	}
	defer func() {
		if p := recover(); p != nil { // the column writers panic on misuse
			err = fmt.Errorf("%s: write: %v", e.t.name, p)
		}
	}()
	t := e.t
	for i := range rows {
		ts := t.timeOf(&rows[i])
		if e.meta.MinTime.IsZero() || ts.Before(e.meta.MinTime) {
			e.meta.MinTime = ts
		}
		if ts.After(e.meta.MaxTime) {
			e.meta.MaxTime = ts
		}
	}
	cols := newColumns(e.fw.Schema)
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for _, f := range t.codec.fields {
			f.shape.shred(v.FieldByIndex(f.index), cols[f.first:f.first+f.shape.leaves()], 0, 0, 0)
		}
	}
	rg, err := e.fw.AppendRowGroupChecked()
	if err != nil {
		return fmt.Errorf("%s: row group: %w", t.name, err)
	}
	for i, c := range cols {
		cw, err := rg.NextColumn()
		if err != nil {
			return fmt.Errorf("%s: column %d: %w", t.name, i, err)
		}
		if err := c.write(cw); err != nil {
			return fmt.Errorf("%s: column %d: %w", t.name, i, err)
		}
		cols[i] = nil // let its values go while the next one is written
	}
	if err := rg.Close(); err != nil {
		return fmt.Errorf("%s: row group: %w", t.name, err)
	}
	e.meta.Rows += int64(len(rows))
	return nil
}

// size is the bytes written so far.
func (e *encoder[R]) size() int { return e.buf.Len() }

// snapshot returns the row groups written so far as a complete object
// whose footer carries the table and schema version (not the counts,
// which only finish knows); the encoder goes on.
func (e *encoder[R]) snapshot() ([]byte, error) {
	fmd, err := e.fw.FileMetadata()
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot: %w", e.t.name, err)
	}
	out := bytes.NewBuffer(make([]byte, 0, e.buf.Len()+4096))
	out.Write(e.buf.Bytes())
	n, err := fmd.WriteTo(out, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot footer: %w", e.t.name, err)
	}
	if err := binary.Write(out, binary.LittleEndian, uint32(n)); err != nil {
		return nil, err
	}
	out.WriteString("PAR1")
	return out.Bytes(), nil
}

// finish writes the footer and returns the object.
func (e *encoder[R]) finish() ([]byte, ObjectMeta, error) {
	m := e.meta
	kv := [][2]string{{metaRows, strconv.FormatInt(m.Rows, 10)},
		{metaMin, m.MinTime.UTC().Format(time.RFC3339Nano)}, {metaMax, m.MaxTime.UTC().Format(time.RFC3339Nano)}}
	if len(m.Inputs) > 0 {
		in, _ := json.Marshal(m.Inputs)
		kv = append(kv, [2]string{metaInputs, string(in)})
	}
	for _, p := range kv {
		if err := e.fw.AppendKeyValueMetadata(p[0], p[1]); err != nil {
			return nil, m, err
		}
	}
	if err := e.fw.Close(); err != nil {
		return nil, m, fmt.Errorf("%s: close: %w", e.t.name, err)
	}
	return e.buf.Bytes(), m, nil
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
	p, err := newPlan(t.codec, pf.MetaData().Schema)
	if err != nil {
		return nil, meta, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if pf.NumRows() < 0 || pf.NumRows() > int64(len(data))*8+1 {
		return nil, meta, fmt.Errorf("%w: %d rows in %d bytes", ErrCorrupt, pf.NumRows(), len(data))
	}
	rows = make([]R, 0, pf.NumRows())
	for g := 0; g < pf.NumRowGroups(); g++ {
		rg := pf.RowGroup(g)
		for _, l := range p.leaves {
			if err := l.load(rg); err != nil {
				return nil, meta, fmt.Errorf("%w: row group %d: %w", ErrCorrupt, g, err)
			}
		}
		base, n := len(rows), int(rg.NumRows())
		if n < 0 || int64(base+n) > pf.NumRows() {
			return nil, meta, fmt.Errorf("%w: row group %d: %d rows", ErrCorrupt, g, n)
		}
		rows = append(rows, make([]R, n)...)
		for i := 0; i < n; i++ {
			v := reflect.ValueOf(&rows[base+i]).Elem()
			for _, f := range p.fields {
				if err := f.a.read(v.FieldByIndex(f.index)); err != nil {
					return nil, meta, fmt.Errorf("%w: row %d: %w", ErrCorrupt, base+i, err)
				}
			}
		}
		for _, l := range p.leaves {
			if l.pos != l.n {
				return nil, meta, fmt.Errorf("%w: row group %d: column %s has %d values for %d rows", ErrCorrupt, g, l.path, l.n, n)
			}
			*l = leaf{col: l.col, path: l.path, maxDef: l.maxDef, maxRep: l.maxRep, tsMul: l.tsMul, tsDiv: l.tsDiv}
		}
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
	return t.encodeSorted(all, inputNames, levelMerged)
}

// Empty implements AnyTable.
func (t *Table[R]) Empty() ([]byte, error) {
	data, _, err := t.encodeSorted(nil, nil, levelFresh)
	return data, err
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
