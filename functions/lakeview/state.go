package lakeview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/sync/singleflight"

	"github.com/atlhyper/atlhyper/internal/lru"
	"github.com/atlhyper/atlhyper/query"
)

// A Snapshot is the reconstructed state of one state table of one cluster
// at one moment: the latest checkpoint at or before it plus the changes
// after it, latest row per uid, deletions dropped.
type Snapshot struct {
	Cluster, Table string
	At             time.Time // zero: now
	Checkpoint     time.Time // zero: no checkpoint found (all changes used)
	Cols           []string  // output columns (no op, no date)
	Rows           []*Row
	colIdx         map[string]int
	size           int64
}

// Row is one object in a snapshot.
type Row struct {
	Kind, Namespace, Name, UID string
	Vals                       []any  // raw scanned values, in Snapshot.Cols order
	JSON                       []byte // the object as the API returns it
	text                       string // lowercased haystack for free-text search
	labels                     map[string]string
}

// Col returns a column's raw value.
func (s *Snapshot) Col(r *Row, name string) any {
	if i, ok := s.colIdx[name]; ok {
		return r.Vals[i]
	}
	return nil
}

// HasCol reports whether the table has the column.
func (s *Snapshot) HasCol(name string) bool { _, ok := s.colIdx[name]; return ok }

// Windows tried, in order, to find the latest checkpoint before a moment.
var checkpointWindows = []time.Duration{2 * time.Hour, 26 * time.Hour, 8 * 24 * time.Hour}

// State returns the snapshot of table in cluster at at (zero: now).
func (v *View) State(ctx context.Context, cluster, table string, at time.Time) (*Snapshot, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return nil, err
	}
	return v.state(ctx, cluster, table, at)
}

func (v *View) state(ctx context.Context, cluster, table string, at time.Time) (*Snapshot, error) {
	now := v.cfg.Now()
	live := at.IsZero() || !at.Before(now)
	var from, to time.Time
	key := cluster + "/" + table + "/"
	if live {
		at = time.Time{}
		// Everything written so far: a state is "now" only if no later
		// rows exist, and the object set decides that.
		from, to = now.Add(-checkpointWindows[0]), now.Add(time.Hour)
		key += "live"
	} else {
		from, to = at.Add(-checkpointWindows[0]), at.Add(time.Microsecond)
		key += at.UTC().Format(time.RFC3339Nano)
	}
	// The objects the state depends on decide whether a cached state is
	// still exactly right.
	fp, err := v.fingerprint(ctx, scope(table, []string{cluster}, from, to))
	if err != nil {
		return nil, err
	}
	if s := v.states.get(key, fp); s != nil {
		return s, nil
	}
	res, err, _ := v.states.group.Do(key+"#"+fp, func() (any, error) {
		s, err := v.computeState(ctx, cluster, table, at, to)
		if err != nil {
			return nil, err
		}
		v.states.put(key, fp, s)
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*Snapshot), nil
}

func (v *View) fingerprint(ctx context.Context, s query.Scope) (string, error) {
	objs, err := v.e.Files(ctx, s)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, o := range objs {
		h.Write([]byte(o.Info.Key))
		h.Write([]byte{0})
		h.Write([]byte(o.Info.ETag))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func (v *View) computeState(ctx context.Context, cluster, table string, at, to time.Time) (*Snapshot, error) {
	end := to
	if at.IsZero() {
		at = v.cfg.Now()
	}
	for i, w := range checkpointWindows {
		q := fmt.Sprintf(`WITH ck AS (SELECT max(ts) AS t FROM %[1]s WHERE op = 'checkpoint')
SELECT * EXCLUDE (op, date, rn) FROM (
  SELECT *, (SELECT t FROM ck) AS __checkpoint,
    row_number() OVER (PARTITION BY uid ORDER BY ts DESC, op = 'checkpoint', TRY_CAST(resource_version AS UBIGINT) DESC NULLS LAST) AS rn
  FROM %[1]s
  WHERE ts >= coalesce((SELECT t FROM ck), TIMESTAMP '1970-01-01')
) WHERE rn = 1 AND op <> 'delete'
ORDER BY kind, namespace, name, uid`, table)
		res, err := v.query(ctx, []query.Scope{scope(table, []string{cluster}, at.Add(-w), end)}, q)
		if err != nil {
			return nil, err
		}
		ckIdx := indexOf(res.Columns, "__checkpoint")
		found := len(res.Rows) > 0 && res.Rows[0][ckIdx] != nil
		if !found && i < len(checkpointWindows)-1 {
			// No checkpoint in this window (an empty table, or a cluster
			// younger than one checkpoint interval): look further back.
			continue
		}
		return buildSnapshot(cluster, table, at, res, ckIdx), nil
	}
	panic("unreachable")
}

func indexOf(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	return -1
}

// textCols are left out of the free-text haystack.
var notText = map[string]bool{"uid": true, "resource_version": true, "cluster": true, "kind": true, "selector": true, "op": true}

func buildSnapshot(cluster, table string, at time.Time, res Result, ckIdx int) *Snapshot {
	s := &Snapshot{Cluster: cluster, Table: table, At: at, colIdx: map[string]int{}}
	for i, c := range res.Columns {
		if i != ckIdx {
			s.colIdx[c] = len(s.Cols)
			s.Cols = append(s.Cols, c)
		}
	}
	var buf bytes.Buffer
	for _, raw := range res.Rows {
		if ckIdx >= 0 && s.Checkpoint.IsZero() {
			if t, ok := raw[ckIdx].(time.Time); ok {
				s.Checkpoint = t.UTC()
			}
		}
		vals := make([]any, 0, len(s.Cols))
		for i, val := range raw {
			if i != ckIdx {
				vals = append(vals, val)
			}
		}
		r := &Row{Vals: vals}
		r.Kind, _ = s.Col(r, "kind").(string)
		r.Namespace, _ = s.Col(r, "namespace").(string)
		r.Name, _ = s.Col(r, "name").(string)
		r.UID, _ = s.Col(r, "uid").(string)
		r.labels = stringMap(s.Col(r, "labels"))
		var text strings.Builder
		for i, c := range s.Cols {
			if !notText[c] {
				appendText(&text, vals[i])
			}
		}
		r.text = strings.ToLower(text.String())
		buf.Reset()
		// cluster is the view's hive column; keep it first for readability.
		encodeObject(&buf, s.Cols, vals, true)
		r.JSON = bytes.Clone(buf.Bytes())
		s.size += rowSize(r)
		s.Rows = append(s.Rows, r)
	}
	return s
}

func appendText(b *strings.Builder, v any) {
	switch t := v.(type) {
	case string:
		if t != "" {
			b.WriteString(t)
			b.WriteByte(' ')
		}
	case []any:
		for _, e := range t {
			switch e := e.(type) {
			case string:
				appendText(b, e)
			case map[string]any: // containers: name and image
				appendText(b, e["name"])
				appendText(b, e["image"])
				appendText(b, e["reason"])
			}
		}
	}
}

// rowSize estimates the heap a row holds: its JSON and search text, the
// scanned values (boxed, maps and lists of them) and its labels. The state
// cache's bound is in these bytes, so they must not undercount: counting
// only the JSON twice put the heap at about twice the bound.
func rowSize(r *Row) int64 {
	n := int64(len(r.JSON)+len(r.text)) + 160 // the Row, its slices' and strings' headers
	for _, v := range r.Vals {
		n += valueSize(v)
	}
	for k, v := range r.labels {
		n += int64(len(k)+len(v)) + 48 // map slot and string headers
	}
	return n
}

// valueSize estimates the heap a scanned value holds, interface included.
func valueSize(v any) int64 {
	switch t := v.(type) {
	case nil:
		return 16
	case string:
		return 32 + int64(len(t))
	case []byte:
		return 40 + int64(len(t))
	case []any:
		n := int64(40)
		for _, e := range t {
			n += valueSize(e)
		}
		return n
	case map[string]any:
		n := int64(64)
		for k, e := range t {
			n += 24 + int64(len(k)) + valueSize(e)
		}
		return n
	case duckdb.Map:
		n := int64(64)
		for k, e := range t {
			n += valueSize(k) + valueSize(e)
		}
		return n
	case duckdb.OrderedMap:
		n, vals := int64(96), t.Values()
		for i, k := range t.Keys() {
			n += valueSize(k) + valueSize(vals[i])
		}
		return n
	case *duckdb.OrderedMap:
		if t == nil {
			return 16
		}
		return valueSize(*t)
	default: // numbers, times, booleans, decimals
		return 40
	}
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := Normalize(v).(map[string]any); ok {
		for k, val := range m {
			out[k] = fmt.Sprint(val)
		}
	}
	return out
}

// stateCache keeps snapshots by key, valid for one object-set fingerprint,
// bounded in bytes (lru).
type stateCache struct {
	group singleflight.Group
	cache *lru.Cache[string, stateEntry]
}

type stateEntry struct {
	fp string
	s  *Snapshot
}

func newStateCache(max int64) *stateCache {
	return &stateCache{cache: lru.New[string, stateEntry](max, func(e stateEntry) int64 { return e.s.size })}
}

func (c *stateCache) get(key, fp string) *Snapshot {
	if e, ok := c.cache.Get(key); ok && e.fp == fp {
		return e.s
	}
	return nil
}

func (c *stateCache) put(key, fp string, s *Snapshot) { c.cache.Put(key, stateEntry{fp: fp, s: s}) }

// ListQuery selects, orders and pages the objects of one kind.
type ListQuery struct {
	Kind       Kind
	At         time.Time // zero: now
	Namespaces []string
	Selector   Selector
	Q          string
	Node       string
	Phases     []string
	Ready      *bool
	OwnerKind  string
	OwnerName  string
	Sort       string // column; "" = namespace, name
	Desc       bool
	Limit      int
	Cursor     string
}

// ListPage is one page of objects.
type ListPage struct {
	Items      [][]byte
	NextCursor string
	Total      int
	AsOf       time.Time
	Checkpoint time.Time
}

// ErrBadCursor marks a cursor that does not belong to the query.
var ErrBadCursor = errors.New("invalid cursor")

// BadColumnError names an unknown sort column.
type BadColumnError struct{ Column string }

func (e *BadColumnError) Error() string { return fmt.Sprintf("cannot sort by %q", e.Column) }

// HistoryStart is when the history of table in cluster begins after at:
// its first row at or after at, looked for day by day (partition
// listings, no data read) up to now or 90 days on (zero: none). A state
// at a moment before it is "no data before then", not an empty cluster.
func (v *View) HistoryStart(ctx context.Context, cluster, table string, at time.Time) (time.Time, error) {
	now := v.cfg.Now()
	day := at.UTC().Truncate(24 * time.Hour)
	for i := 0; i < 90 && !day.After(now); i, day = i+1, day.Add(24*time.Hour) {
		sc := scope(table, []string{cluster}, maxTime(day, at), day.Add(24*time.Hour))
		objs, err := v.e.Files(ctx, sc)
		if err != nil {
			return time.Time{}, err
		}
		if len(objs) == 0 {
			continue
		}
		res, err := v.query(ctx, []query.Scope{sc}, fmt.Sprintf(`SELECT min(ts) FROM %s`, table))
		if err != nil || len(res.Rows) == 0 {
			return time.Time{}, err
		}
		if t, ok := res.Rows[0][0].(time.Time); ok {
			return t.UTC(), nil
		}
	}
	return time.Time{}, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
