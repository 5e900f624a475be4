// Package longrun is a month in the life of a long-running API: a fleet
// with a month of history, as the scheduler leaves it (Prepare), and what
// a dashboard left open makes the API do on each simulated day (Day): the
// overviews, the lists and object pages travelled back to that day, the
// anomaly lists and trends ending that day, diffs and timelines within
// it, and a SQL query over it. The long-running benchmark and the
// cache-bound test walk the same month, so every in-memory cache of the
// API sees a month of distinct questions.
package longrun

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/atlhyper/atlhyper/functions/fleetgen"
	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/store"
)

// Days is the month walked: day d (1..Days) ends DayEnd(end, d).
const Days = 30

// DayEnd is the end of simulated day d of a fleet whose history ends at
// end: day Days ends at end, day 1 Days-1 days earlier (the oldest day of
// history, about to expire, is not walked).
func DayEnd(end time.Time, d int) time.Time { return end.Add(-time.Duration(Days-d) * 24 * time.Hour) }

// Prepare writes spec's fleet (its Hours should cover Days+1 days), then
// runs the scheduler's compaction and inventory jobs once, as a deployed
// lake would be: compacted objects (whose inputs readers look up) and
// the job statuses and inventory self-monitoring reads.
func Prepare(ctx context.Context, b store.Bucket, spec fleetgen.Spec, workDir string, log *slog.Logger) error {
	if err := fleetgen.Generate(ctx, b, spec); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	for _, job := range []schedule.Job{schedule.Compaction(compact.Config{WorkDir: workDir, Logger: log}, time.Hour), schedule.InventoryJob(time.Hour)} {
		if st := schedule.RunOnce(ctx, b, job, log); !st.OK {
			return fmt.Errorf("%s: %s", job.Name, st.Error)
		}
	}
	return nil
}

// Request is one API call.
type Request struct {
	Method, Path string          // Path from /api/v1/ on, with its query
	Body         json.RawMessage // POST only
}

// Kinds are the lists walked each day (at a moment of that day).
var Kinds = []string{"pods", "deployments", "nodes", "services", "namespaces"}

// Day returns the requests of the day that ends at end, for clusters
// named as fleetgen names them (objects team-00/app-00, node-000 exist
// throughout its history). The lists are read at two moments of the day,
// as a user scrubbing the time-travel slider would; admin adds the
// admin-only self-monitoring page.
func Day(clusters []string, end time.Time, admin bool) []Request {
	ts := func(t time.Time) string { return url.QueryEscape(t.UTC().Format(time.RFC3339)) }
	day := func(from time.Time) string { return "from=" + ts(from) + "&to=" + ts(end) }
	get := func(format string, a ...any) Request { return Request{Method: "GET", Path: fmt.Sprintf(format, a...)} }
	rs := []Request{
		get("/api/v1/clusters"),
		get("/api/v1/fleet/overview"),
		get("/api/v1/anomalies?%s", day(end.Add(-24*time.Hour))),
		get("/api/v1/anomalies/trend?%s", day(end.Add(-7*24*time.Hour))),
	}
	for _, c := range clusters {
		base := "/api/v1/clusters/" + c
		rs = append(rs, get("%s/overview", base), get("%s/namespace-summaries", base))
		for _, at := range []time.Time{end.Add(-16 * time.Hour), end.Add(-4 * time.Hour)} {
			for _, k := range Kinds {
				rs = append(rs, get("%s/%s?limit=100&at=%s", base, k, ts(at)))
			}
			rs = append(rs,
				get("%s/pods?limit=100&namespace=team-01&sort=-restarts&at=%s", base, ts(at)),
				get("%s/deployments/team-00/app-00?at=%s", base, ts(at)),
				get("%s/nodes/node-000?at=%s", base, ts(at)))
		}
		rs = append(rs,
			get("%s/events?%s", base, day(end.Add(-24*time.Hour))),
			get("%s/anomalies?%s", base, day(end.Add(-24*time.Hour))),
			get("%s/anomalies/trend?%s", base, day(end.Add(-7*24*time.Hour))),
			get("%s/timetravel/diff?kind=pods&%s", base, day(end.Add(-time.Hour))),
			get("%s/timetravel/diff?%s", base, day(end.Add(-12*time.Hour))),
			get("%s/timetravel/timeline?kind=deployments&namespace=team-00&name=app-00&%s", base, day(end.Add(-24*time.Hour))),
			get("%s/timetravel/timeline?kind=nodes&name=node-000&%s", base, day(end.Add(-24*time.Hour))))
	}
	sql, _ := json.Marshal(map[string]any{
		"sql":  "SELECT cluster, namespace, count(DISTINCT uid) AS pods FROM pods GROUP BY ALL ORDER BY ALL",
		"from": end.Add(-24 * time.Hour).UTC().Format(time.RFC3339), "to": end.UTC().Format(time.RFC3339)})
	rs = append(rs, Request{Method: "POST", Path: "/api/v1/sql", Body: sql})
	if admin {
		rs = append(rs, get("/api/v1/system/usage"))
	}
	return rs
}
