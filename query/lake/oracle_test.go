package lake

// The Arrow-based codec this package used before writing columns directly:
// kept as the oracle the column writer must match byte for byte.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
)

// A oracleCodec converts between a row struct and Arrow columns by reflection,
// once per table. Struct fields carry `lake:"column[,option]"` tags:
//
//	delta   DELTA_BINARY_PACKED, no dictionary (sorted integers, timestamps)
//	bss     BYTE_STREAM_SPLIT, no dictionary (floats)
//	plain   plain encoding, no dictionary (ZSTD then finds the sequences that
//	        repeat from one Kubernetes object to the next, e.g. checkpoint times)
//	blob    plain encoding and no statistics (JSON, log text: nobody
//	        filters on their min/max, which would repeat kilobytes per page)
//
// Go types map to columns as: string→VARCHAR, bool→BOOLEAN, int8/16/32/64→
// TINYINT/SMALLINT/INTEGER/BIGINT, float32→FLOAT, float64→DOUBLE,
// time.Time→TIMESTAMP (µs, UTC by contract), []string→VARCHAR[],
// map[string]string→MAP(VARCHAR,VARCHAR), []struct→STRUCT(...)[]. Pointer
// fields are nullable; others are required. Embedded structs are flattened.
type oracleCodec struct {
	rowType reflect.Type
	fields  []*oracleFieldCodec
	schema  *arrow.Schema
}

type oracleFieldCodec struct {
	index    []int // reflect field index path
	field    arrow.Field
	encoding parquet.Encoding
	hasEnc   bool
	nodict   bool
	nostats  bool
	conv     oracleConverter
}

// oracleConverter moves one value between a Go value and an Arrow builder/array.
type oracleConverter struct {
	typ    arrow.DataType
	append func(b array.Builder, v reflect.Value)
	decode func(a arrow.Array, i int, v reflect.Value) error
}

func oracleNewCodec(rowType reflect.Type) (*oracleCodec, error) {
	c := &oracleCodec{rowType: rowType}
	if err := c.collect(rowType, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", rowType, err)
	}
	fields := make([]arrow.Field, len(c.fields))
	seen := map[string]bool{}
	for i, f := range c.fields {
		if seen[f.field.Name] {
			return nil, fmt.Errorf("%s: duplicate column %q", rowType, f.field.Name)
		}
		seen[f.field.Name] = true
		fields[i] = f.field
	}
	c.schema = arrow.NewSchema(fields, nil)
	return c, nil
}

func (c *oracleCodec) collect(t reflect.Type, index []int) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if err := c.collect(sf.Type, idx); err != nil {
				return err
			}
			continue
		}
		tag := sf.Tag.Get("lake")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		parts := strings.Split(tag, ",")
		fc := &oracleFieldCodec{index: idx}
		conv, nullable, err := oracleConverterFor(sf.Type)
		if err != nil {
			return fmt.Errorf("field %s: %w", sf.Name, err)
		}
		fc.conv = conv
		fc.field = arrow.Field{Name: parts[0], Type: conv.typ, Nullable: nullable}
		for _, opt := range parts[1:] {
			switch opt {
			case "delta":
				fc.encoding, fc.hasEnc, fc.nodict = parquet.Encodings.DeltaBinaryPacked, true, true
			case "bss":
				fc.encoding, fc.hasEnc, fc.nodict = parquet.Encodings.ByteStreamSplit, true, true
			case "plain":
				fc.nodict = true
			case "blob":
				fc.nodict, fc.nostats = true, true
			default:
				return fmt.Errorf("field %s: unknown option %q", sf.Name, opt)
			}
		}
		c.fields = append(c.fields, fc)
	}
	return nil
}

// oracleConverterFor returns the oracleConverter of a Go type and whether it is nullable.
func oracleConverterFor(t reflect.Type) (oracleConverter, bool, error) {
	if t.Kind() == reflect.Pointer {
		inner, _, err := oracleConverterFor(t.Elem())
		if err != nil {
			return oracleConverter{}, false, err
		}
		return oracleConverter{
			typ: inner.typ,
			append: func(b array.Builder, v reflect.Value) {
				if v.IsNil() {
					b.AppendNull()
					return
				}
				inner.append(b, v.Elem())
			},
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				if a.IsNull(i) {
					v.SetZero()
					return nil
				}
				p := reflect.New(t.Elem())
				if err := inner.decode(a, i, p.Elem()); err != nil {
					return err
				}
				v.Set(p)
				return nil
			},
		}, true, nil
	}
	if t == timeType {
		return oracleConverter{
			typ: TimestampType,
			append: func(b array.Builder, v reflect.Value) {
				// Rows are addressable; reading through the pointer avoids
				// boxing every time.Time into an interface.
				t := (*time.Time)(v.Addr().UnsafePointer())
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
			},
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				ts, ok := a.(*array.Timestamp)
				if !ok {
					return oracleTypeErr(a, "timestamp")
				}
				v.Set(reflect.ValueOf(time.UnixMicro(int64(ts.Value(i))).UTC()))
				return nil
			},
		}, false, nil
	}
	switch t.Kind() {
	case reflect.String:
		return oracleConverter{
			typ:    arrow.BinaryTypes.String,
			append: func(b array.Builder, v reflect.Value) { b.(*array.StringBuilder).Append(v.String()) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				switch s := a.(type) {
				case *array.String:
					v.SetString(s.Value(i))
				case *array.LargeString:
					v.SetString(s.Value(i))
				case *array.Dictionary:
					dict, ok := s.Dictionary().(*array.String)
					if !ok {
						return oracleTypeErr(a, "string")
					}
					v.SetString(dict.Value(s.GetValueIndex(i)))
				default:
					return oracleTypeErr(a, "string")
				}
				return nil
			},
		}, false, nil
	case reflect.Bool:
		return oracleConverter{
			typ:    arrow.FixedWidthTypes.Boolean,
			append: func(b array.Builder, v reflect.Value) { b.(*array.BooleanBuilder).Append(v.Bool()) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Boolean)
				if !ok {
					return oracleTypeErr(a, "boolean")
				}
				v.SetBool(x.Value(i))
				return nil
			},
		}, false, nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return oracleIntConverter(t.Kind()), false, nil
	case reflect.Float32:
		return oracleConverter{
			typ:    arrow.PrimitiveTypes.Float32,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Float32Builder).Append(float32(v.Float())) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Float32)
				if !ok {
					return oracleTypeErr(a, "float")
				}
				v.SetFloat(float64(x.Value(i)))
				return nil
			},
		}, false, nil
	case reflect.Float64:
		return oracleConverter{
			typ:    arrow.PrimitiveTypes.Float64,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Float64Builder).Append(v.Float()) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Float64)
				if !ok {
					return oracleTypeErr(a, "double")
				}
				v.SetFloat(x.Value(i))
				return nil
			},
		}, false, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
			return oracleConverter{}, false, fmt.Errorf("unsupported map type %s", t)
		}
		return oracleMapConverter(t), true, nil
	case reflect.Slice:
		elem := t.Elem()
		var inner oracleConverter
		var err error
		if elem.Kind() == reflect.Struct && elem != timeType {
			inner, err = oracleStructConverter(elem)
		} else {
			inner, _, err = oracleConverterFor(elem)
		}
		if err != nil {
			return oracleConverter{}, false, err
		}
		return oracleListConverter(t, inner), true, nil
	}
	return oracleConverter{}, false, fmt.Errorf("unsupported type %s", t)
}

func oracleTypeErr(a arrow.Array, want string) error {
	return fmt.Errorf("column type %s, want %s", a.DataType(), want)
}

func oracleIntConverter(k reflect.Kind) oracleConverter {
	switch k {
	case reflect.Int8:
		return oracleConverter{
			typ:    arrow.PrimitiveTypes.Int8,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int8Builder).Append(int8(v.Int())) },
			decode: oracleIntDecoder,
		}
	case reflect.Int16:
		return oracleConverter{
			typ:    arrow.PrimitiveTypes.Int16,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int16Builder).Append(int16(v.Int())) },
			decode: oracleIntDecoder,
		}
	case reflect.Int32:
		return oracleConverter{
			typ:    arrow.PrimitiveTypes.Int32,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int32Builder).Append(int32(v.Int())) },
			decode: oracleIntDecoder,
		}
	}
	return oracleConverter{
		typ:    arrow.PrimitiveTypes.Int64,
		append: func(b array.Builder, v reflect.Value) { b.(*array.Int64Builder).Append(v.Int()) },
		decode: oracleIntDecoder,
	}
}

// oracleIntDecoder accepts any integer width, so a column widened by a schema
// change still decodes into the row type.
func oracleIntDecoder(a arrow.Array, i int, v reflect.Value) error {
	var x int64
	switch c := a.(type) {
	case *array.Int8:
		x = int64(c.Value(i))
	case *array.Int16:
		x = int64(c.Value(i))
	case *array.Int32:
		x = int64(c.Value(i))
	case *array.Int64:
		x = c.Value(i)
	default:
		return oracleTypeErr(a, "integer")
	}
	if v.OverflowInt(x) {
		return fmt.Errorf("value %d overflows %s", x, v.Type())
	}
	v.SetInt(x)
	return nil
}

func oracleListConverter(t reflect.Type, inner oracleConverter) oracleConverter {
	return oracleConverter{
		typ: arrow.ListOf(inner.typ),
		append: func(b array.Builder, v reflect.Value) {
			lb := b.(*array.ListBuilder)
			if v.IsNil() {
				lb.AppendNull()
				return
			}
			lb.Append(true)
			vb := lb.ValueBuilder()
			for j := 0; j < v.Len(); j++ {
				inner.append(vb, v.Index(j))
			}
		},
		decode: func(a arrow.Array, i int, v reflect.Value) error {
			l, ok := a.(*array.List)
			if !ok {
				return oracleTypeErr(a, "list")
			}
			if l.IsNull(i) {
				v.SetZero()
				return nil
			}
			start, end := l.ValueOffsets(i)
			out := reflect.MakeSlice(t, int(end-start), int(end-start))
			values := l.ListValues()
			for j := start; j < end; j++ {
				if err := inner.decode(values, int(j), out.Index(int(j-start))); err != nil {
					return err
				}
			}
			v.Set(out)
			return nil
		},
	}
}

func oracleMapConverter(t reflect.Type) oracleConverter {
	str, _, _ := oracleConverterFor(t.Key())
	return oracleConverter{
		typ: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String),
		append: func(b array.Builder, v reflect.Value) {
			mb := b.(*array.MapBuilder)
			if v.IsNil() {
				mb.AppendNull()
				return
			}
			mb.Append(true)
			keys := make([]string, 0, v.Len())
			for _, k := range v.MapKeys() {
				keys = append(keys, k.String())
			}
			sort.Strings(keys) // deterministic files compress and diff better
			kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
			for _, k := range keys {
				kb.Append(k)
				ib.Append(v.MapIndex(reflect.ValueOf(k).Convert(t.Key())).String())
			}
		},
		decode: func(a arrow.Array, i int, v reflect.Value) error {
			m, ok := a.(*array.Map)
			if !ok {
				return oracleTypeErr(a, "map")
			}
			if m.IsNull(i) {
				v.SetZero()
				return nil
			}
			start, end := m.ValueOffsets(i)
			out := reflect.MakeMapWithSize(t, int(end-start))
			keys, items := m.Keys(), m.Items()
			for j := int(start); j < int(end); j++ {
				k, kv := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
				if err := str.decode(keys, j, k); err != nil {
					return err
				}
				if !items.IsNull(j) {
					if err := str.decode(items, j, kv); err != nil {
						return err
					}
				}
				out.SetMapIndex(k, kv)
			}
			v.Set(out)
			return nil
		},
	}
}

func oracleStructConverter(t reflect.Type) (oracleConverter, error) {
	sub := &oracleCodec{rowType: t}
	if err := sub.collect(t, nil); err != nil {
		return oracleConverter{}, err
	}
	fields := make([]arrow.Field, len(sub.fields))
	for i, f := range sub.fields {
		fields[i] = f.field
	}
	typ := arrow.StructOf(fields...)
	return oracleConverter{
		typ: typ,
		append: func(b array.Builder, v reflect.Value) {
			sb := b.(*array.StructBuilder)
			sb.Append(true)
			for k, f := range sub.fields {
				f.conv.append(sb.FieldBuilder(k), v.FieldByIndex(f.index))
			}
		},
		decode: func(a arrow.Array, i int, v reflect.Value) error {
			s, ok := a.(*array.Struct)
			if !ok {
				return oracleTypeErr(a, "struct")
			}
			st := s.DataType().(*arrow.StructType)
			for _, f := range sub.fields {
				k, ok := st.FieldIdx(f.field.Name)
				if !ok {
					continue // older file without this field: zero value
				}
				col := s.Field(k)
				if col.IsNull(i) && f.field.Nullable {
					continue
				}
				if err := f.conv.decode(col, i, v.FieldByIndex(f.index)); err != nil {
					return fmt.Errorf("%s: %w", f.field.Name, err)
				}
			}
			return nil
		},
	}, nil
}

// oracleEncode is the former encodeSorted: Arrow arrays through pqarrow.
func oracleEncode[R any](t *Table[R], rows []R, meta ObjectMeta, level int) ([]byte, error) {
	c, err := oracleNewCodec(reflect.TypeFor[R]())
	if err != nil {
		return nil, err
	}
	mem := memory.NewGoAllocator()
	rb := array.NewRecordBuilder(mem, c.schema)
	defer rb.Release()
	rb.Reserve(len(rows))
	builders := rb.Fields()
	for i := range rows {
		v := reflect.ValueOf(&rows[i]).Elem()
		for k, f := range c.fields {
			f.conv.append(builders[k], v.FieldByIndex(f.index))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(c.schema, &buf, t.writerProps(level), pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, err
	}
	if err := w.WriteBuffered(rec); err != nil {
		return nil, err
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
		return nil, err
	}
	return buf.Bytes(), nil
}
