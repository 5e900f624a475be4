package lakeview

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Result is a fully read query result.
type Result struct {
	Columns []string
	Types   []string // DuckDB type names
	Rows    [][]any  // scanned values (see Normalize)
}

// ReadAll scans every row (at most max when max > 0; truncated reports
// whether more existed).
func ReadAll(rows *sql.Rows, max int) (res Result, truncated bool, err error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return res, false, err
	}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.Name())
		res.Types = append(res.Types, c.DatabaseTypeName())
	}
	for rows.Next() {
		if max > 0 && len(res.Rows) == max {
			return res, true, nil
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return res, false, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, false, rows.Err()
}

// Normalize turns a value scanned from DuckDB into one that encoding/json
// writes faithfully: times as RFC 3339 UTC strings, maps with string keys,
// big numbers as strings, NaN and infinities as null.
func Normalize(v any) any {
	switch t := v.(type) {
	case nil, string, bool, int8, int16, int32, int64, uint8, uint16, uint32, int, uint:
		return t
	case uint64:
		if t > 1<<53 {
			return strconv.FormatUint(t, 10)
		}
		return t
	case float32:
		if math.IsNaN(float64(t)) || math.IsInf(float64(t), 0) {
			return nil
		}
		return json.Number(strconv.FormatFloat(float64(t), 'g', -1, 32))
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
		return t
	case time.Time:
		return t.UTC().Format(time.RFC3339Nano)
	case *big.Int:
		if t == nil {
			return nil
		}
		return t.String()
	case duckdb.Decimal:
		if t.Value == nil {
			return nil
		}
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(t.Value), new(big.Float).SetFloat64(math.Pow10(int(t.Scale)))).Float64()
		return f
	case duckdb.Interval:
		return fmt.Sprintf("P%dM%dDT%gS", t.Months, t.Days, float64(t.Micros)/1e6)
	case duckdb.UUID:
		return t.String()
	case *duckdb.UUID:
		if t == nil {
			return nil
		}
		return t.String()
	case duckdb.OrderedMap:
		keys, vals := t.Keys(), t.Values()
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			out[fmt.Sprint(Normalize(k))] = Normalize(vals[i])
		}
		return out
	case *duckdb.OrderedMap:
		if t == nil {
			return nil
		}
		return Normalize(*t)
	case duckdb.Map:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[fmt.Sprint(Normalize(k))] = Normalize(v)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = Normalize(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = Normalize(t[i])
		}
		return out
	case []byte:
		return t // base64 in JSON
	case duckdb.Union:
		return Normalize(t.Value)
	}
	return fmt.Sprint(v)
}

// encodeObject writes {"col": value, …} in column order; null values are
// left out when omitNull is set (columns a kind has no use for).
func encodeObject(buf *bytes.Buffer, cols []string, vals []any, omitNull bool, extra ...any) {
	buf.WriteByte('{')
	first := true
	write := func(k string, v any) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(v)
		if err != nil {
			vb = []byte("null")
		}
		buf.Write(vb)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		write(extra[i].(string), extra[i+1])
	}
	for i, c := range cols {
		v := vals[i]
		if v == nil && omitNull {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		appendString(buf, c)
		buf.WriteByte(':')
		appendValue(buf, v)
	}
	buf.WriteByte('}')
}

// appendValue writes v as JSON, with fast paths for the scalar types that
// make up most of a row.
func appendValue(buf *bytes.Buffer, v any) {
	var tmp [64]byte
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case string:
		appendString(buf, t)
	case bool:
		buf.Write(strconv.AppendBool(tmp[:0], t))
	case int32:
		buf.Write(strconv.AppendInt(tmp[:0], int64(t), 10))
	case int64:
		buf.Write(strconv.AppendInt(tmp[:0], t, 10))
	case time.Time:
		buf.WriteByte('"')
		buf.Write(t.UTC().AppendFormat(tmp[:0], time.RFC3339Nano))
		buf.WriteByte('"')
	default:
		data, err := json.Marshal(Normalize(v))
		if err != nil {
			data = []byte("null")
		}
		buf.Write(data)
	}
}

// appendString writes s as a JSON string; plain ASCII needs no escaping.
func appendString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			data, _ := json.Marshal(s)
			buf.Write(data)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

// sortValue is a value reduced for ordering: nulls first, then numbers
// (times as Unix microseconds, booleans as 0/1), then strings.
type sortValue struct {
	Null bool    `json:"z,omitempty"`
	Num  float64 `json:"f,omitempty"`
	Str  string  `json:"s,omitempty"`
	IsS  bool    `json:"t,omitempty"`
}

func toSortValue(v any) sortValue {
	switch t := v.(type) {
	case nil:
		return sortValue{Null: true}
	case string:
		return sortValue{Str: t, IsS: true}
	case bool:
		if t {
			return sortValue{Num: 1}
		}
		return sortValue{}
	case int32:
		return sortValue{Num: float64(t)}
	case int64:
		return sortValue{Num: float64(t)}
	case int:
		return sortValue{Num: float64(t)}
	case float32:
		return sortValue{Num: float64(t)}
	case float64:
		return sortValue{Num: t}
	case time.Time:
		return sortValue{Num: float64(t.UnixMicro())}
	}
	return sortValue{Str: fmt.Sprint(v), IsS: true}
}

func (a sortValue) compare(b sortValue) int {
	switch {
	case a.Null || b.Null:
		return cmpBool(!a.Null, !b.Null)
	case a.IsS != b.IsS:
		return cmpBool(a.IsS, b.IsS)
	case a.IsS:
		return strings.Compare(a.Str, b.Str)
	case a.Num < b.Num:
		return -1
	case a.Num > b.Num:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// equalValues compares two normalized values deeply (for diffs).
func equalValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) { // the common scalar cases without encoding
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int32:
		y, ok := b.(int32)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float32:
		y, ok := b.(float32)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	ja, _ := json.Marshal(canonical(Normalize(a)))
	jb, _ := json.Marshal(canonical(Normalize(b)))
	return bytes.Equal(ja, jb)
}

// canonical sorts map keys (json.Marshal does) and treats an empty list or
// map like null, so "no labels" and "empty labels" compare equal.
func canonical(v any) any {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return nil
		}
	case map[string]any:
		if len(t) == 0 {
			return nil
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	return v
}
