package adhoc

import (
	"bytes"
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

// Column describes a result column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// JSONResult is the JSON form of a result.
type JSONResult struct {
	Columns   []Column    `json:"columns"`
	Rows      [][]any     `json:"rows"`
	RowCount  int         `json:"row_count"`
	Truncated bool        `json:"truncated"`
	ElapsedMS float64     `json:"elapsed_ms"`
	Scopes    []ScopeInfo `json:"scopes"`
}

// JSON converts a result to its JSON form.
func (r Result) JSON() JSONResult {
	out := JSONResult{Columns: make([]Column, len(r.Columns)), Rows: make([][]any, len(r.Rows)), RowCount: len(r.Rows),
		Truncated: r.Truncated, ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000, Scopes: r.Scopes}
	for i, c := range r.Columns {
		out.Columns[i] = Column{Name: c, Type: r.Types[i]}
	}
	for i, row := range r.Rows {
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = lakeview.Normalize(v)
		}
		out.Rows[i] = vals
	}
	return out
}

// CSV writes the result as CSV with a header row. Text cells that a
// spreadsheet would run as a formula are prefixed with a quote.
func (r Result) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for j, v := range row {
			rec[j] = cell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

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

// Parquet writes the result as one Parquet file (ZSTD).
func (r Result) Parquet(w io.Writer) error {
	fields := make([]arrow.Field, len(r.Columns))
	seen := map[string]int{}
	for i, c := range r.Columns {
		name := c
		if n := seen[c]; n > 0 { // duplicate names would make an unreadable file
			name = fmt.Sprintf("%s_%d", c, n)
		}
		seen[c]++
		fields[i] = arrow.Field{Name: name, Type: arrowType(r.Types[i]), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range r.Rows {
		for j, v := range row {
			appendValue(b.Field(j), v)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithStats(true))
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := fw.WriteBuffered(rec); err != nil {
		fw.Close()
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func appendValue(b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		if t, ok := v.(bool); ok {
			bb.Append(t)
			return
		}
	case *array.Int32Builder:
		switch t := v.(type) {
		case int8:
			bb.Append(int32(t))
			return
		case int16:
			bb.Append(int32(t))
			return
		case int32:
			bb.Append(t)
			return
		case uint8:
			bb.Append(int32(t))
			return
		case uint16:
			bb.Append(int32(t))
			return
		}
	case *array.Int64Builder:
		switch t := v.(type) {
		case int64:
			bb.Append(t)
			return
		case uint32:
			bb.Append(int64(t))
			return
		case int32:
			bb.Append(int64(t))
			return
		}
	case *array.Float32Builder:
		if t, ok := v.(float32); ok {
			bb.Append(t)
			return
		}
	case *array.Float64Builder:
		switch t := lakeview.Normalize(v).(type) {
		case float64:
			bb.Append(t)
			return
		case json.Number:
			if f, err := t.Float64(); err == nil {
				bb.Append(f)
				return
			}
		}
	case *array.Date32Builder:
		if t, ok := v.(time.Time); ok {
			bb.Append(arrow.Date32FromTime(t))
			return
		}
	case *array.TimestampBuilder:
		if t, ok := v.(time.Time); ok {
			bb.Append(arrow.Timestamp(t.UnixMicro()))
			return
		}
	case *array.BinaryBuilder:
		if t, ok := v.([]byte); ok {
			bb.Append(t)
			return
		}
	case *array.StringBuilder:
		switch n := lakeview.Normalize(v).(type) {
		case string:
			bb.Append(n)
		case map[string]any, []any:
			data, _ := json.Marshal(n)
			bb.Append(string(data))
		default:
			bb.Append(fmt.Sprint(n))
		}
		return
	}
	b.AppendNull() // a value of an unexpected Go type: never panic
}
