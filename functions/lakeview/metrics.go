package lakeview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/atlhyper/atlhyper/query"
)

// CurrentWindow is how far back "current" metrics look.
const CurrentWindow = 5 * time.Minute

// MetricPoint is the latest value of one series.
type MetricPoint struct {
	Metric string    `json:"metric"`
	Device string    `json:"device"`
	Value  float64   `json:"value"`
	TS     time.Time `json:"ts"`
}

// NodeCurrent is the latest values of one node's series.
type NodeCurrent struct {
	Node   string        `json:"node"`
	TS     *time.Time    `json:"ts,omitempty"`
	Series []MetricPoint `json:"series"`
}

// NodeValues is the latest node-level values of one node.
type NodeValues struct {
	Node   string             `json:"node"`
	TS     *time.Time         `json:"ts,omitempty"`
	Values map[string]float64 `json:"values"`
}

func (v *View) latestMetrics(ctx context.Context, cluster, node string, nodeLevelOnly bool) ([]MetricPoint, []string, error) {
	now := v.cfg.Now()
	where, args := []string{"true"}, []any{}
	if node != "" {
		where, args = append(where, "node = ?"), append(args, node)
	}
	if nodeLevelOnly {
		where = append(where, "device = ''")
	}
	q := fmt.Sprintf(`SELECT node, metric, device, arg_max(value, ts) AS value, max(ts) AS ts
FROM node_metrics WHERE %s GROUP BY node, metric, device ORDER BY node, metric, device`, strings.Join(where, " AND "))
	res, err := v.query(ctx, []query.Scope{scope("node_metrics", []string{cluster}, now.Add(-CurrentWindow), now.Add(time.Minute))}, q, args...)
	if err != nil {
		return nil, nil, err
	}
	pts := make([]MetricPoint, 0, len(res.Rows))
	nodes := make([]string, 0, len(res.Rows))
	for _, r := range res.Rows {
		n, _ := r[0].(string)
		p := MetricPoint{}
		p.Metric, _ = r[1].(string)
		p.Device, _ = r[2].(string)
		p.Value = toFloat(r[3])
		p.TS, _ = r[4].(time.Time)
		p.TS = p.TS.UTC()
		pts = append(pts, p)
		nodes = append(nodes, n)
	}
	return pts, nodes, nil
}

func toFloat(v any) float64 {
	switch t := v.(type) {
	case float32:
		return float64(t)
	case float64:
		return t
	case int64:
		return float64(t)
	case int32:
		return float64(t)
	}
	return 0
}

// NodeMetricsCurrent returns the latest value of every series of a node.
func (v *View) NodeMetricsCurrent(ctx context.Context, cluster, node string) (NodeCurrent, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return NodeCurrent{}, err
	}
	pts, _, err := v.latestMetrics(ctx, cluster, node, false)
	if err != nil {
		return NodeCurrent{}, err
	}
	out := NodeCurrent{Node: node, Series: pts}
	for _, p := range pts {
		if out.TS == nil || p.TS.After(*out.TS) {
			t := p.TS
			out.TS = &t
		}
	}
	return out, nil
}

// NodesMetricsCurrent returns the latest node-level values of every node.
func (v *View) NodesMetricsCurrent(ctx context.Context, cluster string) ([]NodeValues, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return nil, err
	}
	pts, nodes, err := v.latestMetrics(ctx, cluster, "", true)
	if err != nil {
		return nil, err
	}
	out := []NodeValues{}
	for i, p := range pts {
		if len(out) == 0 || out[len(out)-1].Node != nodes[i] {
			out = append(out, NodeValues{Node: nodes[i], Values: map[string]float64{}})
		}
		nv := &out[len(out)-1]
		nv.Values[p.Metric] = p.Value
		if nv.TS == nil || p.TS.After(*nv.TS) {
			t := p.TS
			nv.TS = &t
		}
	}
	return out, nil
}

// Steps are the downsampling steps a history may use.
var Steps = []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// MaxPoints bounds the points per series of a history.
const MaxPoints = 500

// ChooseStep is the smallest step giving at most MaxPoints over the range.
func ChooseStep(from, to time.Time) time.Duration {
	d := to.Sub(from)
	for _, s := range Steps {
		if d/s <= MaxPoints {
			return s
		}
	}
	return Steps[len(Steps)-1]
}

// Series is one downsampled series.
type Series struct {
	Metric string       `json:"metric"`
	Device string       `json:"device"`
	Points [][4]float64 `json:"points"` // unix ms, avg, min, max
}

// History is a downsampled history of some series of one node.
type History struct {
	Node        string    `json:"node"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	StepSeconds int64     `json:"step_seconds"`
	Series      []Series  `json:"series"`
}

// NodeMetricsHistory downsamples the chosen metrics of a node.
func (v *View) NodeMetricsHistory(ctx context.Context, cluster, node string, metrics []string, device string, from, to time.Time, step time.Duration) (History, error) {
	if err := v.checkCluster(ctx, cluster); err != nil {
		return History{}, err
	}
	from = from.UTC().Truncate(step)
	h := History{Node: node, From: from, To: to.UTC(), StepSeconds: int64(step / time.Second), Series: []Series{}}
	where := []Filter{Eq("node", node), In("metric", metrics)}
	if device != "" {
		where = append(where, Eq("device", device))
	}
	var conds []string
	var args []any
	for _, f := range where {
		conds, args = append(conds, f.SQL), append(args, f.Args...)
	}
	q := fmt.Sprintf(`SELECT metric, device, epoch_ms(time_bucket(INTERVAL '%d seconds', ts, %s)) AS b,
  avg(value) AS avg, min(value) AS min, max(value) AS max
FROM node_metrics WHERE %s GROUP BY ALL ORDER BY metric, device, b`, int64(step/time.Second), tsLit(from), strings.Join(conds, " AND "))
	res, err := v.query(ctx, []query.Scope{scope("node_metrics", []string{cluster}, from, to)}, q, args...)
	if err != nil {
		return History{}, err
	}
	for _, r := range res.Rows {
		m, _ := r[0].(string)
		d, _ := r[1].(string)
		if len(h.Series) == 0 || h.Series[len(h.Series)-1].Metric != m || h.Series[len(h.Series)-1].Device != d {
			h.Series = append(h.Series, Series{Metric: m, Device: d, Points: [][4]float64{}})
		}
		s := &h.Series[len(h.Series)-1]
		s.Points = append(s.Points, [4]float64{toFloat(r[2]), round(toFloat(r[3])), round(toFloat(r[4])), round(toFloat(r[5]))})
	}
	return h, nil
}

func round(f float64) float64 {
	// float32 samples: more digits than 7 are noise.
	if f == 0 {
		return 0
	}
	return float64(float32(f))
}
