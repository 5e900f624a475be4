package lakeview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Filter is one SQL condition with its arguments, built by this package
// from validated parameters (values always travel as arguments).
type Filter struct {
	SQL  string
	Args []any
}

// In builds "col IN (?, ?, …)".
func In(col string, vals []string) Filter {
	ph := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return Filter{SQL: col + " IN (" + ph + ")", Args: args}
}

// Eq builds "col = ?".
func Eq(col string, val any) Filter { return Filter{SQL: col + " = ?", Args: []any{val}} }

// Contains builds a case-insensitive substring match over columns.
func Contains(text string, cols ...string) Filter {
	var parts []string
	var args []any
	pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
	for _, c := range cols {
		parts = append(parts, c+` ILIKE ? ESCAPE '\'`)
		args = append(args, pat)
	}
	return Filter{SQL: "(" + strings.Join(parts, " OR ") + ")", Args: args}
}

// RecordQuery pages through records of an append-only table, newest first,
// optionally keeping only the latest row per key.
type RecordQuery struct {
	Table    string
	Clusters []string
	From, To time.Time
	Latest   bool   // keep the latest row per (cluster, Key)
	Key      string // unique key within a cluster: fingerprint, uid, request_id
	TieBreak string // extra ORDER BY within a key, e.g. "count DESC"
	Exclude  []string
	Where    []Filter
	Limit    int
	Cursor   string
}

// RecordPage is one page of records.
type RecordPage struct {
	Items      [][]byte
	Total      int
	NextCursor string
	From, To   time.Time // the range the page covers
}

// recCursor pins the time range of the first page, so that a range
// given relative to now ("the last 24 h") stays the same while paging.
type recCursor struct {
	TS   int64  `json:"t"`
	C    string `json:"c"`
	K    string `json:"k"`
	H    string `json:"h"`
	From int64  `json:"f"`
	To   int64  `json:"u"`
}

func (q RecordQuery) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%v|%v|%s", q.Table, q.Clusters, q.Latest, q.Key)
	for _, f := range q.Where {
		fmt.Fprintf(h, "|%s|%v", f.SQL, f.Args)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Records answers one page.
func (v *View) Records(ctx context.Context, q RecordQuery) (RecordPage, error) {
	hash := q.hash()
	var where []string
	var args []any
	for _, f := range q.Where {
		where = append(where, f.SQL)
		args = append(args, f.Args...)
	}
	if len(where) == 0 {
		where = []string{"true"}
	}
	keyset := "true"
	var kargs []any
	if q.Cursor != "" {
		data, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c recCursor
		if err != nil || json.Unmarshal(data, &c) != nil {
			return RecordPage{}, fmt.Errorf("%w: not a cursor this API issued", ErrBadCursor)
		}
		if c.H != hash {
			return RecordPage{}, fmt.Errorf("%w: the cursor belongs to a query with other parameters", ErrBadCursor)
		}
		q.From, q.To = time.UnixMicro(c.From).UTC(), time.UnixMicro(c.To).UTC()
		keyset = fmt.Sprintf("(ts < make_timestamp(?) OR (ts = make_timestamp(?) AND (cluster > ? OR (cluster = ? AND %[1]s > ?))))", q.Key)
		kargs = []any{c.TS, c.TS, c.C, c.C, c.K}
	}
	exclude := append([]string{"date"}, q.Exclude...)
	base := fmt.Sprintf("SELECT * EXCLUDE (%s) FROM %s", strings.Join(exclude, ", "), q.Table)
	if q.Latest {
		order := "ts DESC"
		if q.TieBreak != "" {
			order += ", " + q.TieBreak
		}
		base = fmt.Sprintf("SELECT * EXCLUDE (%s, __rn) FROM (SELECT *, row_number() OVER (PARTITION BY cluster, %s ORDER BY %s) AS __rn FROM %s) WHERE __rn = 1",
			strings.Join(exclude, ", "), q.Key, order, q.Table)
	}
	sqlText := fmt.Sprintf(`WITH f AS (SELECT * FROM (%s) WHERE %s)
SELECT *, (SELECT count(*) FROM f) AS __total FROM f WHERE %s ORDER BY ts DESC, cluster, %s LIMIT %d`,
		base, strings.Join(where, " AND "), keyset, q.Key, q.Limit+1)
	res, err := v.query(ctx, []query.Scope{scope(q.Table, q.Clusters, q.From, q.To)}, sqlText, append(args, kargs...)...)
	if err != nil {
		return RecordPage{}, err
	}
	page := RecordPage{Items: [][]byte{}, From: q.From, To: q.To}
	ti := indexOf(res.Columns, "__total")
	cols := append([]string(nil), res.Columns[:ti]...)
	cols = append(cols, res.Columns[ti+1:]...)
	var buf bytes.Buffer
	for i, row := range res.Rows {
		if i == 0 {
			n, _ := row[ti].(int64)
			page.Total = int(n)
		}
		vals := append(append([]any(nil), row[:ti]...), row[ti+1:]...)
		if i == q.Limit {
			last := res.Rows[i-1]
			lv := append(append([]any(nil), last[:ti]...), last[ti+1:]...)
			ts, _ := lv[indexOf(cols, "ts")].(time.Time)
			c := recCursor{TS: ts.UnixMicro(), C: fmt.Sprint(lv[indexOf(cols, "cluster")]), K: fmt.Sprint(lv[indexOf(cols, q.Key)]), H: hash,
				From: q.From.UnixMicro(), To: q.To.UnixMicro()}
			data, _ := json.Marshal(c)
			page.NextCursor = base64.RawURLEncoding.EncodeToString(data)
			break
		}
		buf.Reset()
		encodeObject(&buf, cols, vals, false)
		page.Items = append(page.Items, bytes.Clone(buf.Bytes()))
	}
	if len(res.Rows) == 0 && q.Cursor == "" {
		page.Total = 0
	}
	return page, nil
}

// rows returns every row of a query as JSON objects.
func (v *View) rowsJSON(ctx context.Context, scopes []query.Scope, q string, args ...any) ([][]byte, error) {
	res, err := v.query(ctx, scopes, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(res.Rows))
	var buf bytes.Buffer
	for _, row := range res.Rows {
		buf.Reset()
		encodeObject(&buf, res.Columns, row, false)
		out = append(out, bytes.Clone(buf.Bytes()))
	}
	return out, nil
}

// AuditClusters are the partitions audit records live in.
var AuditClusters = []string{lake.GlobalCluster}

// EventHistory returns every row of one Event in [from, to).
func (v *View) EventHistory(ctx context.Context, cluster, namespace, name string, from, to time.Time) ([][]byte, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return nil, err
	}
	rows, err := v.rowsJSON(ctx, []query.Scope{scope("events", []string{cluster}, from, to)},
		"SELECT * EXCLUDE (date) FROM events WHERE namespace = ? AND name = ? ORDER BY ts, count", namespace, name)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("event %s/%s in %s: %w", namespace, name, cluster, ErrNotFound)
	}
	return rows, nil
}
