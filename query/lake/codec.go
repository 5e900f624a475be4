package lake

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// A codec converts between a row struct and Parquet columns by reflection,
// once per table, with arrow-go's column writers and readers (no Arrow
// arrays in between: the agent links no Arrow compute or pqarrow code for
// them). Struct fields carry `lake:"column[,option]"` tags:
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
// The Parquet layout is the one Arrow's Parquet writer gives these types
// (three-level lists with nullable elements, MAP key_value groups), so
// objects read the same in every engine.
type codec struct {
	rowType reflect.Type
	fields  []*fieldCodec
	schema  *arrow.Schema
	root    *schema.GroupNode // the Parquet schema
	leaves  int               // Parquet leaf columns
}

type fieldCodec struct {
	index    []int // reflect field index path
	field    arrow.Field
	encoding parquet.Encoding
	hasEnc   bool
	nodict   bool
	nostats  bool
	shape    shape
	first    int // its first leaf column
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
	nodes := make(schema.FieldList, len(c.fields))
	seen := map[string]bool{}
	for i, f := range c.fields {
		if seen[f.field.Name] {
			return nil, fmt.Errorf("%s: duplicate column %q", rowType, f.field.Name)
		}
		seen[f.field.Name] = true
		fields[i] = f.field
		f.first = c.leaves
		c.leaves += f.shape.leaves()
		var err error
		if nodes[i], err = f.shape.node(f.field.Name); err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", rowType, f.field.Name, err)
		}
	}
	c.schema = arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties()
	root, err := schema.NewGroupNode(props.RootName(), props.RootRepetition(), nodes, -1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rowType, err)
	}
	c.root = root
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
		sh, err := shapeFor(sf.Type, false)
		if err != nil {
			return fmt.Errorf("field %s: %w", sf.Name, err)
		}
		fc.shape = sh
		fc.field = arrow.Field{Name: parts[0], Type: sh.arrowType(), Nullable: sh.nullable()}
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

// columnPath names the Parquet leaf columns of a field for writer
// properties (only top-level scalar columns take per-column options).
func (f *fieldCodec) columnPath() string { return f.field.Name }

// A shape is how values of one Go type become Parquet columns: its schema
// node, and the shredding of values into the definition and repetition
// levels and values of its leaf columns (Dremel's record shredding).
type shape interface {
	arrowType() arrow.DataType
	nullable() bool
	node(name string) (schema.Node, error)
	leaves() int
	// shred appends one occurrence of v to cols (this shape's leaves):
	// def is the definition level its ancestors reached, rep the
	// repetition level of its first entry, depth the repetition level of
	// its innermost repeated ancestor.
	shred(v reflect.Value, cols []*column, def, rep, depth int16)
	// absent appends an occurrence that is null, or empty, at def.
	absent(cols []*column, def, rep int16)
}

// shapeFor returns the shape of Go type t; elem marks a list element
// (always nullable in the Parquet layout, as Arrow writes lists).
func shapeFor(t reflect.Type, elem bool) (shape, error) {
	if t.Kind() == reflect.Pointer {
		s, err := scalarFor(t.Elem())
		if err != nil {
			return nil, err
		}
		s.optional, s.ptr = true, true
		return s, nil
	}
	switch t.Kind() {
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Elem().Kind() != reflect.String {
			return nil, fmt.Errorf("unsupported map type %s", t)
		}
		k, _ := scalarFor(t.Key())
		v, _ := scalarFor(t.Elem())
		v.optional = true
		return &mapShape{typ: t, key: k, value: v}, nil
	case reflect.Slice:
		e := t.Elem()
		var inner shape
		var err error
		if e.Kind() == reflect.Struct && e != timeType {
			inner, err = structFor(e)
		} else {
			inner, err = shapeFor(e, true)
		}
		if err != nil {
			return nil, err
		}
		return &listShape{typ: t, elem: inner}, nil
	}
	s, err := scalarFor(t)
	if err != nil {
		return nil, err
	}
	s.optional = elem
	return s, nil
}

func structFor(t reflect.Type) (*structShape, error) {
	sub := &codec{rowType: t}
	if err := sub.collect(t, nil); err != nil {
		return nil, err
	}
	s := &structShape{typ: t}
	for _, f := range sub.fields {
		f.first = s.nleaves
		s.nleaves += f.shape.leaves()
		s.fields = append(s.fields, f)
	}
	return s, nil
}

// scalarKind is a Go scalar type as stored.
type scalarKind int

const (
	kString scalarKind = iota
	kBool
	kInt8
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kTime
)

type scalarShape struct {
	kind     scalarKind
	optional bool // Parquet repetition
	ptr      bool // a Go pointer: nil is null
}

func scalarFor(t reflect.Type) (*scalarShape, error) {
	if t == timeType {
		return &scalarShape{kind: kTime}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &scalarShape{kind: kString}, nil
	case reflect.Bool:
		return &scalarShape{kind: kBool}, nil
	case reflect.Int8:
		return &scalarShape{kind: kInt8}, nil
	case reflect.Int16:
		return &scalarShape{kind: kInt16}, nil
	case reflect.Int32:
		return &scalarShape{kind: kInt32}, nil
	case reflect.Int64:
		return &scalarShape{kind: kInt64}, nil
	case reflect.Float32:
		return &scalarShape{kind: kFloat32}, nil
	case reflect.Float64:
		return &scalarShape{kind: kFloat64}, nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

func (s *scalarShape) arrowType() arrow.DataType {
	return [...]arrow.DataType{kString: arrow.BinaryTypes.String, kBool: arrow.FixedWidthTypes.Boolean,
		kInt8: arrow.PrimitiveTypes.Int8, kInt16: arrow.PrimitiveTypes.Int16, kInt32: arrow.PrimitiveTypes.Int32,
		kInt64: arrow.PrimitiveTypes.Int64, kFloat32: arrow.PrimitiveTypes.Float32, kFloat64: arrow.PrimitiveTypes.Float64,
		kTime: TimestampType}[s.kind]
}

func (s *scalarShape) nullable() bool { return s.optional }
func (s *scalarShape) leaves() int    { return 1 }

// physical is the Parquet type and logical type Arrow's writer uses.
func (s *scalarShape) physical() (parquet.Type, schema.LogicalType) {
	switch s.kind {
	case kString:
		return parquet.Types.ByteArray, schema.StringLogicalType{}
	case kBool:
		return parquet.Types.Boolean, schema.NoLogicalType{}
	case kInt8:
		return parquet.Types.Int32, schema.NewIntLogicalType(8, true)
	case kInt16:
		return parquet.Types.Int32, schema.NewIntLogicalType(16, true)
	case kInt32:
		return parquet.Types.Int32, schema.NewIntLogicalType(32, true)
	case kInt64:
		return parquet.Types.Int64, schema.NewIntLogicalType(64, true)
	case kFloat32:
		return parquet.Types.Float, schema.NoLogicalType{}
	case kFloat64:
		return parquet.Types.Double, schema.NoLogicalType{}
	}
	return parquet.Types.Int64, schema.NewTimestampLogicalTypeForce(false, schema.TimeUnitMicros)
}

func (s *scalarShape) node(name string) (schema.Node, error) {
	typ, logical := s.physical()
	return schema.NewPrimitiveNodeLogical(name, repetition(s.optional), logical, typ, -1, -1)
}

func repetition(optional bool) parquet.Repetition {
	if optional {
		return parquet.Repetitions.Optional
	}
	return parquet.Repetitions.Required
}

func (s *scalarShape) shred(v reflect.Value, cols []*column, def, rep, _ int16) {
	c := cols[0]
	if s.ptr {
		if v.IsNil() {
			c.levels(def, rep)
			return
		}
		v = v.Elem()
	}
	if s.optional {
		def++
	}
	c.levels(def, rep)
	switch s.kind {
	case kString:
		c.ba = append(c.ba, byteArray(v.String()))
	case kBool:
		c.b = append(c.b, v.Bool())
	case kInt8, kInt16, kInt32:
		c.i32 = append(c.i32, int32(v.Int()))
	case kInt64:
		c.i64 = append(c.i64, v.Int())
	case kFloat32:
		c.f32 = append(c.f32, float32(v.Float()))
	case kFloat64:
		c.f64 = append(c.f64, v.Float())
	case kTime:
		// Rows are addressable; reading through the pointer avoids
		// boxing every time.Time into an interface.
		c.i64 = append(c.i64, (*time.Time)(v.Addr().UnsafePointer()).UnixMicro())
	}
}

// byteArray views s as a value without copying (the column writer only
// reads it). The empty string is a non-nil empty slice: statistics skip
// nil values.
func byteArray(s string) parquet.ByteArray {
	if s == "" {
		return emptyBytes
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

var emptyBytes = parquet.ByteArray([]byte{})

func (s *scalarShape) absent(cols []*column, def, rep int16) { cols[0].levels(def, rep) }

// listShape is a nullable list: a nil slice is null, an empty one empty.
type listShape struct {
	typ  reflect.Type
	elem shape
}

func (s *listShape) arrowType() arrow.DataType { return arrow.ListOf(s.elem.arrowType()) }
func (s *listShape) nullable() bool            { return true }
func (s *listShape) leaves() int               { return s.elem.leaves() }

func (s *listShape) node(name string) (schema.Node, error) {
	elem, err := s.elem.node("element")
	if err != nil {
		return nil, err
	}
	return schema.ListOfWithName(name, elem, parquet.Repetitions.Optional, -1)
}

func (s *listShape) shred(v reflect.Value, cols []*column, def, rep, depth int16) {
	if v.IsNil() {
		s.elem.absent(cols, def, rep)
		return
	}
	def++ // the list is there
	if v.Len() == 0 {
		s.elem.absent(cols, def, rep)
		return
	}
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			rep = depth + 1
		}
		s.elem.shred(v.Index(i), cols, def+1, rep, depth+1)
	}
}

func (s *listShape) absent(cols []*column, def, rep int16) { s.elem.absent(cols, def, rep) }

// mapShape is a nullable map[string]string, entries in key order
// (deterministic files compress and diff better).
type mapShape struct {
	typ        reflect.Type
	key, value *scalarShape
}

func (s *mapShape) arrowType() arrow.DataType {
	return arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
}
func (s *mapShape) nullable() bool { return true }
func (s *mapShape) leaves() int    { return 2 }

func (s *mapShape) node(name string) (schema.Node, error) {
	k, err := s.key.node("key")
	if err != nil {
		return nil, err
	}
	v, err := s.value.node("value")
	if err != nil {
		return nil, err
	}
	return schema.MapOf(name, k, v, parquet.Repetitions.Optional, -1)
}

func (s *mapShape) shred(v reflect.Value, cols []*column, def, rep, depth int16) {
	if v.IsNil() {
		s.absent(cols, def, rep)
		return
	}
	def++
	if v.Len() == 0 {
		s.absent(cols, def, rep)
		return
	}
	keys := make([]string, 0, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		keys = append(keys, iter.Key().String())
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			rep = depth + 1
		}
		kv := reflect.ValueOf(k).Convert(s.typ.Key())
		s.key.shred(kv, cols[:1], def+1, rep, depth+1)
		s.value.shred(v.MapIndex(kv), cols[1:], def+1, rep, depth+1)
	}
}

func (s *mapShape) absent(cols []*column, def, rep int16) {
	cols[0].levels(def, rep)
	cols[1].levels(def, rep)
}

// structShape is a struct as a list element (nullable, as Arrow writes
// list elements; Go elements are never null).
type structShape struct {
	typ     reflect.Type
	fields  []*fieldCodec
	nleaves int
}

func (s *structShape) arrowType() arrow.DataType {
	fields := make([]arrow.Field, len(s.fields))
	for i, f := range s.fields {
		fields[i] = f.field
	}
	return arrow.StructOf(fields...)
}
func (s *structShape) nullable() bool { return true }
func (s *structShape) leaves() int    { return s.nleaves }

func (s *structShape) node(name string) (schema.Node, error) {
	children := make(schema.FieldList, len(s.fields))
	for i, f := range s.fields {
		var err error
		if children[i], err = f.shape.node(f.field.Name); err != nil {
			return nil, err
		}
	}
	return schema.NewGroupNode(name, parquet.Repetitions.Optional, children, -1)
}

func (s *structShape) shred(v reflect.Value, cols []*column, def, rep, depth int16) {
	def++
	for _, f := range s.fields {
		f.shape.shred(v.FieldByIndex(f.index), cols[f.first:f.first+f.shape.leaves()], def, rep, depth)
	}
}

func (s *structShape) absent(cols []*column, def, rep int16) {
	for _, c := range cols {
		c.levels(def, rep)
	}
}

// column is one leaf column of a row group being written: its levels and
// its values (only those present), in the slice of its physical type.
type column struct {
	maxDef, maxRep int16
	defs, reps     []int16
	b              []bool
	i32            []int32
	i64            []int64
	f32            []float32
	f64            []float64
	ba             []parquet.ByteArray
}

func (c *column) levels(def, rep int16) {
	if c.maxDef > 0 {
		c.defs = append(c.defs, def)
	}
	if c.maxRep > 0 {
		c.reps = append(c.reps, rep)
	}
}

// write hands the column's levels and values to its chunk writer.
func (c *column) write(cw file.ColumnChunkWriter) error {
	var err error
	switch w := cw.(type) {
	case *file.ByteArrayColumnChunkWriter:
		_, err = w.WriteBatch(c.ba, c.defs, c.reps)
	case *file.BooleanColumnChunkWriter:
		_, err = w.WriteBatch(c.b, c.defs, c.reps)
	case *file.Int32ColumnChunkWriter:
		_, err = w.WriteBatch(c.i32, c.defs, c.reps)
	case *file.Int64ColumnChunkWriter:
		_, err = w.WriteBatch(c.i64, c.defs, c.reps)
	case *file.Float32ColumnChunkWriter:
		_, err = w.WriteBatch(c.f32, c.defs, c.reps)
	case *file.Float64ColumnChunkWriter:
		_, err = w.WriteBatch(c.f64, c.defs, c.reps)
	default:
		err = fmt.Errorf("unexpected column writer %T", cw)
	}
	return err
}

// columns returns empty buffers for the leaf columns of sc.
func newColumns(sc *schema.Schema) []*column {
	cols := make([]*column, sc.NumColumns())
	for i := range cols {
		d := sc.Column(i)
		cols[i] = &column{maxDef: d.MaxDefinitionLevel(), maxRep: d.MaxRepetitionLevel()}
	}
	return cols
}
