package adhoc

import (
	"github.com/atlhyper/atlhyper/query/lake"
)

// ColumnInfo describes a column for editor hints.
type ColumnInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
	Hive     bool   `json:"hive,omitempty"`
}

// TableInfo describes a table for editor hints.
type TableInfo struct {
	Name    string       `json:"name"`
	Doc     string       `json:"doc"`
	Version int          `json:"version"`
	SortKey []string     `json:"sort_key"`
	Columns []ColumnInfo `json:"columns"`
}

// duckType names an Arrow type as DuckDB shows it.
func duckType(t string) string {
	switch t {
	case "utf8":
		return "VARCHAR"
	case "int32":
		return "INTEGER"
	case "int64":
		return "BIGINT"
	case "float32":
		return "FLOAT"
	case "float64":
		return "DOUBLE"
	case "bool":
		return "BOOLEAN"
	case "timestamp[us]":
		return "TIMESTAMP"
	}
	switch {
	case len(t) > 4 && t[:4] == "map<":
		return "MAP(VARCHAR, VARCHAR)"
	case len(t) > 18 && t[:18] == "list<item: struct<":
		return "STRUCT(...)[]"
	case len(t) > 5 && t[:5] == "list<":
		return "VARCHAR[]"
	}
	return t
}

// Catalog lists the tables a caller may query with their columns.
func Catalog(admin bool) []TableInfo {
	allowed := map[string]bool{}
	for _, t := range Tables(admin) {
		allowed[t] = true
	}
	var out []TableInfo
	for _, t := range lake.All() {
		if !allowed[t.Name()] {
			continue
		}
		ti := TableInfo{Name: t.Name(), Doc: t.Doc(), Version: t.Version(), SortKey: t.SortKey()}
		for _, f := range t.Schema().Fields() {
			ti.Columns = append(ti.Columns, ColumnInfo{Name: f.Name, Type: duckType(f.Type.String()), Nullable: f.Nullable})
		}
		ti.Columns = append(ti.Columns, ColumnInfo{Name: "cluster", Type: "VARCHAR", Hive: true}, ColumnInfo{Name: "date", Type: "DATE", Hive: true})
		out = append(out, ti)
	}
	return out
}

// Example is an example query.
type Example struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	SQL         string `json:"sql"`
}

// Examples are shown in the SQL console.
var Examples = []Example{
	{ID: "pods-state-now", Title: "Pods now, per namespace and phase",
		Description: "The latest checkpoint plus later changes, latest row per uid, deletions dropped.",
		SQL: `WITH ck AS (SELECT cluster, max(ts) AS t FROM pods WHERE op = 'checkpoint' GROUP BY cluster),
latest AS (
  SELECT p.* FROM pods p JOIN ck USING (cluster) WHERE p.ts >= ck.t
  QUALIFY row_number() OVER (PARTITION BY p.cluster, p.uid ORDER BY p.ts DESC) = 1
)
SELECT cluster, namespace, phase, count(*) AS pods
FROM latest WHERE op <> 'delete'
GROUP BY ALL ORDER BY pods DESC`},
	{ID: "restarts-top", Title: "Pods that restarted most in the range",
		SQL: `SELECT cluster, namespace, name, max(restarts) - min(restarts) AS restarts_in_range
FROM pods GROUP BY ALL HAVING restarts_in_range > 0
ORDER BY restarts_in_range DESC LIMIT 20`},
	{ID: "anomalies-by-rule", Title: "Anomalies opened per rule and severity",
		SQL: `SELECT rule, severity, count(*) AS opened
FROM anomalies WHERE state = 'open'
GROUP BY ALL ORDER BY opened DESC`},
	{ID: "anomalies-hourly", Title: "Anomalies opened per hour",
		SQL: `SELECT time_bucket(INTERVAL 1 HOUR, ts) AS hour, severity, count(*) AS opened
FROM anomalies WHERE state = 'open'
GROUP BY ALL ORDER BY hour`},
	{ID: "oom-kills", Title: "OOM kills with their last log lines",
		SQL: `SELECT ts, cluster, namespace, name, container, exit_code, log_tail
FROM anomalies WHERE termination_reason = 'OOMKilled' AND state = 'open'
ORDER BY ts DESC LIMIT 50`},
	{ID: "warning-events", Title: "Most frequent Warning events",
		SQL: `SELECT reason, involved_kind, count(DISTINCT uid) AS events, max(count) AS max_count
FROM events WHERE type = 'Warning'
GROUP BY ALL ORDER BY events DESC LIMIT 20`},
	{ID: "node-cpu", Title: "Node CPU busy % (5-minute average)",
		SQL: `SELECT time_bucket(INTERVAL 5 MINUTE, ts) AS t, node, avg(value) AS user_pct
FROM node_metrics WHERE metric = 'cpu.user_pct' AND device = ''
GROUP BY ALL ORDER BY t, node`},
	{ID: "image-changes", Title: "Deployment image changes",
		SQL: `SELECT ts, cluster, namespace, name, images
FROM workloads WHERE kind = 'Deployment' AND op = 'update'
QUALIFY images IS DISTINCT FROM lag(images) OVER (PARTITION BY cluster, uid ORDER BY ts)
ORDER BY ts DESC LIMIT 100`},
	{ID: "not-ready-nodes", Title: "Node readiness changes",
		SQL: `SELECT ts, cluster, name, ready_status, ready_reason
FROM nodes WHERE op IN ('add', 'update', 'delete')
ORDER BY ts DESC LIMIT 100`},
	{ID: "agent-heartbeats", Title: "Agent heartbeats and errors",
		SQL: `SELECT cluster, max(ts) AS last_seen, max(errors) AS errors, max(spool_bytes) AS spool_bytes
FROM heartbeats GROUP BY cluster ORDER BY cluster`},
}
