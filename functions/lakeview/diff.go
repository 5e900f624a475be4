package lakeview

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlhyper/atlhyper/query"
)

// FieldChange is one changed field.
type FieldChange struct {
	Field string `json:"field"`
	From  any    `json:"from,omitempty"`
	To    any    `json:"to,omitempty"`
}

// DiffItem is one added, removed or changed object.
type DiffItem struct {
	Change    string        `json:"change"`
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace"`
	Name      string        `json:"name"`
	UID       string        `json:"uid"`
	Fields    []FieldChange `json:"fields,omitempty"`
}

// Diff is what changed between two moments.
type Diff struct {
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Summary    map[string]int `json:"summary"`
	Items      []DiffItem     `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// DiffQuery selects a diff.
type DiffQuery struct {
	From, To   time.Time // To zero: now
	Kinds      []Kind    // empty: all
	Namespaces []string
	Changes    []string // added, removed, changed; empty: all
	Limit      int
	Cursor     string
}

// ignoredFields never count as a change.
var ignoredFields = map[string]bool{"ts": true, "resource_version": true, "cluster": true, "op": true}

// fieldChanges compares two rows of one snapshot schema.
func fieldChanges(cols []string, a, b []any) []FieldChange {
	var out []FieldChange
	for i, c := range cols {
		if ignoredFields[c] {
			continue
		}
		if !equalValues(a[i], b[i]) {
			out = append(out, FieldChange{Field: c, From: Normalize(a[i]), To: Normalize(b[i])})
		}
	}
	return out
}

// Diff compares the state at From with the state at To.
func (v *View) Diff(ctx context.Context, cluster string, q DiffQuery) (Diff, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return Diff{}, err
	}
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	var tables []string
	want := map[string]bool{}
	for _, k := range kinds {
		if !slices.Contains(tables, k.Table) {
			tables = append(tables, k.Table)
		}
		want[k.Kind] = true
	}
	before := make([]*Snapshot, len(tables))
	after := make([]*Snapshot, len(tables))
	g, gctx := errgroup.WithContext(ctx)
	for i, t := range tables {
		g.Go(func() (err error) { before[i], err = v.state(gctx, cluster, t, q.From); return err })
		g.Go(func() (err error) { after[i], err = v.state(gctx, cluster, t, q.To); return err })
	}
	if err := g.Wait(); err != nil {
		return Diff{}, err
	}
	to := q.To
	if to.IsZero() {
		to = v.cfg.Now()
	}
	d := Diff{From: q.From.UTC(), To: to.UTC(), Items: []DiffItem{}}
	// The compared snapshots are immutable while cached: their identities
	// and the filters name the result.
	key := fmt.Sprintf("diff|%v|%v|%v", q.Namespaces, q.Changes, kindNames(kinds))
	for i := range tables {
		key += fmt.Sprintf("|%p|%p", before[i], after[i])
	}
	type diffResult struct {
		items   []DiffItem
		summary map[string]int
	}
	var dr diffResult
	if val, ok := v.memo.get(key); ok {
		dr = val.(diffResult)
	} else {
		dr = diffResult{summary: map[string]int{"added": 0, "removed": 0, "changed": 0}}
		var all []DiffItem
		keep := func(r *Row) bool {
			return want[r.Kind] && (len(q.Namespaces) == 0 || slices.Contains(q.Namespaces, r.Namespace))
		}
		for i := range tables {
			b, a := before[i], after[i]
			old := make(map[string]*Row, len(b.Rows))
			for _, r := range b.Rows {
				if keep(r) {
					old[r.UID] = r
				}
			}
			for _, r := range a.Rows {
				if !keep(r) {
					continue
				}
				o, ok := old[r.UID]
				if !ok {
					all = append(all, DiffItem{Change: "added", Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, UID: r.UID})
					continue
				}
				delete(old, r.UID)
				if fc := fieldChanges(a.Cols, alignVals(b, a, o), r.Vals); len(fc) > 0 {
					all = append(all, DiffItem{Change: "changed", Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, UID: r.UID, Fields: fc})
				}
			}
			for _, o := range old {
				all = append(all, DiffItem{Change: "removed", Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, UID: o.UID})
			}
		}
		for _, it := range all {
			if len(q.Changes) == 0 || slices.Contains(q.Changes, it.Change) {
				dr.summary[it.Change]++
				dr.items = append(dr.items, it)
			}
		}
		sort.Slice(dr.items, func(i, j int) bool { return diffKey(dr.items[i]) < diffKey(dr.items[j]) })
		v.memo.put(key, dr)
	}
	d.Summary = dr.summary
	filtered := dr.items
	start := 0
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil {
			return Diff{}, fmt.Errorf("%w: not a cursor this API issued", ErrBadCursor)
		}
		after := string(raw)
		start = sort.Search(len(filtered), func(i int) bool { return diffKey(filtered[i]) > after })
	}
	end := min(start+q.Limit, len(filtered))
	d.Items = append(d.Items, filtered[start:end]...)
	if end < len(filtered) && end > start {
		d.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(diffKey(filtered[end-1])))
	}
	return d, nil
}

func kindNames(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Kind
	}
	return out
}

func diffKey(it DiffItem) string {
	return it.Kind + "\x00" + it.Namespace + "\x00" + it.Name + "\x00" + it.UID
}

// alignVals returns o's values in a's column order (schemas can differ in
// added columns between two moments).
func alignVals(b, a *Snapshot, o *Row) []any {
	if slices.Equal(a.Cols, b.Cols) {
		return o.Vals
	}
	out := make([]any, len(a.Cols))
	for i, c := range a.Cols {
		out[i] = b.Col(o, c)
	}
	return out
}

// TimelineItem is one recorded change of an object.
type TimelineItem struct {
	TS              time.Time       `json:"ts"`
	Op              string          `json:"op"`
	UID             string          `json:"uid"`
	ResourceVersion string          `json:"resource_version,omitempty"`
	Fields          []FieldChange   `json:"fields,omitempty"`
	DetailFields    []FieldChange   `json:"detail_fields,omitempty"`
	Object          json.RawMessage `json:"object,omitempty"`
}

// Timeline is the change history of one object.
type Timeline struct {
	Kind      string         `json:"kind"`
	Namespace string         `json:"namespace,omitempty"`
	Name      string         `json:"name,omitempty"`
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Truncated bool           `json:"truncated,omitempty"`
	Items     []TimelineItem `json:"items"`
}

// timelineBaseline is read before From so the first change in the range
// has something to compare with.
const timelineBaseline = 2 * time.Hour

// Timeline returns every change of one object (by name, or by uid) in
// [from, to), checkpoint rows that changed nothing left out.
func (v *View) Timeline(ctx context.Context, cluster string, k Kind, namespace, name, uid string, from, to time.Time, limit int) (Timeline, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return Timeline{}, err
	}
	tl := Timeline{Kind: k.Kind, Namespace: namespace, Name: name, From: from.UTC(), To: to.UTC(), Items: []TimelineItem{}}
	where := []Filter{Eq("kind", k.Kind)}
	if name != "" {
		where = append(where, Eq("namespace", namespace), Eq("name", name))
	}
	if uid != "" {
		where = append(where, Eq("uid", uid))
	}
	conds, args := joinFilters(where)
	sc := []query.Scope{scope(k.Table, []string{cluster}, from.Add(-timelineBaseline), to)}
	var res Result
	var details Result
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		res, err = v.query(gctx, sc, fmt.Sprintf("SELECT * EXCLUDE (date) FROM %s WHERE %s ORDER BY uid, ts, op = 'checkpoint' DESC, TRY_CAST(resource_version AS UBIGINT)", k.Table, conds), args...)
		return err
	})
	g.Go(func() (err error) {
		details, err = v.query(gctx, []query.Scope{scope("object_details", []string{cluster}, from.Add(-timelineBaseline), to)},
			fmt.Sprintf("SELECT uid, ts, op, resource_version, object FROM object_details WHERE %s ORDER BY uid, ts", conds), args...)
		return err
	})
	if err := g.Wait(); err != nil {
		return Timeline{}, err
	}
	snap := buildSnapshot(cluster, k.Table, to, res, -1)
	opIdx := indexOf(snap.Cols, "op")
	tsIdx := indexOf(snap.Cols, "ts")
	rvIdx := indexOf(snap.Cols, "resource_version")
	var prev *Row
	for _, r := range snap.Rows {
		if prev != nil && prev.UID != r.UID {
			prev = nil
		}
		ts, _ := r.Vals[tsIdx].(time.Time)
		op, _ := r.Vals[opIdx].(string)
		var fc []FieldChange
		if prev != nil {
			fc = fieldChanges(snap.Cols, prev.Vals, r.Vals)
		}
		if ts.Before(from) || (prev != nil && op == "checkpoint" && len(fc) == 0) {
			prev = r
			continue
		}
		prev = r
		rv, _ := r.Vals[rvIdx].(string)
		tl.Items = append(tl.Items, TimelineItem{TS: ts.UTC(), Op: op, UID: r.UID, ResourceVersion: rv, Fields: fc, Object: stripOp(r.JSON)})
	}
	attachDetails(&tl, k.Kind, details, from)
	sort.SliceStable(tl.Items, func(i, j int) bool { return tl.Items[i].TS.Before(tl.Items[j].TS) })
	if len(tl.Items) > limit {
		tl.Items, tl.Truncated = tl.Items[len(tl.Items)-limit:], true
	}
	return tl, nil
}

// stripOp drops the op column from a row's JSON (the item carries it).
func stripOp(raw []byte) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "op")
	out, _ := json.Marshal(m)
	return out
}

// attachDetails diffs consecutive detail versions of each uid and hangs
// the changed paths on the timeline item of the same resource version.
func attachDetails(tl *Timeline, kind string, details Result, from time.Time) {
	byRV := map[string]int{}
	for i, it := range tl.Items {
		byRV[it.UID+"\x00"+it.ResourceVersion] = i
	}
	var prevUID string
	var prev map[string]any
	for _, row := range details.Rows {
		uid, _ := row[0].(string)
		ts, _ := row[1].(time.Time)
		op, _ := row[2].(string)
		rv, _ := row[3].(string)
		raw, _ := row[4].(string)
		if uid != prevUID {
			prev, prevUID = nil, uid
		}
		var cur map[string]any
		if op != "delete" {
			if json.Unmarshal(Sanitize(kind, []byte(raw)), &cur) != nil {
				continue
			}
		}
		if prev == nil || ts.Before(from) {
			if cur != nil {
				prev = cur
			}
			continue
		}
		changes := jsonChanges(prev, cur)
		if cur != nil {
			prev = cur
		}
		if len(changes) == 0 {
			continue
		}
		if i, ok := byRV[uid+"\x00"+rv]; ok {
			tl.Items[i].DetailFields = changes
		}
	}
}

// skipPaths are noise in detail diffs.
var skipPaths = []string{"metadata.resourceVersion", "metadata.managedFields", "metadata.generation"}

func jsonChanges(a, b map[string]any) []FieldChange {
	fa, fb := map[string]any{}, map[string]any{}
	flatten("", a, fa)
	flatten("", b, fb)
	var out []FieldChange
	for p, va := range fa {
		if skip(p) {
			continue
		}
		if vb, ok := fb[p]; !ok {
			out = append(out, FieldChange{Field: p, From: va})
		} else if !equalJSON(va, vb) {
			out = append(out, FieldChange{Field: p, From: va, To: vb})
		}
	}
	for p, vb := range fb {
		if _, ok := fa[p]; !ok && !skip(p) {
			out = append(out, FieldChange{Field: p, To: vb})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	if len(out) > 200 {
		out = out[:200]
	}
	return out
}

func skip(p string) bool {
	for _, s := range skipPaths {
		if p == s || strings.HasPrefix(p, s+".") || strings.HasPrefix(p, s+"[") {
			return true
		}
	}
	return strings.HasSuffix(p, ".lastHeartbeatTime") || strings.HasSuffix(p, ".lastProbeTime")
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func flatten(prefix string, v any, out map[string]any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && prefix != "" {
			out[prefix] = t
		}
		for k, val := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, val, out)
		}
	case []any:
		if len(t) == 0 {
			out[prefix] = t
		}
		for i, val := range t {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), val, out)
		}
	default:
		out[prefix] = t
	}
}
