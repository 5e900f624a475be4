package api

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// clusterParam validates {cluster}; existence is checked by the view.
func clusterParam(r *http.Request) (string, *apiError) {
	c := chi.URLParam(r, "cluster")
	if lake.ValidCluster(c) != nil {
		return "", badParam("cluster", "invalid cluster id %q", clipStr(c))
	}
	if c == lake.GlobalCluster {
		return "", notFound("cluster %q not found", c)
	}
	return c, nil
}

func (s *Server) listClusters(_ http.ResponseWriter, r *http.Request) (any, error) {
	list, err := s.cfg.View.ClusterList(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"items": list}, nil
}

func (s *Server) fleetOverview(_ http.ResponseWriter, r *http.Request) (any, error) {
	return s.cfg.View.Fleet(r.Context())
}

func (s *Server) getCluster(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	return s.cfg.View.Cluster(r.Context(), c)
}

func (s *Server) clusterOverview(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	return s.cfg.View.Overview(r.Context(), c)
}

func (s *Server) namespaceSummaries(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	items, asOf, err := s.cfg.View.NamespaceSummaries(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"as_of": asOf, "items": items}, nil
}

// watchCluster renews the cluster's watch lease (query/control): while a
// dashboard keeps renewing it, the agent publishes its unflushed rows every
// few seconds and polls for commands fast. Not audited: it changes what
// the cluster costs for a few minutes, not what anyone may see or do.
func (s *Server) watchCluster(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
		return nil, err
	}
	until, err := control.Watch(r.Context(), s.cfg.Bucket, c, s.cfg.Now(), control.MaxWatch)
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": c, "watch_until": until.UTC(),
		"renew_after_seconds": int(control.MaxWatch / 2 / time.Second)}, nil
}

// writePage writes {"items": [raw…], "next_cursor", "total", "as_of"}.
// Its ETag covers everything but as_of, which also travels in AsOfHeader:
// a refresh of unchanged data is a 304 that still says how recent it is.
// listPage is a list answer of pre-encoded items (reply writes it with writePage).
type listPage struct {
	items [][]byte
	next  string
	total int
	asOf  time.Time
	extra map[string]any
}

func writePage(w http.ResponseWriter, p listPage) {
	items, next, total, asOf, extra := p.items, p.next, p.total, p.asOf, p.extra
	var b bytes.Buffer
	b.Grow(64 + len(items)*512)
	b.WriteString(`{"items":[`)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteString(`],"total":`)
	tb, _ := json.Marshal(total)
	b.Write(tb)
	if next != "" {
		b.WriteString(`,"next_cursor":`)
		nb, _ := json.Marshal(next)
		b.Write(nb)
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) { // sorted: the same data, the same bytes
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(extra[k])
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	h := w.Header()
	h.Set("ETag", weakETag(b.Bytes()))
	if !asOf.IsZero() {
		ab, _ := json.Marshal(asOf.UTC())
		b.WriteString(`,"as_of":`)
		b.Write(ab)
		h.Set(AsOfHeader, asOf.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString("}\n")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func validNamespace(s string) bool { return dnsLabelRE.MatchString(s) }
func validName(s string) bool      { return nameRE.MatchString(s) }
func validToken(s string) bool     { return tokenRE.MatchString(s) }

// parseAt reads the time-travel moment (zero: now).
func (s *Server) parseAt(r *http.Request) (time.Time, *apiError) {
	a := r.URL.Query().Get("at")
	if a == "" {
		return time.Time{}, nil
	}
	now := s.cfg.Now()
	t, err := parseTime("at", a, now)
	if err != nil {
		return time.Time{}, err
	}
	if !t.Before(now) {
		return time.Time{}, nil
	}
	return t, nil
}

func (s *Server) listObjects(k lakeview.Kind) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		c, perr := clusterParam(r)
		if perr != nil {
			return nil, perr
		}
		lq, perr := s.listQuery(r, k)
		if perr != nil {
			return nil, perr
		}
		page, err := s.cfg.View.List(r.Context(), c, lq)
		if err != nil {
			return nil, err
		}
		extra := map[string]any{}
		if !page.Checkpoint.IsZero() {
			extra["checkpoint"] = page.Checkpoint
		} else if !lq.At.IsZero() {
			// No checkpoint at or before the moment: say when history
			// begins, so "before it" does not look like an empty cluster.
			start, err := s.cfg.View.HistoryStart(r.Context(), c, k.Table, lq.At)
			if err != nil {
				return nil, err
			}
			if !start.IsZero() {
				extra["history_starts_at"] = start
			}
		}
		if err := s.collected(r.Context(), c, k.Kind, extra); err != nil {
			return nil, err
		}
		return listPage{page.Items, page.NextCursor, page.Total, page.AsOf, extra}, nil
	}
}

func (s *Server) listQuery(r *http.Request, k lakeview.Kind) (lakeview.ListQuery, *apiError) {
	q := r.URL.Query()
	lq := lakeview.ListQuery{Kind: k}
	var perr *apiError
	if lq.At, perr = s.parseAt(r); perr != nil {
		return lq, perr
	}
	if k.Namespaced {
		if lq.Namespaces, perr = parseList(q, "namespace", 50, validNamespace); perr != nil {
			return lq, perr
		}
	} else if q.Get("namespace") != "" {
		return lq, badParam("namespace", "%s are not namespaced", k.Path)
	}
	sel := q.Get("label")
	selector, err := lakeview.ParseSelector(sel)
	if err != nil {
		return lq, badParam("label", "%s", err.Error())
	}
	lq.Selector = selector
	if lq.Q, perr = parseText(q, "q"); perr != nil {
		return lq, perr
	}
	if lq.Sort, lq.Desc, perr = parseSort(q.Get("sort")); perr != nil {
		return lq, perr
	}
	if lq.Limit, perr = parseLimit(q, 100, 1000); perr != nil {
		return lq, perr
	}
	lq.Cursor = q.Get("cursor")
	if len(lq.Cursor) > 2048 {
		return lq, badParam("cursor", "cursor too long")
	}
	unsupported := func(name string) *apiError {
		return badParam(name, "%s cannot be filtered by %s", k.Path, name)
	}
	if v := q.Get("node"); v != "" {
		if !k.Node {
			return lq, unsupported("node")
		}
		if !validName(v) {
			return lq, badParam("node", "invalid node name")
		}
		lq.Node = v
	}
	if q.Has("phase") {
		if !k.Phase {
			return lq, unsupported("phase")
		}
		if lq.Phases, perr = parseList(q, "phase", 10, validToken); perr != nil {
			return lq, perr
		}
	}
	if q.Has("ready") {
		if !k.Ready {
			return lq, unsupported("ready")
		}
		if lq.Ready, perr = parseBool(q, "ready"); perr != nil {
			return lq, perr
		}
	}
	if v := q.Get("owner"); v != "" {
		if !k.Owner {
			return lq, unsupported("owner")
		}
		if lq.OwnerKind, lq.OwnerName, perr = parseOwner(v); perr != nil {
			return lq, perr
		}
	}
	return lq, nil
}

func (s *Server) getObject(k lakeview.Kind) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		c, perr := clusterParam(r)
		if perr != nil {
			return nil, perr
		}
		ns := ""
		if k.Namespaced {
			ns = chi.URLParam(r, "namespace")
			if !validNamespace(ns) {
				return nil, badParam("namespace", "invalid namespace")
			}
		}
		name := chi.URLParam(r, "name")
		if !validName(name) {
			return nil, badParam("name", "invalid name")
		}
		at, perr := s.parseAt(r)
		if perr != nil {
			return nil, perr
		}
		uid, perr := parseOne(r.URL.Query(), "uid", uidRE)
		if perr != nil {
			return nil, perr
		}
		return s.cfg.View.Detail(r.Context(), c, k, ns, name, uid, at)
	}
}

// --- events

func (s *Server) listEvents(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	rq := lakeview.RecordQuery{Table: "events", Clusters: []string{c}, Latest: true, Key: "uid", TieBreak: "count DESC"}
	if perr = s.recordPage(q, &rq, 24*time.Hour, 31*24*time.Hour); perr != nil {
		return nil, perr
	}
	if perr = whereIn(q, &rq, listFilter{"namespace", 50, validNamespace}, listFilter{"reason", 20, validToken}); perr != nil {
		return nil, perr
	}
	if t := q.Get("type"); t != "" {
		if t != "Normal" && t != "Warning" {
			return nil, badParam("type", "type must be Normal or Warning")
		}
		rq.Where = append(rq.Where, lakeview.Eq("type", t))
	}
	if v, perr := parseOne(q, "involved_kind", tokenRE); perr != nil {
		return nil, perr
	} else if v != "" {
		rq.Where = append(rq.Where, lakeview.Eq("involved_kind", v))
	}
	if v, perr := parseOne(q, "involved_name", nameRE); perr != nil {
		return nil, perr
	} else if v != "" {
		rq.Where = append(rq.Where, lakeview.Eq("involved_name", v))
	}
	text, perr := parseText(q, "q")
	if perr != nil {
		return nil, perr
	}
	if text != "" {
		rq.Where = append(rq.Where, lakeview.Contains(text, "message", "reason", "involved_name", "name"))
	}
	page, err := s.cfg.View.Records(r.Context(), rq)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	if err := s.collected(r.Context(), c, kinds.Event, extra); err != nil {
		return nil, err
	}
	return listPage{page.Items, page.NextCursor, page.Total, page.To, extra}, nil
}

// recordPage reads the parameters every record list shares into rq: its
// time range (default def back from now, at most maxSpan), limit and
// cursor.
func (s *Server) recordPage(q url.Values, rq *lakeview.RecordQuery, def, maxSpan time.Duration) *apiError {
	var perr *apiError
	if rq.From, rq.To, perr = timeRange(q, s.cfg.Now(), def, maxSpan); perr != nil {
		return perr
	}
	if rq.Limit, perr = parseLimit(q, 100, 1000); perr != nil {
		return perr
	}
	rq.Cursor = strings.TrimSpace(first(q["cursor"]))
	if len(rq.Cursor) > 2048 {
		return badParam("cursor", "cursor too long")
	}
	return nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) records(r *http.Request, rq lakeview.RecordQuery) (any, error) {
	p, err := s.cfg.View.Records(r.Context(), rq)
	if err != nil {
		return nil, err
	}
	return listPage{p.Items, p.NextCursor, p.Total, s.recordsAsOf(r, rq), nil}, nil
}

func (s *Server) getEvent(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	ns, name := chi.URLParam(r, "namespace"), chi.URLParam(r, "name")
	if !validNamespace(ns) {
		return nil, badParam("namespace", "invalid namespace")
	}
	if !validName(name) {
		return nil, badParam("name", "invalid name")
	}
	from, to, perr := timeRange(r.URL.Query(), s.cfg.Now(), 7*24*time.Hour, 31*24*time.Hour)
	if perr != nil {
		return nil, perr
	}
	items, err := s.cfg.View.EventHistory(r.Context(), c, ns, name, from, to)
	if err != nil {
		return nil, err
	}
	return listPage{items, "", len(items), to, nil}, nil
}

// --- anomalies

// clustersFor is the clusters a list route reads: the path's, or the
// cluster parameter's (default all), each checked.
func (s *Server) clustersFor(r *http.Request, scoped bool) ([]string, error) {
	if scoped {
		c, perr := clusterParam(r)
		if perr != nil {
			return nil, perr
		}
		if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
			return nil, err
		}
		return []string{c}, nil
	}
	q := r.URL.Query()
	ids, perr := parseList(q, "cluster", 500, func(s string) bool { return lake.ValidCluster(s) == nil && s != lake.GlobalCluster })
	if perr != nil {
		return nil, perr
	}
	if len(ids) == 0 {
		all, err := s.cfg.View.Clusters(r.Context())
		return all, err
	}
	for _, id := range ids {
		if err := s.cfg.View.CheckCluster(r.Context(), id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

var severities = map[string]bool{"critical": true, "warning": true, "info": true}

func (s *Server) listAnomalies(scoped bool) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		clusters, err := s.clustersFor(r, scoped)
		if err != nil {
			return nil, err
		}
		var perr *apiError
		q := r.URL.Query()
		rq := lakeview.RecordQuery{Table: "anomalies", Clusters: clusters, Latest: true, Key: "fingerprint", TieBreak: "count DESC", Exclude: []string{"log_tail"}}
		if perr = s.recordPage(q, &rq, 24*time.Hour, 90*24*time.Hour); perr != nil {
			return nil, perr
		}
		switch q.Get("state") {
		case "", "any":
		case "open":
			rq.Where = append(rq.Where, lakeview.Filter{SQL: "state <> 'resolved'"})
		case "resolved":
			rq.Where = append(rq.Where, lakeview.Eq("state", "resolved"))
		default:
			return nil, badParam("state", "state must be open, resolved or any")
		}
		if perr = whereIn(q, &rq, listFilter{"severity", 3, func(s string) bool { return severities[s] }}, listFilter{"rule", 20, validToken},
			listFilter{"kind", 10, validToken}, listFilter{"namespace", 50, validNamespace}, listFilter{"name", 20, validName},
			listFilter{"node", 20, validName}); perr != nil {
			return nil, perr
		}
		text, perr := parseText(q, "q")
		if perr != nil {
			return nil, perr
		}
		if text != "" {
			rq.Where = append(rq.Where, lakeview.Contains(text, "name", "namespace", "reason", "message", "rule", "node"))
		}
		if len(clusters) == 0 {
			return listPage{nil, "", 0, rq.To, nil}, nil
		}
		page, err := s.cfg.View.Records(r.Context(), rq)
		if err != nil {
			return nil, err
		}
		return listPage{s.cfg.View.WithLiveStatus(r.Context(), page.Items), page.NextCursor, page.Total, s.recordsAsOf(r, rq), nil}, nil
	}
}

// recordsAsOf is the moment a page of records reflects: its range's end,
// or for a range reaching now, the least of its clusters' data moments.
func (s *Server) recordsAsOf(r *http.Request, rq lakeview.RecordQuery) time.Time {
	if rq.To.Before(s.cfg.Now().Add(-time.Minute)) {
		return rq.To
	}
	asOf := rq.To
	for _, c := range rq.Clusters {
		if c == lake.GlobalCluster {
			continue // written by the API itself: complete
		}
		if t := s.cfg.View.DataAsOf(r.Context(), c); t.Before(asOf) {
			asOf = t
		}
	}
	return asOf
}

func (s *Server) anomalyTrend(scoped bool) func(http.ResponseWriter, *http.Request) (any, error) {
	return func(_ http.ResponseWriter, r *http.Request) (any, error) {
		clusters, err := s.clustersFor(r, scoped)
		if err != nil {
			return nil, err
		}
		var perr *apiError
		q := r.URL.Query()
		from, to, perr := timeRange(q, s.cfg.Now(), 24*time.Hour, 90*24*time.Hour)
		if perr != nil {
			return nil, perr
		}
		sev, perr := parseList(q, "severity", 3, func(s string) bool { return severities[s] })
		if perr != nil {
			return nil, perr
		}
		return s.cfg.View.AnomalyTrend(r.Context(), clusters, from, to, sev)
	}
}

func (s *Server) getAnomaly(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	fp := chi.URLParam(r, "fingerprint")
	if !fingerprintRE.MatchString(fp) {
		return nil, badParam("fingerprint", "invalid fingerprint")
	}
	from, to, perr := timeRange(r.URL.Query(), s.cfg.Now(), 7*24*time.Hour, 90*24*time.Hour)
	if perr != nil {
		return nil, perr
	}
	h, err := s.cfg.View.Anomaly(r.Context(), c, fp, from, to)
	if err != nil {
		return nil, err
	}
	transitions := make([]json.RawMessage, len(h.Transitions))
	for i, t := range h.Transitions {
		transitions[i] = t
	}
	return map[string]any{
		// The same live status as the lists (open, condition cleared, resolved).
		"anomaly":     json.RawMessage(s.cfg.View.WithLiveStatus(r.Context(), [][]byte{h.Anomaly})[0]),
		"transitions": transitions,
	}, nil
}

// --- audit

func (s *Server) listAudit(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	rq := lakeview.RecordQuery{Table: "audit", Clusters: lakeview.AuditClusters, Key: "request_id"}
	if perr := s.recordPage(q, &rq, 7*24*time.Hour, 366*24*time.Hour); perr != nil {
		return nil, perr
	}
	if perr := whereIn(q, &rq, listFilter{"action", 20, validToken}); perr != nil {
		return nil, perr
	}
	if v := q.Get("actor"); v != "" {
		if len(v) > 64 {
			return nil, badParam("actor", "actor too long")
		}
		rq.Where = append(rq.Where, lakeview.Eq("actor", v))
	}
	switch o := q.Get("outcome"); o {
	case "":
	case "ok", "denied", "error":
		rq.Where = append(rq.Where, lakeview.Eq("outcome", o))
	default:
		return nil, badParam("outcome", "outcome must be ok, denied or error")
	}
	return s.records(r, rq)
}
