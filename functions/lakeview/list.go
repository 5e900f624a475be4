package lakeview

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// sortable reports whether a column can order a list: scalars only.
func sortable(s *Snapshot, col string) bool {
	if !s.HasCol(col) {
		return false
	}
	switch col {
	case "labels", "containers", "taints", "roles", "images", "conditions", "ports", "hosts", "backends", "access_modes", "hard", "used", "policy_types":
		return false
	}
	return true
}

type cursor struct {
	S  sortValue `json:"s"`
	NS string    `json:"n"`
	N  string    `json:"m"`
	U  string    `json:"u"`
	H  string    `json:"h"`           // hash of the query the cursor belongs to
	At int64     `json:"a,omitempty"` // the moment of the first page (µs), 0 = now
}

func (q ListQuery) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%v|%s|%s|%s|%v|%v|%s|%s|%s|%v|%d", q.Kind.Path, "", q.Namespaces, q.Selector.String(), q.Q, q.Node, q.Phases, q.Ready, q.OwnerKind, q.OwnerName, q.Sort, q.Desc, 0)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func encodeCursor(c cursor) string {
	data, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeCursor(s, hash string) (cursor, error) {
	var c cursor
	data, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(data, &c) != nil {
		return c, fmt.Errorf("%w: not a cursor this API issued", ErrBadCursor)
	}
	if c.H != hash {
		return c, fmt.Errorf("%w: the cursor belongs to a query with other parameters", ErrBadCursor)
	}
	return c, nil
}

// List answers one page of a kind's objects.
func (v *View) List(ctx context.Context, cluster string, q ListQuery) (ListPage, error) {
	hash := q.hash()
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, hash)
		if err != nil {
			return ListPage{}, err
		}
		after = &c
		// A relative "at" (at=-2h) keeps meaning the first page's moment.
		q.At = time.Time{}
		if c.At != 0 {
			q.At = time.UnixMicro(c.At).UTC()
		}
	}
	s, err := v.State(ctx, cluster, q.Kind.Table, q.At)
	if err != nil {
		return ListPage{}, err
	}
	if q.Sort != "" && !sortable(s, q.Sort) {
		return ListPage{}, &BadColumnError{Column: q.Sort}
	}
	match := q.matcher(s)
	rows := make([]*Row, 0, 256)
	for _, r := range s.Rows {
		if match(r) {
			rows = append(rows, r)
		}
	}
	key := func(r *Row) sortValue {
		if q.Sort == "" {
			return sortValue{}
		}
		return toSortValue(s.Col(r, q.Sort))
	}
	cmpRow := func(a sortValue, ans, an, au string, b *Row) int {
		if c := a.compare(key(b)); c != 0 {
			if q.Desc {
				return -c
			}
			return c
		}
		if c := strings.Compare(ans, b.Namespace); c != 0 {
			return c
		}
		if c := strings.Compare(an, b.Name); c != 0 {
			return c
		}
		return strings.Compare(au, b.UID)
	}
	if q.Sort != "" {
		sort.SliceStable(rows, func(i, j int) bool {
			return cmpRow(key(rows[i]), rows[i].Namespace, rows[i].Name, rows[i].UID, rows[j]) < 0
		})
	} // else: snapshot rows are already ordered by kind, namespace, name, uid
	start := 0
	if after != nil {
		start = sort.Search(len(rows), func(i int) bool { return cmpRow(after.S, after.NS, after.N, after.U, rows[i]) < 0 })
	}
	end := min(start+q.Limit, len(rows))
	page := ListPage{Total: len(rows), AsOf: s.At, Checkpoint: s.Checkpoint, Items: make([][]byte, 0, end-start)}
	if page.AsOf.IsZero() {
		page.AsOf = v.DataAsOf(ctx, cluster)
	}
	for _, r := range rows[start:end] {
		page.Items = append(page.Items, r.JSON)
	}
	if end < len(rows) && end > start {
		last := rows[end-1]
		c := cursor{S: key(last), NS: last.Namespace, N: last.Name, U: last.UID, H: hash}
		if !q.At.IsZero() {
			c.At = q.At.UnixMicro()
		}
		page.NextCursor = encodeCursor(c)
	}
	return page, nil
}

func (q ListQuery) matcher(s *Snapshot) func(*Row) bool {
	qtext := strings.ToLower(q.Q)
	return func(r *Row) bool {
		if r.Kind != q.Kind.Kind {
			return false
		}
		if len(q.Namespaces) > 0 && !slices.Contains(q.Namespaces, r.Namespace) {
			return false
		}
		if q.Node != "" {
			if n, _ := s.Col(r, "node").(string); n != q.Node {
				return false
			}
		}
		if len(q.Phases) > 0 {
			if p, _ := s.Col(r, "phase").(string); !slices.Contains(q.Phases, p) {
				return false
			}
		}
		if q.Ready != nil {
			if b, _ := s.Col(r, "ready").(bool); b != *q.Ready {
				return false
			}
		}
		if q.OwnerKind != "" {
			ok, _ := s.Col(r, "owner_kind").(string)
			on, _ := s.Col(r, "owner_name").(string)
			if ok != q.OwnerKind || on != q.OwnerName {
				return false
			}
		}
		if !q.Selector.Matches(r.labels) {
			return false
		}
		if qtext != "" && !strings.Contains(r.text, qtext) {
			return false
		}
		return true
	}
}
