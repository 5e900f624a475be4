package adhoc

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/atlhyper/atlhyper/functions/lakeview"
)

// Results are encoded while DuckDB's rows are read, into a Body bounded by
// the byte cap: a result never exists twice in memory (as Go values and
// as bytes), and a result past the cap fails as soon as it gets there.

// Body is an encoded result held in fixed-size chunks (growing it never
// copies), refusing writes past its limit with ErrTooLarge.
type Body struct {
	chunks [][]byte
	n, max int64
}

const chunkSize = 64 << 10

func newBody(max int64) *Body { return &Body{max: max} }

// Write appends p, or fails with ErrTooLarge if the body would exceed its
// limit.
func (b *Body) Write(p []byte) (int, error) {
	if b.n+int64(len(p)) > b.max {
		return 0, fmt.Errorf("%w: more than %s", ErrTooLarge, humanBytes(b.max))
	}
	written := len(p)
	for len(p) > 0 {
		if len(b.chunks) == 0 || len(b.chunks[len(b.chunks)-1]) == chunkSize {
			b.chunks = append(b.chunks, make([]byte, 0, chunkSize))
		}
		last := &b.chunks[len(b.chunks)-1]
		n := copy((*last)[len(*last):chunkSize], p)
		*last = (*last)[:len(*last)+n]
		p = p[n:]
	}
	b.n += int64(written)
	return written, nil
}

// Len is the body's size in bytes.
func (b *Body) Len() int64 { return b.n }

// WriteTo writes the body to w.
func (b *Body) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for _, c := range b.chunks {
		n, err := w.Write(c)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Bytes copies the body into one slice (tests, small results).
func (b *Body) Bytes() []byte {
	out := make([]byte, 0, b.n)
	for _, c := range b.chunks {
		out = append(out, c...)
	}
	return out
}

// Column describes a result column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// JSONResult is the JSON form of a result (the encoder writes it field by
// field in this order; clients and tests decode it).
type JSONResult struct {
	Columns   []Column    `json:"columns"`
	Rows      [][]any     `json:"rows"`
	RowCount  int         `json:"row_count"`
	Truncated bool        `json:"truncated"`
	ElapsedMS float64     `json:"elapsed_ms"`
	Scopes    []ScopeInfo `json:"scopes"`
}

type summary struct {
	rows      int
	truncated bool
	elapsed   time.Duration
	scopes    []ScopeInfo
}

// encoder writes one format into a Body.
type encoder struct {
	f   formatter
	out *Body
}

type formatter interface {
	begin(w io.Writer, cols []Column) error
	row(vals []any) error
	end(s summary) error
	format() string
	contentType() string
}

func newEncoder(format string, max int64) (*encoder, error) {
	e := &encoder{out: newBody(max)}
	switch format {
	case "", FormatJSON:
		e.f = &jsonFormat{}
	case FormatCSV:
		e.f = &csvFormat{}
	case FormatParquet:
		e.f = &parquetFormat{}
	default:
		return nil, fmt.Errorf("%w: format must be json, csv or parquet", ErrRefused)
	}
	return e, nil
}

func (e *encoder) format() string      { return e.f.format() }
func (e *encoder) contentType() string { return e.f.contentType() }
func (e *encoder) body() *Body         { return e.out }

// stream encodes up to max rows; one more row means truncated.
func (e *encoder) stream(rows *sql.Rows, max int) (n int, truncated bool, err error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return 0, false, err
	}
	cols := make([]Column, len(types))
	for i, t := range types {
		cols[i] = Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	if err := e.f.begin(e.out, cols); err != nil {
		return 0, false, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if n == max {
			return n, true, nil
		}
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return n, false, err
		}
		if err := e.f.row(vals); err != nil {
			return n, false, err
		}
		n++
	}
	return n, false, rows.Err()
}

func (e *encoder) finish(s summary) error { return e.f.end(s) }

// --- JSON

type jsonFormat struct {
	w     io.Writer
	first bool
	vals  []any
}

func (f *jsonFormat) format() string      { return FormatJSON }
func (f *jsonFormat) contentType() string { return "application/json; charset=utf-8" }

func (f *jsonFormat) begin(w io.Writer, cols []Column) error {
	f.w, f.first = w, true
	data, err := json.Marshal(cols)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, `{"columns":`); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	_, err = io.WriteString(w, `,"rows":[`)
	return err
}

func (f *jsonFormat) row(vals []any) error {
	if f.vals == nil {
		f.vals = make([]any, len(vals))
	}
	for i, v := range vals {
		f.vals[i] = lakeview.Normalize(v)
	}
	data, err := json.Marshal(f.vals)
	if err != nil {
		return err
	}
	if !f.first {
		if _, err := io.WriteString(f.w, ","); err != nil {
			return err
		}
	}
	f.first = false
	_, err = f.w.Write(data)
	return err
}

func (f *jsonFormat) end(s summary) error {
	tail, err := json.Marshal(struct {
		RowCount  int         `json:"row_count"`
		Truncated bool        `json:"truncated"`
		ElapsedMS float64     `json:"elapsed_ms"`
		Scopes    []ScopeInfo `json:"scopes"`
	}{s.rows, s.truncated, float64(s.elapsed.Microseconds()) / 1000, s.scopes})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f.w, "],"); err != nil {
		return err
	}
	if _, err := f.w.Write(tail[1:]); err != nil { // tail without its "{"
		return err
	}
	_, err = io.WriteString(f.w, "\n")
	return err
}

// --- CSV

type csvFormat struct {
	w   *csv.Writer
	rec []string
}

func (f *csvFormat) format() string      { return FormatCSV }
func (f *csvFormat) contentType() string { return "text/csv; charset=utf-8" }

func (f *csvFormat) begin(w io.Writer, cols []Column) error {
	f.w = csv.NewWriter(w)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	f.rec = make([]string, len(cols))
	return f.w.Write(names)
}

func (f *csvFormat) row(vals []any) error {
	for j, v := range vals {
		f.rec[j] = cell(v)
	}
	if err := f.w.Write(f.rec); err != nil {
		return err
	}
	// Flush per row: csv.Writer buffers 4 KiB, and the cap must see the
	// bytes as they are produced.
	f.w.Flush()
	return f.w.Error()
}

func (f *csvFormat) end(summary) error {
	f.w.Flush()
	return f.w.Error()
}

// cell renders a value for CSV. Text cells that a spreadsheet would run as
// a formula are prefixed with a quote.
func cell(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		if t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
			return "'" + t
		}
		return t
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("%x", t)
	}
	n := lakeview.Normalize(v)
	switch n.(type) {
	case map[string]any, []any:
		b, _ := json.Marshal(n)
		return string(b)
	}
	return fmt.Sprint(n)
}

// --- Parquet

// Rows are written in row groups of at most parquetBatchRows rows or about
// parquetBatchBytes bytes, so the builders never hold more than one.
const (
	parquetBatchRows  = 8192
	parquetBatchBytes = 8 << 20
)

type parquetFormat struct {
	schema *arrow.Schema
	b      *array.RecordBuilder
	fw     *pqarrow.FileWriter
	rows   int
	bytes  int
}

func (f *parquetFormat) format() string      { return FormatParquet }
func (f *parquetFormat) contentType() string { return "application/vnd.apache.parquet" }

func (f *parquetFormat) begin(w io.Writer, cols []Column) error {
	fields := make([]arrow.Field, len(cols))
	seen := map[string]int{}
	for i, c := range cols {
		name := c.Name
		if n := seen[c.Name]; n > 0 { // duplicate names would make an unreadable file
			name = fmt.Sprintf("%s_%d", c.Name, n)
		}
		seen[c.Name]++
		fields[i] = arrow.Field{Name: name, Type: arrowType(c.Type), Nullable: true}
	}
	f.schema = arrow.NewSchema(fields, nil)
	f.b = array.NewRecordBuilder(memory.NewGoAllocator(), f.schema)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithStats(true))
	var err error
	f.fw, err = pqarrow.NewFileWriter(f.schema, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	return err
}

func (f *parquetFormat) row(vals []any) error {
	for j, v := range vals {
		f.bytes += appendValue(f.b.Field(j), v)
	}
	f.rows++
	if f.rows >= parquetBatchRows || f.bytes >= parquetBatchBytes {
		return f.flush()
	}
	return nil
}

func (f *parquetFormat) flush() error {
	if f.rows == 0 {
		return nil
	}
	rec := f.b.NewRecordBatch()
	defer rec.Release()
	f.rows, f.bytes = 0, 0
	return f.fw.Write(rec)
}

func (f *parquetFormat) end(summary) error {
	defer f.b.Release()
	if err := f.flush(); err != nil {
		f.fw.Close()
		return err
	}
	return f.fw.Close()
}

// arrowType maps a DuckDB type name to the Arrow type of its Parquet
// column; nested and exotic types become JSON text.
func arrowType(duck string) arrow.DataType {
	switch {
	case duck == "BOOLEAN":
		return arrow.FixedWidthTypes.Boolean
	case duck == "TINYINT" || duck == "SMALLINT" || duck == "INTEGER" || duck == "UTINYINT" || duck == "USMALLINT":
		return arrow.PrimitiveTypes.Int32
	case duck == "BIGINT" || duck == "UINTEGER":
		return arrow.PrimitiveTypes.Int64
	case duck == "FLOAT":
		return arrow.PrimitiveTypes.Float32
	case duck == "DOUBLE" || strings.HasPrefix(duck, "DECIMAL"):
		return arrow.PrimitiveTypes.Float64
	case duck == "DATE":
		return arrow.FixedWidthTypes.Date32
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case duck == "BLOB":
		return arrow.BinaryTypes.Binary
	}
	return arrow.BinaryTypes.String
}

// appendValue appends v and returns about how many bytes it holds.
func appendValue(b array.Builder, v any) int {
	if v == nil {
		b.AppendNull()
		return 1
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		if t, ok := v.(bool); ok {
			bb.Append(t)
			return 1
		}
	case *array.Int32Builder:
		switch t := v.(type) {
		case int8:
			bb.Append(int32(t))
			return 4
		case int16:
			bb.Append(int32(t))
			return 4
		case int32:
			bb.Append(t)
			return 4
		case uint8:
			bb.Append(int32(t))
			return 4
		case uint16:
			bb.Append(int32(t))
			return 4
		}
	case *array.Int64Builder:
		switch t := v.(type) {
		case int64:
			bb.Append(t)
			return 8
		case uint32:
			bb.Append(int64(t))
			return 8
		case int32:
			bb.Append(int64(t))
			return 8
		}
	case *array.Float32Builder:
		if t, ok := v.(float32); ok {
			bb.Append(t)
			return 4
		}
	case *array.Float64Builder:
		switch t := lakeview.Normalize(v).(type) {
		case float64:
			bb.Append(t)
			return 8
		case json.Number:
			if f, err := t.Float64(); err == nil {
				bb.Append(f)
				return 8
			}
		}
	case *array.Date32Builder:
		if t, ok := v.(time.Time); ok {
			bb.Append(arrow.Date32FromTime(t))
			return 4
		}
	case *array.TimestampBuilder:
		if t, ok := v.(time.Time); ok {
			bb.Append(arrow.Timestamp(t.UnixMicro()))
			return 8
		}
	case *array.BinaryBuilder:
		if t, ok := v.([]byte); ok {
			bb.Append(t)
			return len(t)
		}
	case *array.StringBuilder:
		var s string
		switch n := lakeview.Normalize(v).(type) {
		case string:
			s = n
		case map[string]any, []any:
			data, _ := json.Marshal(n)
			s = string(data)
		default:
			s = fmt.Sprint(n)
		}
		bb.Append(s)
		return len(s)
	}
	b.AppendNull() // a value of an unexpected Go type: never panic
	return 1
}
