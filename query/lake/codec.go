package lake

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
)

// A codec converts between a row struct and Arrow columns by reflection,
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
type codec struct {
	rowType reflect.Type
	fields  []*fieldCodec
	schema  *arrow.Schema
}

type fieldCodec struct {
	index    []int // reflect field index path
	field    arrow.Field
	encoding parquet.Encoding
	hasEnc   bool
	nodict   bool
	nostats  bool
	conv     converter
}

// converter moves one value between a Go value and an Arrow builder/array.
type converter struct {
	typ    arrow.DataType
	append func(b array.Builder, v reflect.Value)
	decode func(a arrow.Array, i int, v reflect.Value) error
}

var timeType = reflect.TypeOf(time.Time{})

// TimestampType is the type of every time column: microseconds, no zone
// (readers see TIMESTAMP; values are UTC).
var TimestampType = &arrow.TimestampType{Unit: arrow.Microsecond}

func newCodec(rowType reflect.Type) (*codec, error) {
	c := &codec{rowType: rowType}
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

func (c *codec) collect(t reflect.Type, index []int) error {
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
		fc := &fieldCodec{index: idx}
		conv, nullable, err := converterFor(sf.Type)
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

// converterFor returns the converter of a Go type and whether it is nullable.
func converterFor(t reflect.Type) (converter, bool, error) {
	if t.Kind() == reflect.Pointer {
		inner, _, err := converterFor(t.Elem())
		if err != nil {
			return converter{}, false, err
		}
		return converter{
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
		return converter{
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
					return typeErr(a, "timestamp")
				}
				v.Set(reflect.ValueOf(time.UnixMicro(int64(ts.Value(i))).UTC()))
				return nil
			},
		}, false, nil
	}
	switch t.Kind() {
	case reflect.String:
		return converter{
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
						return typeErr(a, "string")
					}
					v.SetString(dict.Value(s.GetValueIndex(i)))
				default:
					return typeErr(a, "string")
				}
				return nil
			},
		}, false, nil
	case reflect.Bool:
		return converter{
			typ:    arrow.FixedWidthTypes.Boolean,
			append: func(b array.Builder, v reflect.Value) { b.(*array.BooleanBuilder).Append(v.Bool()) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Boolean)
				if !ok {
					return typeErr(a, "boolean")
				}
				v.SetBool(x.Value(i))
				return nil
			},
		}, false, nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intConverter(t.Kind()), false, nil
	case reflect.Float32:
		return converter{
			typ:    arrow.PrimitiveTypes.Float32,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Float32Builder).Append(float32(v.Float())) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Float32)
				if !ok {
					return typeErr(a, "float")
				}
				v.SetFloat(float64(x.Value(i)))
				return nil
			},
		}, false, nil
	case reflect.Float64:
		return converter{
			typ:    arrow.PrimitiveTypes.Float64,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Float64Builder).Append(v.Float()) },
			decode: func(a arrow.Array, i int, v reflect.Value) error {
				x, ok := a.(*array.Float64)
				if !ok {
					return typeErr(a, "double")
				}
				v.SetFloat(x.Value(i))
				return nil
			},
		}, false, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
			return converter{}, false, fmt.Errorf("unsupported map type %s", t)
		}
		return mapConverter(t), true, nil
	case reflect.Slice:
		elem := t.Elem()
		var inner converter
		var err error
		if elem.Kind() == reflect.Struct && elem != timeType {
			inner, err = structConverter(elem)
		} else {
			inner, _, err = converterFor(elem)
		}
		if err != nil {
			return converter{}, false, err
		}
		return listConverter(t, inner), true, nil
	}
	return converter{}, false, fmt.Errorf("unsupported type %s", t)
}

func typeErr(a arrow.Array, want string) error {
	return fmt.Errorf("column type %s, want %s", a.DataType(), want)
}

func intConverter(k reflect.Kind) converter {
	switch k {
	case reflect.Int8:
		return converter{
			typ:    arrow.PrimitiveTypes.Int8,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int8Builder).Append(int8(v.Int())) },
			decode: intDecoder,
		}
	case reflect.Int16:
		return converter{
			typ:    arrow.PrimitiveTypes.Int16,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int16Builder).Append(int16(v.Int())) },
			decode: intDecoder,
		}
	case reflect.Int32:
		return converter{
			typ:    arrow.PrimitiveTypes.Int32,
			append: func(b array.Builder, v reflect.Value) { b.(*array.Int32Builder).Append(int32(v.Int())) },
			decode: intDecoder,
		}
	}
	return converter{
		typ:    arrow.PrimitiveTypes.Int64,
		append: func(b array.Builder, v reflect.Value) { b.(*array.Int64Builder).Append(v.Int()) },
		decode: intDecoder,
	}
}

// intDecoder accepts any integer width, so a column widened by a schema
// change still decodes into the row type.
func intDecoder(a arrow.Array, i int, v reflect.Value) error {
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
		return typeErr(a, "integer")
	}
	if v.OverflowInt(x) {
		return fmt.Errorf("value %d overflows %s", x, v.Type())
	}
	v.SetInt(x)
	return nil
}

func listConverter(t reflect.Type, inner converter) converter {
	return converter{
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
				return typeErr(a, "list")
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

func mapConverter(t reflect.Type) converter {
	str, _, _ := converterFor(t.Key())
	return converter{
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
				return typeErr(a, "map")
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

func structConverter(t reflect.Type) (converter, error) {
	sub := &codec{rowType: t}
	if err := sub.collect(t, nil); err != nil {
		return converter{}, err
	}
	fields := make([]arrow.Field, len(sub.fields))
	for i, f := range sub.fields {
		fields[i] = f.field
	}
	typ := arrow.StructOf(fields...)
	return converter{
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
				return typeErr(a, "struct")
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

// columnPath names the Parquet leaf columns of a field for writer
// properties (only top-level scalar columns take per-column options).
func (f *fieldCodec) columnPath() string { return f.field.Name }
