package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/atlhyper/atlhyper/functions/adhoc"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query/lake"
)

// --- node metrics

func (s *Server) nodesMetrics(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	items, err := s.cfg.View.NodesMetricsCurrent(r.Context(), c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"as_of": s.cfg.Now().UTC(), "items": items}, nil
}

// nodeParams are a node route's cluster and node name.
func nodeParams(r *http.Request) (cluster, node string, perr *apiError) {
	if cluster, perr = clusterParam(r); perr != nil {
		return "", "", perr
	}
	node = chi.URLParam(r, "name")
	if !validName(node) {
		return "", "", badParam("name", "invalid node name")
	}
	return cluster, node, nil
}

func (s *Server) nodeMetrics(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, n, perr := nodeParams(r)
	if perr != nil {
		return nil, perr
	}
	return s.cfg.View.NodeMetricsCurrent(r.Context(), c, n)
}

var ranges = map[string]time.Duration{"1h": time.Hour, "6h": 6 * time.Hour, "12h": 12 * time.Hour, "24h": 24 * time.Hour,
	"2d": 48 * time.Hour, "7d": 7 * 24 * time.Hour, "14d": 14 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

func (s *Server) nodeMetricsHistory(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, n, perr := nodeParams(r)
	if perr != nil {
		return nil, perr
	}
	q := r.URL.Query()
	metrics, perr := parseList(q, "metric", 20, metricRE.MatchString)
	if perr != nil {
		return nil, perr
	}
	if len(metrics) == 0 {
		return nil, badParam("metric", "give at least one metric")
	}
	device, perr := parseOne(q, "device", deviceRE)
	if perr != nil {
		return nil, perr
	}
	def := time.Hour
	if rg := q.Get("range"); rg != "" {
		d, ok := ranges[rg]
		if !ok {
			return nil, badParam("range", "range must be one of 1h, 6h, 12h, 24h, 2d, 7d, 14d, 30d")
		}
		def = d
	}
	from, to, perr := timeRange(q, s.cfg.Now(), def, 31*24*time.Hour)
	if perr != nil {
		return nil, perr
	}
	step := lakeview.ChooseStep(from, to)
	if st := q.Get("step"); st != "" {
		if step, perr = parseStep(st, step); perr != nil {
			return nil, perr
		}
	}
	return s.cfg.View.NodeMetricsHistory(r.Context(), c, n, metrics, device, from, to, step)
}

// --- time travel

func kindsParam(q map[string][]string, field string) ([]lakeview.Kind, *apiError) {
	names, perr := parseList(q, field, len(lakeview.Kinds), func(s string) bool { _, ok := lakeview.KindByPath(s); return ok })
	if perr != nil {
		return nil, perr
	}
	var out []lakeview.Kind
	for _, n := range names {
		k, _ := lakeview.KindByPath(n)
		out = append(out, k)
	}
	return out, nil
}

func (s *Server) diff(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	q := r.URL.Query()
	now := s.cfg.Now()
	if q.Get("from") == "" {
		return nil, badParam("from", "from is required")
	}
	from, perr := parseTime("from", q.Get("from"), now)
	if perr != nil {
		return nil, perr
	}
	var to time.Time // zero: now
	if v := q.Get("to"); v != "" && v != "now" {
		if to, perr = parseTime("to", v, now); perr != nil {
			return nil, perr
		}
		if !to.Before(now) {
			to = time.Time{}
		}
	}
	end := to
	if end.IsZero() {
		end = now
	}
	if !from.Before(end) {
		return nil, badParam("from", "from must be before to")
	}
	dq := lakeview.DiffQuery{From: from, To: to}
	if dq.Kinds, perr = kindsParam(q, "kind"); perr != nil {
		return nil, perr
	}
	if dq.Namespaces, perr = parseList(q, "namespace", 50, validNamespace); perr != nil {
		return nil, perr
	}
	if dq.Changes, perr = parseList(q, "change", 3, func(s string) bool { return s == "added" || s == "removed" || s == "changed" }); perr != nil {
		return nil, perr
	}
	if dq.Limit, perr = parseLimit(q, 100, 1000); perr != nil {
		return nil, perr
	}
	dq.Cursor = q.Get("cursor")
	if len(dq.Cursor) > 2048 {
		return nil, badParam("cursor", "cursor too long")
	}
	return s.cfg.View.Diff(r.Context(), c, dq)
}

func (s *Server) timeline(_ http.ResponseWriter, r *http.Request) (any, error) {
	c, perr := clusterParam(r)
	if perr != nil {
		return nil, perr
	}
	q := r.URL.Query()
	k, ok := lakeview.KindByPath(q.Get("kind"))
	if !ok {
		return nil, badParam("kind", "kind must be a resource path name like pods or deployments")
	}
	name, perr := parseOne(q, "name", nameRE)
	if perr != nil {
		return nil, perr
	}
	uid, perr := parseOne(q, "uid", uidRE)
	if perr != nil {
		return nil, perr
	}
	ns, perr := parseOne(q, "namespace", dnsLabelRE)
	if perr != nil {
		return nil, perr
	}
	switch {
	case name == "" && uid == "":
		return nil, badParam("name", "give name (and namespace) or uid")
	case name != "" && k.Namespaced && ns == "":
		return nil, badParam("namespace", "%s are namespaced: give namespace", k.Path)
	case !k.Namespaced && ns != "":
		return nil, badParam("namespace", "%s are not namespaced", k.Path)
	}
	from, to, perr := timeRange(q, s.cfg.Now(), 24*time.Hour, 31*24*time.Hour)
	if perr != nil {
		return nil, perr
	}
	limit, perr := parseLimit(q, 500, 1000)
	if perr != nil {
		return nil, perr
	}
	return s.cfg.View.Timeline(r.Context(), c, k, ns, name, uid, from, to, limit)
}

// --- SQL

type sqlRequest struct {
	SQL      string   `json:"sql"`
	Format   string   `json:"format"`
	Clusters []string `json:"clusters"`
	From     *string  `json:"from"`
	To       *string  `json:"to"`
	MaxRows  *int     `json:"max_rows"`
}

func (s *Server) runSQL(w http.ResponseWriter, r *http.Request) (any, error) {
	var body sqlRequest
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	p, _ := principal(r.Context())
	params := map[string]any{"sql": body.SQL, "format": body.Format, "clusters": body.Clusters}
	req, perr := s.sqlRequest(r, body, p)
	if perr != nil {
		if aerr := s.record(r, "sql.query", "sql", params, outcomeOf(perr.Status), perr.Status); aerr != nil {
			return nil, errAudit
		}
		return nil, perr
	}
	params["from"], params["to"], params["max_rows"] = req.From, req.To, req.MaxRows
	res, err := s.cfg.SQL.Run(r.Context(), req)
	status := http.StatusOK
	if err != nil {
		status = classify(err, true).Status
	} else {
		params["rows"], params["truncated"], params["bytes"], params["elapsed_ms"] = res.Rows, res.Truncated, res.Body.Len(), res.Elapsed.Milliseconds()
	}
	// No result leaves without its audit record.
	if aerr := s.record(r, "sql.query", "sql", params, outcomeOf(status), status); aerr != nil {
		return nil, errAudit
	}
	if err != nil {
		return nil, classify(err, true) // the user's own SQL failed: theirs to fix
	}
	h := w.Header()
	h.Set("X-AtlHyper-Row-Count", strconv.Itoa(res.Rows))
	h.Set("X-AtlHyper-Truncated", strconv.FormatBool(res.Truncated))
	h.Set("Content-Type", res.ContentType)
	h.Set("Content-Length", strconv.FormatInt(res.Body.Len(), 10))
	if res.Format != adhoc.FormatJSON {
		h.Set("Content-Disposition", `attachment; filename="atlhyper-query.`+res.Format+`"`)
	}
	return raw{res.Body}, nil
}

func (s *Server) sqlRequest(r *http.Request, body sqlRequest, p auth.Principal) (adhoc.Request, *apiError) {
	req := adhoc.Request{SQL: body.SQL, Admin: p.Role.Allows(auth.Admin), MaxRows: adhoc.DefaultMaxRows, Format: body.Format}
	switch body.Format {
	case "", "json", "csv", "parquet":
	default:
		return req, badParam("format", "format must be json, csv or parquet")
	}
	if strings.TrimSpace(body.SQL) == "" {
		return req, badParam("sql", "sql is required")
	}
	if len(body.SQL) > adhoc.MaxSQLBytes {
		return req, badParam("sql", "sql longer than %d bytes", adhoc.MaxSQLBytes)
	}
	if body.MaxRows != nil {
		if *body.MaxRows < 1 || *body.MaxRows > adhoc.MaxRows {
			return req, badParam("max_rows", "max_rows must be from 1 to %d", adhoc.MaxRows)
		}
		req.MaxRows = *body.MaxRows
	}
	now := s.cfg.Now()
	req.To = now
	var perr *apiError
	if body.To != nil {
		if req.To, perr = parseTime("to", *body.To, now); perr != nil {
			return req, perr
		}
	}
	req.From = req.To.Add(-24 * time.Hour)
	if body.From != nil {
		if req.From, perr = parseTime("from", *body.From, now); perr != nil {
			return req, perr
		}
	}
	if !req.From.Before(req.To) {
		return req, badParam("from", "from must be before to")
	}
	if req.To.Sub(req.From) > adhoc.MaxRange {
		return req, badParam("from", "the range may span at most %s", human(adhoc.MaxRange))
	}
	if len(body.Clusters) > 500 {
		return req, badParam("clusters", "at most 500 clusters")
	}
	for _, c := range body.Clusters {
		if lake.ValidCluster(c) != nil || c == lake.GlobalCluster {
			return req, badParam("clusters", "invalid cluster id %q", clipStr(c))
		}
		if err := s.cfg.View.CheckCluster(r.Context(), c); err != nil {
			return req, notFound("cluster %q not found", c)
		}
	}
	req.Clusters = body.Clusters
	if len(req.Clusters) == 0 {
		all, err := s.cfg.View.Clusters(r.Context())
		if err != nil {
			return req, classify(err, false)
		}
		req.Clusters = all
	}
	return req, nil
}

func (s *Server) sqlSchema(_ http.ResponseWriter, r *http.Request) (any, error) {
	p, _ := principal(r.Context())
	clusters, err := s.cfg.View.Clusters(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"tables":    adhoc.Catalog(p.Role.Allows(auth.Admin)),
		"clusters":  clusters,
		"functions": adhoc.TableFunctions,
		"limits": map[string]any{"max_rows": adhoc.MaxRows, "timeout_seconds": s.cfg.SQL.Timeout().Seconds(),
			"max_range_days": int(adhoc.MaxRange / (24 * time.Hour)), "max_sql_bytes": adhoc.MaxSQLBytes,
			"max_result_bytes": s.cfg.SQL.MaxBytes()},
	}, nil
}

func (s *Server) sqlExamples(_ http.ResponseWriter, r *http.Request) (any, error) {
	return map[string]any{"items": adhoc.Examples}, nil
}
