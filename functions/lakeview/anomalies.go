package lakeview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
)

// TrendBucket is one bucket of an anomaly trend.
type TrendBucket struct {
	TS               time.Time        `json:"ts"`
	Opened           int64            `json:"opened"`
	Resolved         int64            `json:"resolved"`
	Active           int64            `json:"active"`
	ActiveBySeverity map[string]int64 `json:"active_by_severity"`
}

// Trend is anomalies opened, resolved and active per bucket.
type Trend struct {
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	StepSeconds int64         `json:"step_seconds"`
	Buckets     []TrendBucket `json:"buckets"`
}

// TrendLookback is how far before the range anomaly transitions are read
// to know which anomalies were already open when the range starts.
const TrendLookback = 7 * 24 * time.Hour

// TrendStep is an hour up to 7 days and a day beyond.
func TrendStep(from, to time.Time) time.Duration {
	if to.Sub(from) <= 7*24*time.Hour+time.Minute {
		return time.Hour
	}
	return 24 * time.Hour
}

func tsLit(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'"
}

// AnomalyTrend counts anomalies per bucket over clusters.
func (v *View) AnomalyTrend(ctx context.Context, clusters []string, from, to time.Time, severities []string) (Trend, error) {
	step := TrendStep(from, to)
	from = from.UTC().Truncate(step)
	if t := to.UTC().Truncate(step); t.Before(to) {
		to = t.Add(step)
	}
	tr := Trend{From: from, To: to, StepSeconds: int64(step / time.Second), Buckets: []TrendBucket{}}
	if len(clusters) == 0 {
		for t := from; t.Before(to); t = t.Add(step) {
			tr.Buckets = append(tr.Buckets, TrendBucket{TS: t, ActiveBySeverity: map[string]int64{"critical": 0, "warning": 0, "info": 0}})
		}
		return tr, nil
	}
	where, args := "true", []any{}
	if len(severities) > 0 {
		f := In("severity", severities)
		where, args = f.SQL, f.Args
	}
	stepLit := fmt.Sprintf("INTERVAL '%d seconds'", int64(step/time.Second))
	lookback := from.Add(-TrendLookback)
	// An anomaly can stay open for longer than the look-back without a
	// transition (update rows come only when it changes). For a trend that
	// ends now, the agents' current state lists what is open; those with
	// no row in the scope are added as open since max(first seen, look-back).
	extra, extraArgs, extraKey, err := v.openSince(ctx, clusters, to, step, severities)
	if err != nil {
		return Trend{}, err
	}
	q := fmt.Sprintf(`WITH r AS (
  SELECT cluster, fingerprint, severity, state, ts,
    sum(CASE WHEN state = 'open' THEN 1 ELSE 0 END) OVER (PARTITION BY cluster, fingerprint ORDER BY ts, count ROWS UNBOUNDED PRECEDING) AS ep
  FROM anomalies WHERE %[1]s
), e AS (
  SELECT cluster, fingerprint, ep, arg_max(severity, ts) AS sev,
    min(ts) FILTER (WHERE state = 'open') AS opened,
    max(ts) FILTER (WHERE state = 'resolved') AS resolved
  FROM r GROUP BY cluster, fingerprint, ep
), extra AS (%[6]s
), iv AS (
  SELECT sev, opened, resolved, coalesce(opened, %[2]s) AS s, coalesce(resolved, %[4]s) AS e FROM e
  UNION ALL
  SELECT x.sev, NULL, NULL, greatest(x.first_seen, %[2]s), %[4]s FROM extra x
  WHERE NOT EXISTS (SELECT 1 FROM e WHERE e.cluster = x.cluster AND e.fingerprint = x.fingerprint)
), b AS (
  SELECT unnest(generate_series(%[3]s, %[4]s - %[5]s, %[5]s)) AS t
)
SELECT b.t,
  count(iv.s) FILTER (WHERE iv.opened >= b.t AND iv.opened < b.t + %[5]s) AS opened,
  count(iv.s) FILTER (WHERE iv.resolved >= b.t AND iv.resolved < b.t + %[5]s) AS resolved,
  count(iv.s) AS active,
  count(iv.s) FILTER (WHERE iv.sev = 'critical') AS critical,
  count(iv.s) FILTER (WHERE iv.sev = 'warning') AS warning,
  count(iv.s) FILTER (WHERE iv.sev = 'info') AS info
FROM b LEFT JOIN iv ON iv.s < b.t + %[5]s AND iv.e >= b.t
GROUP BY b.t ORDER BY b.t`, where, tsLit(lookback), tsLit(from), tsLit(to), stepLit, extra)
	args = append(args, extraArgs...)
	sc := []query.Scope{scope("anomalies", clusters, lookback, to)}
	question := fmt.Sprintf("trend|%v|%d|%d|%v|%s", clusters, from.UnixMicro(), to.UnixMicro(), severities, extraKey)
	res, err := cached(ctx, v, question, sc, func() (Result, error) { return v.query(ctx, sc, q, args...) })
	if err != nil {
		return Trend{}, err
	}
	for _, row := range res.Rows {
		t, _ := row[0].(time.Time)
		n := func(i int) int64 { x, _ := row[i].(int64); return x }
		tr.Buckets = append(tr.Buckets, TrendBucket{TS: t.UTC(), Opened: n(1), Resolved: n(2), Active: n(3),
			ActiveBySeverity: map[string]int64{"critical": n(4), "warning": n(5), "info": n(6)}})
	}
	return tr, nil
}

// openSince returns a SQL relation (cluster, fingerprint, sev, first_seen)
// of the anomalies the clusters' agents report open now, for trends that
// end now; an empty relation otherwise. key identifies its content.
func (v *View) openSince(ctx context.Context, clusters []string, to time.Time, step time.Duration, severities []string) (string, []any, string, error) {
	empty := "SELECT NULL::VARCHAR AS cluster, NULL::VARCHAR AS fingerprint, NULL::VARCHAR AS sev, NULL::TIMESTAMP AS first_seen WHERE false"
	if v.cfg.Now().Sub(to) > step {
		return empty, nil, "", nil
	}
	var rows []string
	var args []any
	h := sha256.New()
	for _, c := range clusters {
		st, err := v.clusterState(ctx, c)
		if err != nil {
			return "", nil, "", err
		}
		if st.current == nil {
			continue
		}
		for _, a := range st.current.Anomalies {
			if len(severities) > 0 && !slices.Contains(severities, a.Severity) {
				continue
			}
			rows = append(rows, "(?, ?, ?, ?::TIMESTAMP)")
			fs := a.FirstSeen.UTC().Format("2006-01-02 15:04:05.999999")
			args = append(args, c, a.Fingerprint, a.Severity, fs)
			fmt.Fprintf(h, "%s|%s|%s|%s\n", c, a.Fingerprint, a.Severity, fs)
		}
	}
	if len(rows) == 0 {
		return empty, nil, "", nil
	}
	rel := "SELECT * FROM (VALUES " + strings.Join(rows, ", ") + ") AS t(cluster, fingerprint, sev, first_seen)"
	return rel, args, hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// AnomalyHistory is one anomaly with every transition.
type AnomalyHistory struct {
	Anomaly     []byte
	Transitions [][]byte
}

// Anomaly returns every transition of one fingerprint in [from, to).
func (v *View) Anomaly(ctx context.Context, cluster, fingerprint string, from, to time.Time) (AnomalyHistory, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return AnomalyHistory{}, err
	}
	rows, err := v.rowsJSON(ctx, []query.Scope{scope("anomalies", []string{cluster}, from, to)},
		"SELECT * EXCLUDE (date) FROM anomalies WHERE fingerprint = ? ORDER BY ts, count", fingerprint)
	if err != nil {
		return AnomalyHistory{}, err
	}
	if len(rows) == 0 {
		return AnomalyHistory{}, fmt.Errorf("anomaly %q in %s: %w", fingerprint, cluster, ErrNotFound)
	}
	return AnomalyHistory{Anomaly: rows[len(rows)-1], Transitions: rows}, nil
}

// WithLiveStatus adds to anomaly rows (latest per fingerprint) what the
// lake does not keep: "status" — open while the condition holds, cleared
// once it stopped (with "cleared_at" and "resolves_at": it resolves then
// unless it recurs), resolved — taken from each cluster's current state,
// which is at most seconds old while the cluster is watched. Rows of
// anomalies the current state does not list (beyond its 200) stay "open".
func (v *View) WithLiveStatus(ctx context.Context, items [][]byte) [][]byte {
	live := map[string]map[string]lake.OpenAnomaly{} // cluster -> fingerprint -> live
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = it
		var row struct{ Cluster, Fingerprint, State string }
		if json.Unmarshal(it, &row) != nil || len(it) < 2 || it[len(it)-1] != '}' {
			continue
		}
		extra := map[string]any{"status": lake.AnomalyOpen}
		if row.State == lake.AnomalyResolved {
			extra["status"] = lake.AnomalyResolved
		} else {
			m, ok := live[row.Cluster]
			if !ok {
				m = map[string]lake.OpenAnomaly{}
				if st, err := v.clusterState(ctx, row.Cluster); err == nil && st.current != nil {
					for _, o := range st.current.Anomalies {
						m[o.Fingerprint] = o
					}
				}
				live[row.Cluster] = m
			}
			if o, ok := m[row.Fingerprint]; ok {
				if o.Status != "" {
					extra["status"] = o.Status
				}
				if o.ClearedAt != nil {
					extra["cleared_at"] = o.ClearedAt.UTC()
				}
				if o.ResolvesAt != nil {
					extra["resolves_at"] = o.ResolvesAt.UTC()
				}
			}
		}
		tail, err := json.Marshal(extra)
		if err != nil {
			continue
		}
		b := bytes.NewBuffer(make([]byte, 0, len(it)+len(tail)))
		b.Write(it[:len(it)-1])
		if len(it) > 2 {
			b.WriteByte(',')
		}
		b.Write(tail[1:])
		out[i] = b.Bytes()
	}
	return out
}
