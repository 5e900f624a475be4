package lake

import (
	"fmt"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Decoding reassembles rows from an object's leaf columns (Dremel's record
// assembly), driven by the object's own schema: whoever wrote it — this
// writer, an older version of it, Arrow, DuckDB's compaction — columns are
// found by name, levels come from the file's repetitions (DuckDB writes
// every column optional), integers of any width fit any Go integer, and
// columns the row type does not know are never read.

// leaf is one leaf column of one row group, read whole, with a cursor.
type leaf struct {
	col            int // column index in the file
	path           string
	maxDef, maxRep int16
	defs, reps     []int16 // nil when the max level is 0
	n              int     // entries (levels)
	pos, vpos      int     // entry and value cursors
	// values, in the slice of the physical type
	b   []bool
	i32 []int32
	i64 []int64
	f32 []float32
	f64 []float64
	ba  []parquet.ByteArray
	// timestamps: microseconds per unit of the column
	tsMul, tsDiv int64
}

func (l *leaf) def() int16 {
	if l.defs == nil {
		return l.maxDef
	}
	return l.defs[l.pos]
}

func (l *leaf) rep() int16 {
	if l.reps == nil {
		return 0
	}
	return l.reps[l.pos]
}

// next moves past the current entry.
func (l *leaf) next() {
	if l.def() == l.maxDef {
		l.vpos++
	}
	l.pos++
}

func (l *leaf) more() bool { return l.pos < l.n }

// load reads the whole column chunk of row group rg.
func (l *leaf) load(rg *file.RowGroupReader) error {
	cc, err := rg.MetaData().ColumnChunk(l.col)
	if err != nil {
		return fmt.Errorf("column %s: %w", l.path, err)
	}
	n := cc.NumValues()
	if n < 0 || n > 1<<31 {
		return fmt.Errorf("column %s: %d values", l.path, n)
	}
	cr, err := rg.Column(l.col)
	if err != nil {
		return fmt.Errorf("column %s: %w", l.path, err)
	}
	l.defs, l.reps = nil, nil
	if l.maxDef > 0 {
		l.defs = make([]int16, n)
	}
	if l.maxRep > 0 {
		l.reps = make([]int16, n)
	}
	read := 0
	var vals int
	for cr.HasNext() && int64(read) < n {
		var got int64
		var v int
		var defs, reps []int16
		if l.defs != nil {
			defs = l.defs[read:]
		}
		if l.reps != nil {
			reps = l.reps[read:]
		}
		switch r := cr.(type) {
		case *file.ByteArrayColumnChunkReader:
			if l.ba == nil {
				l.ba = make([]parquet.ByteArray, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.ba[vals:], defs, reps)
		case *file.BooleanColumnChunkReader:
			if l.b == nil {
				l.b = make([]bool, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.b[vals:], defs, reps)
		case *file.Int32ColumnChunkReader:
			if l.i32 == nil {
				l.i32 = make([]int32, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.i32[vals:], defs, reps)
		case *file.Int64ColumnChunkReader:
			if l.i64 == nil {
				l.i64 = make([]int64, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.i64[vals:], defs, reps)
		case *file.Float32ColumnChunkReader:
			if l.f32 == nil {
				l.f32 = make([]float32, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.f32[vals:], defs, reps)
		case *file.Float64ColumnChunkReader:
			if l.f64 == nil {
				l.f64 = make([]float64, n)
			}
			got, v, err = r.ReadBatch(n-int64(read), l.f64[vals:], defs, reps)
		default:
			return fmt.Errorf("column %s: unsupported physical type %T", l.path, cr)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", l.path, err)
		}
		if got == 0 {
			break
		}
		read += int(got)
		vals += v
	}
	if int64(read) != n {
		return fmt.Errorf("column %s: %d of %d values", l.path, read, n)
	}
	l.n, l.pos, l.vpos = read, 0, 0
	present := 0
	for i := 0; i < read; i++ {
		if l.defs == nil || l.defs[i] == l.maxDef {
			present++
		}
	}
	if present != vals {
		return fmt.Errorf("column %s: %d values for %d present entries", l.path, vals, present)
	}
	return nil
}

// assembler reads one occurrence of a value from its leaves into v; an
// invalid v discards it.
type assembler interface {
	read(v reflect.Value) error
	// first is the leaf whose levels tell the structure.
	first() *leaf
	// skip consumes an occurrence that is null or empty above this node.
	skip()
}

// plan is how to decode one object: an assembler per row-type column the
// object holds, and the leaves to load.
type plan struct {
	fields []planField
	leaves []*leaf
}

type planField struct {
	index []int
	name  string
	a     assembler
}

func newPlan(c *codec, sc *schema.Schema) (*plan, error) {
	p := &plan{}
	root := sc.Root()
	for _, f := range c.fields {
		i := root.FieldIndexByName(f.field.Name)
		if i < 0 {
			continue // older object without this column: zero values
		}
		a, err := p.build(sc, root.Field(i), f.shape, 0, 0, true)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.field.Name, err)
		}
		p.fields = append(p.fields, planField{index: f.index, name: f.field.Name, a: a})
	}
	return p, nil
}

// build makes the assembler of file node n for shape sh (nil: a node the
// row type does not know, read only to keep its siblings in step). def and
// rep are the levels n's parent reached; top marks a top-level column,
// where a null in a required Go field is an error.
func (p *plan) build(sc *schema.Schema, n schema.Node, sh shape, def, rep int16, top bool) (assembler, error) {
	if n.RepetitionType() == parquet.Repetitions.Optional {
		def++
	}
	if n.RepetitionType() == parquet.Repetitions.Repeated {
		return nil, fmt.Errorf("%s: a repeated field outside a LIST or MAP group is not supported", n.Path())
	}
	switch s := sh.(type) {
	case *scalarShape:
		pn, ok := n.(*schema.PrimitiveNode)
		if !ok {
			return nil, fmt.Errorf("%s: a group where a scalar belongs", n.Path())
		}
		l, err := p.leaf(sc, pn)
		if err != nil {
			return nil, err
		}
		if err := checkPhysical(pn, s.kind, l); err != nil {
			return nil, err
		}
		return &scalarAsm{l: l, s: s, strict: top && !s.ptr}, nil
	case *listShape, *mapShape:
		g, ok := n.(*schema.GroupNode)
		if !ok || g.NumFields() != 1 || g.Field(0).RepetitionType() != parquet.Repetitions.Repeated {
			return nil, fmt.Errorf("%s: not a three-level LIST or MAP group", n.Path())
		}
		inner := g.Field(0)
		a := &repeatedAsm{def: def, rep: rep + 1}
		if ls, ok := sh.(*listShape); ok {
			ig, ok := inner.(*schema.GroupNode)
			if !ok || ig.NumFields() != 1 {
				return nil, fmt.Errorf("%s: not a three-level LIST", n.Path())
			}
			a.typ = ls.typ
			e, err := p.build(sc, ig.Field(0), ls.elem, def+1, rep+1, false)
			if err != nil {
				return nil, err
			}
			a.elems = []assembler{e}
		} else {
			ms := sh.(*mapShape)
			ig, ok := inner.(*schema.GroupNode)
			if !ok || ig.NumFields() != 2 {
				return nil, fmt.Errorf("%s: not a MAP key_value group", n.Path())
			}
			a.typ, a.isMap = ms.typ, true
			k, err := p.build(sc, ig.Field(0), ms.key, def+1, rep+1, false)
			if err != nil {
				return nil, err
			}
			v, err := p.build(sc, ig.Field(1), ms.value, def+1, rep+1, false)
			if err != nil {
				return nil, err
			}
			a.elems = []assembler{k, v}
		}
		return a, nil
	case *structShape:
		g, ok := n.(*schema.GroupNode)
		if !ok {
			return nil, fmt.Errorf("%s: a scalar where a struct belongs", n.Path())
		}
		a := &structAsm{def: def, optional: n.RepetitionType() == parquet.Repetitions.Optional}
		for i := 0; i < g.NumFields(); i++ {
			child := g.Field(i)
			var f *fieldCodec
			for _, sf := range s.fields {
				if sf.field.Name == child.Name() {
					f = sf
				}
			}
			if f == nil {
				// A field this row type does not know: its leaves are read
				// and dropped, one entry per occurrence, to keep the
				// others in step.
				sk, err := p.skipper(sc, child, def)
				if err != nil {
					return nil, err
				}
				a.fields = append(a.fields, structField{a: sk})
				continue
			}
			fa, err := p.build(sc, child, f.shape, def, rep, false)
			if err != nil {
				return nil, err
			}
			a.fields = append(a.fields, structField{index: f.index, a: fa})
		}
		if len(a.fields) == 0 {
			return nil, fmt.Errorf("%s: an empty group", n.Path())
		}
		return a, nil
	}
	return nil, fmt.Errorf("%s: unsupported shape %T", n.Path(), sh)
}

// skipper reads and drops a non-repeated subtree.
func (p *plan) skipper(sc *schema.Schema, n schema.Node, def int16) (assembler, error) {
	if n.RepetitionType() == parquet.Repetitions.Repeated {
		return nil, fmt.Errorf("%s: unknown repeated field", n.Path())
	}
	if n.RepetitionType() == parquet.Repetitions.Optional {
		def++
	}
	switch n := n.(type) {
	case *schema.PrimitiveNode:
		l, err := p.leaf(sc, n)
		if err != nil {
			return nil, err
		}
		return &scalarAsm{l: l}, nil
	case *schema.GroupNode:
		a := &structAsm{def: def}
		for i := 0; i < n.NumFields(); i++ {
			c, err := p.skipper(sc, n.Field(i), def)
			if err != nil {
				return nil, err
			}
			a.fields = append(a.fields, structField{a: c})
		}
		if len(a.fields) == 0 {
			return nil, fmt.Errorf("%s: an empty group", n.Path())
		}
		return a, nil
	}
	return nil, fmt.Errorf("%s: unknown node", n.Path())
}

func (p *plan) leaf(sc *schema.Schema, n *schema.PrimitiveNode) (*leaf, error) {
	col := sc.ColumnIndexByNode(n)
	if col < 0 {
		return nil, fmt.Errorf("%s: no such column", n.Path())
	}
	d := sc.Column(col)
	l := &leaf{col: col, path: n.Path(), maxDef: d.MaxDefinitionLevel(), maxRep: d.MaxRepetitionLevel(), tsMul: 1, tsDiv: 1}
	p.leaves = append(p.leaves, l)
	return l, nil
}

// checkPhysical accepts a column for a Go kind: any integer width for
// integers, a timestamp in any unit for time.
func checkPhysical(n *schema.PrimitiveNode, k scalarKind, l *leaf) error {
	t := n.PhysicalType()
	ok := false
	switch k {
	case kString:
		ok = t == parquet.Types.ByteArray
	case kBool:
		ok = t == parquet.Types.Boolean
	case kInt8, kInt16, kInt32, kInt64:
		ok = t == parquet.Types.Int32 || t == parquet.Types.Int64
	case kFloat32, kFloat64:
		ok = t == parquet.Types.Float || t == parquet.Types.Double
	case kTime:
		ok = t == parquet.Types.Int64
		if ts, isTS := n.LogicalType().(schema.TimestampLogicalType); isTS {
			switch ts.TimeUnit() {
			case schema.TimeUnitMillis:
				l.tsMul = 1000
			case schema.TimeUnitNanos:
				l.tsDiv = 1000
			}
		}
	}
	if !ok {
		return fmt.Errorf("%s: column type %s", n.Path(), t)
	}
	return nil
}

type scalarAsm struct {
	l      *leaf
	s      *scalarShape // nil: skipped
	strict bool         // a null is an error (a required top-level column)
}

func (a *scalarAsm) first() *leaf { return a.l }
func (a *scalarAsm) skip()        { a.l.next() }

func (a *scalarAsm) read(v reflect.Value) error {
	l := a.l
	if !l.more() {
		return fmt.Errorf("column %s: fewer values than rows", l.path)
	}
	defer l.next()
	if !v.IsValid() || a.s == nil {
		return nil
	}
	if l.def() < l.maxDef {
		if a.strict {
			return fmt.Errorf("required column %s is null", l.path)
		}
		v.SetZero()
		return nil
	}
	if a.s.ptr {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	i := l.vpos
	switch a.s.kind {
	case kString:
		v.SetString(string(l.ba[i]))
	case kBool:
		v.SetBool(l.b[i])
	case kInt8, kInt16, kInt32, kInt64:
		var x int64
		if l.i32 != nil {
			x = int64(l.i32[i])
		} else {
			x = l.i64[i]
		}
		if v.OverflowInt(x) {
			return fmt.Errorf("column %s: value %d overflows %s", l.path, x, v.Type())
		}
		v.SetInt(x)
	case kFloat32, kFloat64:
		if l.f32 != nil {
			v.SetFloat(float64(l.f32[i]))
		} else {
			v.SetFloat(l.f64[i])
		}
	case kTime:
		us := l.i64[i] * l.tsMul / l.tsDiv
		*(*time.Time)(v.Addr().UnsafePointer()) = time.UnixMicro(us).UTC()
	}
	return nil
}

// repeatedAsm reads a LIST (elems: the element) or a MAP (elems: key and
// value): null when its first leaf's level stops short of the group, empty
// when it reaches the group but no entry, else entries until the
// repetition level drops below the group's.
type repeatedAsm struct {
	typ      reflect.Type
	isMap    bool
	elems    []assembler
	def, rep int16 // the group's definition level (present) and its entries' repetition level
}

func (a *repeatedAsm) first() *leaf { return a.elems[0].first() }

func (a *repeatedAsm) skip() {
	for _, e := range a.elems {
		e.skip()
	}
}

func (a *repeatedAsm) read(v reflect.Value) error {
	f := a.first()
	if !f.more() {
		return fmt.Errorf("column %s: fewer values than rows", f.path)
	}
	d := f.def()
	if d < a.def+1 {
		a.skip()
		if v.IsValid() {
			if d < a.def {
				v.SetZero()
			} else if a.isMap {
				v.Set(reflect.MakeMap(a.typ))
			} else {
				v.Set(reflect.MakeSlice(a.typ, 0, 0))
			}
		}
		return nil
	}
	var out reflect.Value
	if v.IsValid() {
		if a.isMap {
			out = reflect.MakeMap(a.typ)
		} else {
			out = reflect.MakeSlice(a.typ, 0, 1)
		}
	}
	for {
		if a.isMap {
			var k, val reflect.Value
			if out.IsValid() {
				k, val = reflect.New(a.typ.Key()).Elem(), reflect.New(a.typ.Elem()).Elem()
			}
			if err := a.elems[0].read(k); err != nil {
				return err
			}
			if err := a.elems[1].read(val); err != nil {
				return err
			}
			if out.IsValid() {
				out.SetMapIndex(k, val)
			}
		} else {
			var e reflect.Value
			if out.IsValid() {
				out = reflect.Append(out, reflect.Zero(a.typ.Elem()))
				e = out.Index(out.Len() - 1)
			}
			if err := a.elems[0].read(e); err != nil {
				return err
			}
		}
		if !f.more() || f.rep() < a.rep {
			break
		}
	}
	if v.IsValid() {
		v.Set(out)
	}
	return nil
}

type structField struct {
	index []int // nil: not in the row type
	a     assembler
}

type structAsm struct {
	fields   []structField
	def      int16 // level when present
	optional bool
}

func (a *structAsm) first() *leaf { return a.fields[0].a.first() }

func (a *structAsm) skip() {
	for _, f := range a.fields {
		f.a.skip()
	}
}

func (a *structAsm) read(v reflect.Value) error {
	f := a.first()
	if !f.more() {
		return fmt.Errorf("column %s: fewer values than rows", f.path)
	}
	if a.optional && f.def() < a.def {
		a.skip() // a null struct reads as its zero value
		return nil
	}
	for _, sf := range a.fields {
		var fv reflect.Value
		if v.IsValid() && sf.index != nil {
			fv = v.FieldByIndex(sf.index)
		}
		if err := sf.a.read(fv); err != nil {
			return err
		}
	}
	return nil
}
