package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/fleetgen"
)

type page struct {
	Items      []map[string]any `json:"items"`
	Total      int              `json:"total"`
	NextCursor string           `json:"next_cursor"`
	AsOf       string           `json:"as_of"`
}

func TestEndToEnd(t *testing.T) {
	s := newStack(t)
	v := s.tokens[auth.Viewer]
	c0 := fleetgen.ClusterID(0)

	t.Run("health", func(t *testing.T) {
		var h map[string]any
		if st := s.do(t, "GET", "/api/v1/health", "", nil, &h); st != 200 || h["status"] != "ok" {
			t.Fatalf("health: %d %v", st, h)
		}
	})
	t.Run("clusters", func(t *testing.T) {
		var l struct{ Items []map[string]any }
		if st := s.do(t, "GET", "/api/v1/clusters", v, nil, &l); st != 200 || len(l.Items) != 2 {
			t.Fatalf("clusters: %d %v", st, l)
		}
		if l.Items[0]["id"] != c0 || l.Items[0]["online"] != true {
			t.Fatalf("cluster 0: %v", l.Items[0])
		}
	})
	t.Run("fleet", func(t *testing.T) {
		var f struct {
			Totals   map[string]int
			Clusters []map[string]any
		}
		if st := s.do(t, "GET", "/api/v1/fleet/overview", v, nil, &f); st != 200 {
			t.Fatalf("fleet: %d", st)
		}
		if f.Totals["clusters"] != 2 || f.Totals["online"] != 2 || f.Totals["nodes"] != 8 || f.Totals["pods"] != 120 {
			t.Fatalf("totals: %v", f.Totals)
		}
		h := f.Clusters[0]["health"].(map[string]any)
		if h["status"] == "" || h["reasons"] == nil {
			t.Fatalf("health: %v", h)
		}
	})
	t.Run("cluster overview", func(t *testing.T) {
		var o struct {
			Health        map[string]any
			Summary       map[string]any
			Counts        map[string]int
			OpenAnomalies []map[string]any `json:"open_anomalies"`
			AnomalyTrend  struct {
				StepSeconds int `json:"step_seconds"`
				Buckets     []struct{ Opened, Active int }
			} `json:"anomaly_trend"`
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/overview", v, nil, &o); st != 200 {
			t.Fatalf("overview: %d", st)
		}
		if o.Counts["pods"] != 60 || o.AnomalyTrend.StepSeconds != 3600 || len(o.AnomalyTrend.Buckets) < 24 {
			t.Fatalf("overview: counts %v trend %d buckets", o.Counts, len(o.AnomalyTrend.Buckets))
		}
		opened, active := 0, 0
		for _, b := range o.AnomalyTrend.Buckets {
			opened += b.Opened
			active = max(active, b.Active)
		}
		if opened < 40 || active == 0 {
			t.Fatalf("trend: opened %d, max active %d", opened, active)
		}
		if len(o.OpenAnomalies) == 0 {
			t.Fatal("no open anomalies")
		}
	})
	t.Run("pods pages", func(t *testing.T) {
		seen := map[string]bool{}
		cursor := ""
		total := 0
		for pages := 0; ; pages++ {
			var p page
			q := "/api/v1/clusters/" + c0 + "/pods?limit=7"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			if st := s.do(t, "GET", q, v, nil, &p); st != 200 {
				t.Fatalf("pods: %d", st)
			}
			total = p.Total
			for _, it := range p.Items {
				uid := it["uid"].(string)
				if seen[uid] {
					t.Fatalf("duplicate %s", uid)
				}
				seen[uid] = true
				if it["kind"] != "Pod" || it["cluster"] != c0 {
					t.Fatalf("item %v", it)
				}
				if _, has := it["op"]; has {
					t.Fatalf("op leaked: %v", it)
				}
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if total != 60 || len(seen) != 60 {
			t.Fatalf("walked %d of %d", len(seen), total)
		}
	})
	t.Run("pods filters", func(t *testing.T) {
		var p page
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?namespace=team-01&limit=1000", v, nil, &p)
		if p.Total != 20 {
			t.Fatalf("namespace filter: %d", p.Total)
		}
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?label="+url.QueryEscape("tier in (frontend,backend)")+"&sort=-restarts&limit=1000", v, nil, &p)
		last := 1e9
		for _, it := range p.Items {
			tier := it["labels"].(map[string]any)["tier"]
			if tier == "batch" {
				t.Fatalf("label filter: %v", it["labels"])
			}
			r := it["restarts"].(float64)
			if r > last {
				t.Fatal("not sorted by -restarts")
			}
			last = r
		}
		name := p.Items[0]["name"].(string)
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?q="+url.QueryEscape(strings.ToUpper(name)), v, nil, &p)
		if p.Total != 1 {
			t.Fatalf("q=%s: %d", name, p.Total)
		}
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/nodes?ready=true", v, nil, &p)
		if p.Total != 4 {
			t.Fatalf("nodes: %d", p.Total)
		}
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/secrets", v, nil, &p)
		if p.Total != 3 || p.Items[0]["secret_type"] != "Opaque" {
			t.Fatalf("secrets: %v", p.Items)
		}
		for _, path := range []string{"namespaces", "deployments", "services", "configmaps", "statefulsets", "ingresses"} {
			if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/"+path, v, nil, &p); st != 200 {
				t.Fatalf("%s: %d", path, st)
			}
		}
	})
	t.Run("time travel list", func(t *testing.T) {
		var now, past page
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?limit=1000", v, nil, &now)
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?limit=1000&at=-20h", v, nil, &past)
		if past.Total != 60 {
			t.Fatalf("past total %d", past.Total)
		}
		same := 0
		uids := map[string]bool{}
		for _, it := range now.Items {
			uids[it["uid"].(string)] = true
		}
		for _, it := range past.Items {
			if uids[it["uid"].(string)] {
				same++
			}
		}
		if same == 60 {
			t.Fatal("20 h of churn replaced no pod")
		}
	})
	t.Run("detail", func(t *testing.T) {
		var p page
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods?namespace=team-00&limit=1", v, nil, &p)
		name := p.Items[0]["name"].(string)
		var d struct {
			Object map[string]any
			Detail map[string]any
			Events []any
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods/team-00/"+name, v, nil, &d); st != 200 {
			t.Fatalf("detail: %d", st)
		}
		if d.Object["name"] != name || d.Detail["kind"] != "Pod" {
			t.Fatalf("detail: %v %v", d.Object, d.Detail)
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/pods/team-00/no-such-pod", v, nil, nil); st != 404 {
			t.Fatalf("missing pod: %d", st)
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/nodes/node-001", v, nil, nil); st != 200 {
			t.Fatalf("node: %d", st)
		}
	})
	t.Run("anomalies and events", func(t *testing.T) {
		var p page
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/anomalies?state=open&severity=critical&limit=5", v, nil, &p); st != 200 {
			t.Fatalf("anomalies: %d", st)
		}
		for _, it := range p.Items {
			if it["severity"] != "critical" || it["state"] == "resolved" || it["log_tail"] != nil {
				t.Fatalf("anomaly: %v", it)
			}
		}
		var all page
		s.do(t, "GET", "/api/v1/anomalies?from=-30h&limit=1000", v, nil, &all)
		if all.Total < 80 || len(all.Items) != all.Total {
			t.Fatalf("fleet anomalies: %d/%d", len(all.Items), all.Total)
		}
		fp := all.Items[0]["fingerprint"].(string)
		cl := all.Items[0]["cluster"].(string)
		var h struct {
			Anomaly     map[string]any
			Transitions []any
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+cl+"/anomalies/"+fp, v, nil, &h); st != 200 || len(h.Transitions) == 0 {
			t.Fatalf("anomaly %s: %d %v", fp, st, h)
		}
		// The drawer gets the same live status as the list.
		if st := h.Anomaly["status"]; st != all.Items[0]["status"] || st == nil {
			t.Fatalf("anomaly %s: status %v, the list says %v", fp, st, all.Items[0]["status"])
		}
		var tr struct{ Buckets []map[string]any }
		if st := s.do(t, "GET", "/api/v1/anomalies/trend?from=-7d", v, nil, &tr); st != 200 || len(tr.Buckets) != 168 && len(tr.Buckets) != 169 {
			t.Fatalf("trend: %d %d", st, len(tr.Buckets))
		}
		var ev page
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/events?type=Warning&limit=3", v, nil, &ev); st != 200 || len(ev.Items) != 3 || ev.NextCursor == "" {
			t.Fatalf("events: %d %d", st, len(ev.Items))
		}
		var ev2 page
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/events?type=Warning&limit=3&cursor="+url.QueryEscape(ev.NextCursor), v, nil, &ev2); st != 200 {
			t.Fatalf("events page 2: %d", st)
		}
		if len(ev2.Items) != 3 || ev2.Items[0]["uid"] == ev.Items[2]["uid"] {
			t.Fatalf("events page 2: %v", ev2.Items)
		}
		e := ev.Items[0]
		if st := s.do(t, "GET", fmt.Sprintf("/api/v1/clusters/%s/events/%s/%s", c0, e["namespace"], e["name"]), v, nil, nil); st != 200 {
			t.Fatalf("event detail: %d", st)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		var cur struct {
			Items []struct {
				Node   string
				Values map[string]float64
			}
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/node-metrics", v, nil, &cur); st != 200 || len(cur.Items) != 4 || cur.Items[0].Values["cpu.user_pct"] == 0 {
			t.Fatalf("node-metrics: %d %+v", st, cur)
		}
		var h struct {
			StepSeconds int `json:"step_seconds"`
			Series      []struct {
				Metric, Device string
				Points         [][4]float64
			}
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/nodes/node-001/metrics/history?metric=cpu.user_pct,mem.used_bytes&range=1h", v, nil, &h); st != 200 {
			t.Fatalf("history: %d", st)
		}
		if h.StepSeconds != 15 || len(h.Series) != 3 {
			t.Fatalf("history: step %d series %d", h.StepSeconds, len(h.Series))
		}
		for _, se := range h.Series {
			if len(se.Points) > 500 || len(se.Points) < 30 {
				t.Fatalf("series %s/%s: %d points", se.Metric, se.Device, len(se.Points))
			}
		}
		s.do(t, "GET", "/api/v1/clusters/"+c0+"/nodes/node-001/metrics/history?metric=cpu.user_pct&range=30d", v, nil, &h)
		if h.StepSeconds != 7200 {
			t.Fatalf("30d step %d", h.StepSeconds)
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/nodes/node-001/metrics/history?metric=cpu.user_pct&range=30d&step=1m", v, nil, nil); st != 400 {
			t.Fatalf("too fine step: %d", st)
		}
	})
	t.Run("diff and timeline", func(t *testing.T) {
		var d struct {
			Summary map[string]int
			Items   []struct {
				Change, Kind, Name, Namespace, UID string
				Fields                             []struct {
					Field    string
					From, To any
				}
			}
		}
		if st := s.do(t, "GET", "/api/v1/clusters/"+c0+"/timetravel/diff?from=-6h&kind=pods&limit=1000", v, nil, &d); st != 200 {
			t.Fatalf("diff: %d", st)
		}
		if d.Summary["added"] == 0 || d.Summary["added"] != d.Summary["removed"] || d.Summary["changed"] == 0 {
			t.Fatalf("diff summary: %v", d.Summary)
		}
		var changed *struct {
			Change, Kind, Name, Namespace, UID string
			Fields                             []struct {
				Field    string
				From, To any
			}
		}
		for i := range d.Items {
			if d.Items[i].Change == "changed" {
				changed = &d.Items[i]
				break
			}
		}
		for _, f := range changed.Fields {
			if f.Field == "ts" || f.Field == "resource_version" {
				t.Fatalf("noise field %s", f.Field)
			}
		}
		var tl struct {
			Items []struct {
				Op           string
				Fields       []map[string]any
				DetailFields []map[string]any `json:"detail_fields"`
			}
		}
		if st := s.do(t, "GET", fmt.Sprintf("/api/v1/clusters/%s/timetravel/timeline?kind=pods&namespace=%s&name=%s&from=-6h", c0, changed.Namespace, changed.Name), v, nil, &tl); st != 200 {
			t.Fatalf("timeline: %d", st)
		}
		updates := 0
		for _, it := range tl.Items {
			if it.Op == "update" && len(it.Fields) > 0 {
				updates++
			}
			if it.Op == "checkpoint" && len(it.Fields) == 0 {
				t.Fatal("no-op checkpoint in timeline")
			}
		}
		if updates == 0 {
			t.Fatalf("timeline: %+v", tl.Items)
		}
	})
	t.Run("sql", func(t *testing.T) {
		var r struct {
			Columns  []map[string]string
			Rows     [][]any
			RowCount int `json:"row_count"`
		}
		if st := s.do(t, "POST", "/api/v1/sql", v, map[string]any{"sql": "SELECT cluster, count(DISTINCT uid) AS n FROM pods GROUP BY cluster ORDER BY cluster"}, &r); st != 200 {
			t.Fatalf("sql: %d", st)
		}
		if r.RowCount != 2 || r.Rows[0][0] != c0 {
			t.Fatalf("sql: %+v", r)
		}
		st, body, h := s.raw(t, "POST", "/api/v1/sql", v, map[string]any{"sql": "SELECT name, restarts FROM pods LIMIT 5", "format": "csv"})
		if st != 200 || !strings.HasPrefix(string(body), "name,restarts\n") || h.Get("X-AtlHyper-Row-Count") != "5" {
			t.Fatalf("csv: %d %q", st, body)
		}
		st, body, _ = s.raw(t, "POST", "/api/v1/sql", v, map[string]any{"sql": "SELECT * FROM anomalies", "format": "parquet", "max_rows": 10})
		if st != 200 || string(body[:4]) != "PAR1" {
			t.Fatalf("parquet: %d", st)
		}
		var sch struct{ Tables []struct{ Name string } }
		s.do(t, "GET", "/api/v1/sql/schema", v, nil, &sch)
		for _, tb := range sch.Tables {
			if tb.Name == "audit" {
				t.Fatal("viewer sees the audit table")
			}
		}
	})
	t.Run("audit", func(t *testing.T) {
		var p page
		if st := s.do(t, "GET", "/api/v1/audit?action=sql.query,login&limit=1000", s.tokens[auth.Admin], nil, &p); st != 200 {
			t.Fatalf("audit: %d", st)
		}
		logins, queries := 0, 0
		for _, it := range p.Items {
			switch it["action"] {
			case "login":
				logins++
			case "sql.query":
				queries++
				if it["actor"] != "viewer-user" || it["role"] != "viewer" {
					t.Fatalf("sql audit: %v", it)
				}
			}
		}
		if logins < 3 || queries < 3 {
			t.Fatalf("audit: %d logins %d queries", logins, queries)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for path, want := range map[string]int{
			"/api/v1/clusters/nope/pods":                                          404,
			"/api/v1/clusters/Bad_ID/pods":                                        400,
			"/api/v1/clusters/_global/pods":                                       404,
			"/api/v1/clusters/" + c0 + "/pods?limit=0":                            400,
			"/api/v1/clusters/" + c0 + "/pods?limit=abc":                          400,
			"/api/v1/clusters/" + c0 + "/pods?at=yesterday":                       400,
			"/api/v1/clusters/" + c0 + "/pods?label=" + url.QueryEscape("a in b"): 400,
			"/api/v1/clusters/" + c0 + "/pods?cursor=garbage":                     400,
			"/api/v1/clusters/" + c0 + "/pods?sort=containers":                    400,
			"/api/v1/clusters/" + c0 + "/pods?sort=nosuch":                        400,
			"/api/v1/clusters/" + c0 + "/nodes?namespace=x":                       400,
			"/api/v1/clusters/" + c0 + "/services?node=x":                         400,
			"/api/v1/clusters/" + c0 + "/anomalies?from=-100d":                    400,
			"/api/v1/clusters/" + c0 + "/anomalies?state=weird":                   400,
			"/api/v1/clusters/" + c0 + "/timetravel/diff":                         400,
			"/api/v1/clusters/" + c0 + "/timetravel/timeline?kind=x":              400,
			"/api/v1/clusters/" + c0 + "/nodes/node-001/metrics/history":          400,
			"/api/v1/nope": 404,
		} {
			var e struct {
				Error struct{ Code, Message string }
			}
			if st := s.do(t, "GET", path, v, nil, &e); st != want || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("%s: %d %+v, want %d", path, st, e, want)
			}
		}
		if st := s.do(t, "POST", "/api/v1/sql", v, map[string]any{"sql": "SELECT 1", "bogus": 1}, nil); st != 400 {
			t.Errorf("unknown field: %d", st)
		}
		if st := s.do(t, "DELETE", "/api/v1/clusters", v, nil, nil); st != 405 {
			t.Errorf("method: %d", st)
		}
		st, _, _ := s.raw(t, "POST", "/api/v1/sql", v, map[string]any{"sql": strings.Repeat("x", 200<<10)})
		if st != 413 {
			t.Errorf("huge body: %d", st)
		}
	})
	t.Run("store down", func(t *testing.T) {
		s.srv.Stop()
		defer s.srv.Restart(t)
		time.Sleep(2100 * time.Millisecond) // past the current-state cache
		// A range the engine has never listed: it must ask the store.
		st, body, h := s.raw(t, "GET", "/api/v1/clusters/"+fleetgen.ClusterID(1)+"/nodes/node-001/metrics/history?metric=load.1&from=-20d&to=-10d", v, nil)
		if st != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(body), "store_unavailable") {
			t.Fatalf("store down: %d %s", st, body)
		}
		st, _, _ = s.raw(t, "GET", "/api/v1/fleet/overview", v, nil)
		if st != 503 {
			t.Fatalf("fleet, store down: %d", st)
		}
	})
}
