package lakeview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/atlhyper/atlhyper/query"
)

// ObjectDetail is one object with its context.
type ObjectDetail struct {
	Object    json.RawMessage   `json:"object"`
	Detail    json.RawMessage   `json:"detail,omitempty"`
	DetailTS  *time.Time        `json:"detail_ts,omitempty"`
	Deleted   bool              `json:"deleted,omitempty"`
	Anomalies []json.RawMessage `json:"anomalies"`
	Events    []json.RawMessage `json:"events"`
}

// Detail returns one object as it was at at (zero: now).
func (v *View) Detail(ctx context.Context, cluster string, k Kind, namespace, name, uid string, at time.Time) (ObjectDetail, error) {
	s, err := v.State(ctx, cluster, k.Table, at)
	if err != nil {
		return ObjectDetail{}, err
	}
	when := at
	if when.IsZero() {
		when = v.cfg.Now()
	}
	var out ObjectDetail
	for _, r := range s.Rows {
		if r.Kind == k.Kind && r.Namespace == namespace && r.Name == name && (uid == "" || r.UID == uid) {
			out.Object, uid = r.JSON, r.UID
			break
		}
	}
	if out.Object == nil {
		// Deleted before at: show its last state.
		where := []Filter{Eq("kind", k.Kind), Eq("namespace", namespace), Eq("name", name)}
		if uid != "" {
			where = append(where, Eq("uid", uid))
		}
		conds, args := joinFilters(where)
		rows, err := v.query(ctx, []query.Scope{scope(k.Table, []string{cluster}, when.Add(-8*24*time.Hour), when.Add(time.Microsecond))},
			fmt.Sprintf("SELECT * EXCLUDE (date) FROM %s WHERE %s ORDER BY ts DESC, op = 'delete' DESC LIMIT 1", k.Table, conds), args...)
		if err != nil {
			return ObjectDetail{}, err
		}
		if len(rows.Rows) == 0 {
			return ObjectDetail{}, fmt.Errorf("%s %s/%s in %s: %w", k.Kind, namespace, name, cluster, ErrNotFound)
		}
		snap := buildSnapshot(cluster, k.Table, at, rows, -1)
		r := snap.Rows[0]
		out.Object, uid, out.Deleted = r.JSON, r.UID, true
	}
	end := when.Add(time.Microsecond)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for _, back := range []time.Duration{26 * time.Hour, 8 * 24 * time.Hour} {
			res, err := v.query(gctx, []query.Scope{scope("object_details", []string{cluster}, when.Add(-back), end)},
				"SELECT ts, object FROM object_details WHERE uid = ? AND op <> 'delete' ORDER BY ts DESC LIMIT 1", uid)
			if err != nil {
				return err
			}
			if len(res.Rows) == 1 {
				ts, _ := res.Rows[0][0].(time.Time)
				ts = ts.UTC()
				raw, _ := res.Rows[0][1].(string)
				out.Detail, out.DetailTS = Sanitize(k.Kind, []byte(raw)), &ts
				return nil
			}
		}
		return nil
	})
	g.Go(func() error {
		rows, err := v.rowsJSON(gctx, []query.Scope{scope("anomalies", []string{cluster}, when.Add(-24*time.Hour), end)},
			`SELECT * EXCLUDE (date, log_tail, __rn) FROM (SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY ts DESC, count DESC) AS __rn FROM anomalies
			 WHERE uid = ? OR (kind = ? AND namespace = ? AND name = ?)) WHERE __rn = 1 ORDER BY ts DESC LIMIT 100`, uid, k.Kind, namespace, name)
		out.Anomalies = raws(rows)
		return err
	})
	g.Go(func() error {
		rows, err := v.rowsJSON(gctx, []query.Scope{scope("events", []string{cluster}, when.Add(-24*time.Hour), end)},
			`SELECT * EXCLUDE (date, __rn) FROM (SELECT *, row_number() OVER (PARTITION BY uid ORDER BY ts DESC, count DESC) AS __rn FROM events
			 WHERE involved_uid = ? OR (involved_kind = ? AND involved_namespace = ? AND involved_name = ?)) WHERE __rn = 1 ORDER BY ts DESC LIMIT 100`,
			uid, k.Kind, namespace, name)
		out.Events = raws(rows)
		return err
	})
	if err := g.Wait(); err != nil {
		return ObjectDetail{}, err
	}
	return out, nil
}

func raws(rows [][]byte) []json.RawMessage {
	out := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

func joinFilters(fs []Filter) (string, []any) {
	var conds []string
	var args []any
	for _, f := range fs {
		conds, args = append(conds, f.SQL), append(args, f.Args...)
	}
	if len(conds) == 0 {
		return "true", nil
	}
	return strings.Join(conds, " AND "), args
}

// Redacted replaces values that must never leave the cluster.
const Redacted = "<redacted>"

// Sanitize is defence in depth over what the agent already strips: it
// removes Secret and ConfigMap data, the last-applied annotation (which
// holds a copy of them) and managedFields, and replaces literal env values.
// Unparseable JSON is dropped rather than passed through.
func Sanitize(kind string, raw []byte) json.RawMessage {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	if kind == "Secret" || kind == "ConfigMap" {
		delete(obj, "data")
		delete(obj, "stringData")
		delete(obj, "binaryData")
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		}
	}
	redactEnv(obj)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil
	}
	return bytes.TrimSpace(buf.Bytes())
}

func redactEnv(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if k == "env" {
				if list, ok := val.([]any); ok {
					for _, e := range list {
						if m, ok := e.(map[string]any); ok {
							if s, has := m["value"]; has && s != Redacted {
								m["value"] = Redacted
							}
						}
					}
				}
				continue
			}
			redactEnv(val)
		}
	case []any:
		for _, e := range t {
			redactEnv(e)
		}
	}
}
