package api_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/atlhyper/atlhyper/functions/api"
	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/functions/schedule"
	"github.com/atlhyper/atlhyper/functions/usage"
	"github.com/atlhyper/atlhyper/query/compact"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestSystemUsage writes a known lake into a real MinIO — node metrics of
// two clusters in closed hours plus one corrupt object, three agents in
// three states — and checks what /system/usage reports before the
// scheduler ever ran, after an inventory, and after a compaction and a
// second inventory, against what the bucket really holds.
func TestSystemUsage(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	b := srv.NewBucket(t)
	now := time.Now().UTC()
	start := now.Truncate(time.Hour).Add(-3 * time.Hour)

	putJSON := func(key string, v any) {
		t.Helper()
		data, _ := json.Marshal(v)
		if _, err := b.Put(ctx, key, data, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	// alpha: online for two hours, 120 objects written, something spooled.
	// beta: last heartbeat an hour ago. gamma: registered, no heartbeat.
	flush := now.Add(-20 * time.Second)
	hbs := map[string]*lake.HeartbeatState{
		"alpha": {SchemaVersion: 2, Cluster: "alpha", TS: now.Add(-5 * time.Second),
			IntervalSeconds: 30, Agent: lake.AgentInfo{Instance: "agent-alpha-0", Version: "1.2.3", StartedAt: now.Add(-2 * time.Hour)}, UptimeSeconds: 7200,
			Synced: true, LastFlush: &flush, Spool: lake.SpoolInfo{Objects: 3, Bytes: 4096, MaxBytes: 1 << 30}, WatchedObjects: 900,
			Written: lake.WrittenInfo{Rows: 50_000, Objects: 120, Bytes: 5 << 20}, Errors: 2, LastError: "put: store unavailable", LastErrorAt: &flush},
		"beta": {SchemaVersion: 2, Cluster: "beta", TS: now.Add(-time.Hour),
			IntervalSeconds: 30, UptimeSeconds: 86400, Spool: lake.SpoolInfo{Objects: 40, Bytes: 9 << 20, MaxBytes: 10 << 20, Full: true},
			Written: lake.WrittenInfo{Objects: 1000}},
	}
	for _, c := range []string{"alpha", "beta", "gamma"} {
		putJSON(lake.ClusterKey(c, lake.CurrentKey), lake.CurrentState{SchemaVersion: 2, Cluster: c, GeneratedAt: now, Heartbeat: hbs[c]})
	}
	// Two hours of metrics per cluster, two objects per hour.
	for _, c := range []string{"alpha", "beta"} {
		w, err := lake.NewWriter(lake.WriterConfig{Cluster: c, Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			lake.Add(w, lake.NodeMetrics, lake.NodeMetric{TS: start.Add(time.Duration(i) * 30 * time.Minute), Node: "n1", Metric: "cpu.pct", Value: float32(i)})
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	corrupt := lake.ObjectKey{Table: "node_metrics", Cluster: "alpha", Date: lake.Day(start), Span: lake.HourSpan(start.Hour()), Writer: "agent", ID: lake.NewULID(now)}.Key()
	if _, err := b.Put(ctx, corrupt, []byte("not parquet at all"), store.IfAbsent); err != nil {
		t.Fatal(err)
	}

	s := &stack{t: t, srv: srv, bucket: b, end: now, tokens: map[auth.Role]string{}}
	s.open(t)
	s.tokens[auth.Admin] = s.login(t, adminUser, adminPass)
	if _, err := s.app.Auth.CreateUser(ctx, "viewer-user", userPassword, auth.Viewer, "test"); err != nil {
		t.Fatal(err)
	}
	s.tokens[auth.Viewer] = s.login(t, "viewer-user", userPassword)
	for _, role := range []auth.Role{auth.Viewer, ""} {
		if st := s.do(t, "GET", "/api/v1/system/usage", s.tokens[role], nil, nil); st != 403 && st != 401 {
			t.Fatalf("%q: %d", role, st)
		}
	}

	var root any
	yaml.Unmarshal(api.OpenAPI(), &root)
	get := func() usage.Report {
		t.Helper()
		before := s.app.Meter.Requests()
		st, data, _ := s.raw(t, "GET", "/api/v1/system/usage", s.tokens[auth.Admin], nil)
		after := s.app.Meter.Requests()
		if st != 200 {
			t.Fatalf("usage: %d %s", st, data)
		}
		var body any
		json.Unmarshal(data, &body)
		for _, e := range validate(root, map[string]any{"$ref": "#/components/schemas/SystemUsage"}, body, "usage") {
			t.Error(e)
		}
		var rep usage.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		// The instance's own requests are this process's metered bucket,
		// read while the report was built (it reads the store itself).
		tot := rep.API.Total
		if tot.Get <= before.Get || tot.Get > after.Get || tot.Put < before.Put || tot.Put > after.Put || tot.List < before.List || tot.List > after.List || tot.BytesIn < before.BytesIn {
			t.Fatalf("api requests %+v not between %+v and %+v", tot, before, after)
		}
		return rep
	}
	missing := func(rep usage.Report) map[string]bool {
		m := map[string]bool{}
		for _, x := range rep.Missing {
			m[x.Code+":"+x.Subject] = true
		}
		return m
	}
	agentsOf := func(rep usage.Report) map[string]usage.Agent {
		m := map[string]usage.Agent{}
		for _, a := range rep.Agents {
			m[a.Cluster] = a
		}
		return m
	}
	jobsOf := func(rep usage.Report) map[string]usage.Job {
		m := map[string]usage.Job{}
		for _, j := range rep.Jobs {
			m[j.Job] = j
		}
		return m
	}

	// 1. The scheduler never ran: reported as missing, not as an error.
	rep := get()
	m := missing(rep)
	for _, want := range []string{"no_inventory:", "job_never_ran:compact", "job_never_ran:inventory", "no_heartbeat:gamma", "agent_requests_unreported:alpha", "api_rate_pending:"} {
		if !m[want] {
			t.Errorf("missing lacks %s: %v", want, rep.Missing)
		}
	}
	if rep.Inventory != nil || len(rep.Jobs) != 2 || jobsOf(rep)["compact"].State != "never_run" || rep.API.PerHour != nil {
		t.Fatalf("before any job: %+v", rep)
	}
	ag := agentsOf(rep)
	a := ag["alpha"]
	if len(ag) != 3 || a.State != "online" || a.Spool.Objects != 3 || a.Spool.Bytes != 4096 || a.Written.Objects != 120 || a.Errors != 2 ||
		a.LastError != "put: store unavailable" || a.Version != "1.2.3" || a.LastFlush == nil || a.EstimatedPutsPerHour == nil || *a.EstimatedPutsPerHour != 180 {
		t.Fatalf("alpha %+v", a)
	}
	if bt := ag["beta"]; bt.State != "offline" || !bt.Spool.Full || bt.Spool.Bytes != 9<<20 || ag["gamma"].State != "no_heartbeat" {
		t.Fatalf("beta %+v gamma %+v", bt, ag["gamma"])
	}
	// Only alpha's writes can be priced yet: 180 PUT/h for 730 h.
	if c := rep.Cost; len(c.Items) != 1 || c.Items[0].Item != "agents" || c.Items[0].PutListPerMonth != 180*730 || math.Abs(c.TotalUSD-180*730/1000.0*0.005) > 1e-4 || !c.Estimate {
		t.Fatalf("cost before any job: %+v", c)
	}

	// What the bucket holds, per table and cluster, listed independently.
	type count struct{ objects, bytes int64 }
	actual := func() (map[string]count, map[string]count) {
		t.Helper()
		tables, clusters := map[string]count{}, map[string]count{}
		for _, tb := range lake.All() {
			infos, err := store.ListAll(ctx, b, tb.Name()+"/")
			if err != nil {
				t.Fatal(err)
			}
			for _, info := range infos {
				k, err := lake.ParseKey(info.Key)
				if err != nil {
					continue
				}
				c := tables[tb.Name()]
				tables[tb.Name()] = count{c.objects + 1, c.bytes + info.Size}
				c = clusters[k.Cluster]
				clusters[k.Cluster] = count{c.objects + 1, c.bytes + info.Size}
			}
		}
		return tables, clusters
	}
	check := func(rep usage.Report) {
		t.Helper()
		tables, clusters := actual()
		inv := rep.Inventory
		if inv == nil {
			t.Fatal("no inventory")
		}
		var objs, bytes int64
		for _, tb := range inv.Tables {
			if want := tables[tb.Table]; tb.Objects != want.objects || tb.Bytes != want.bytes {
				t.Errorf("table %s: %d objects %d bytes, bucket has %+v", tb.Table, tb.Objects, tb.Bytes, want)
			}
			objs += tb.Objects
			bytes += tb.Bytes
		}
		if len(inv.Tables) != len(lake.All()) || inv.Objects != objs || inv.Bytes != bytes {
			t.Errorf("inventory totals %d/%d, tables sum to %d/%d", inv.Objects, inv.Bytes, objs, bytes)
		}
		if len(inv.Clusters) != len(clusters) {
			t.Errorf("clusters %+v, bucket has %v", inv.Clusters, clusters)
		}
		for _, c := range inv.Clusters {
			if want := clusters[c.Cluster]; c.Objects == nil || *c.Objects != want.objects || c.Bytes != want.bytes {
				t.Errorf("cluster %s: %v objects %d bytes, bucket has %+v", c.Cluster, c.Objects, c.Bytes, want)
			}
		}
		var storage *usage.CostItem
		for i, it := range rep.Cost.Items {
			if it.Item == "storage" {
				storage = &rep.Cost.Items[i]
			}
		}
		if storage == nil || math.Abs(storage.StorageGB-float64(inv.Bytes)/(1<<30)) > 1e-6 || !strings.Contains(storage.Basis, "bytes") {
			t.Errorf("storage cost %+v for %d bytes", storage, inv.Bytes)
		}
	}

	// 2. An inventory (as the scheduler runs it, on its own bucket): the
	// four objects of each cluster's two closed hours (and the corrupt one)
	// are compaction backlog.
	quietLog := quiet
	if st := schedule.RunOnce(ctx, b, schedule.InventoryJob(time.Hour), quietLog); !st.OK {
		t.Fatal(st.Error)
	}
	rep = get()
	check(rep)
	nm := tableOf(rep, "node_metrics")
	if rep.Inventory.CompactionBacklog != 9 || nm.Objects != 9 || nm.CompactedObjects != 0 || nm.BytesByCluster["alpha"] == 0 || missing(rep)["no_inventory:"] {
		t.Fatalf("inventory before compaction: backlog %d, node_metrics %+v", rep.Inventory.CompactionBacklog, nm)
	}
	if j := jobsOf(rep)["inventory"]; j.State != "ok" || j.EverySeconds != 3600 || j.Requests == nil || j.Requests.List < int64(len(lake.All())) || j.Finished == nil {
		t.Fatalf("inventory job %+v", j)
	}

	// 3. A compaction, then a second inventory: each cluster's two hours
	// merged into one object each, the corrupt object found and left, no
	// backlog.
	cst := schedule.RunOnce(ctx, b, schedule.Compaction(compact.Config{WorkDir: t.TempDir(), Logger: quietLog}, 15*time.Minute), quietLog)
	if !cst.OK {
		t.Fatal(cst.Error)
	}
	if st := schedule.RunOnce(ctx, b, schedule.InventoryJob(time.Hour), quietLog); !st.OK {
		t.Fatal(st.Error)
	}
	rep = get()
	check(rep)
	nm = tableOf(rep, "node_metrics")
	if rep.Inventory.CompactionBacklog != 0 || nm.Objects != 13 || nm.CompactedObjects != 4 || rep.Inventory.CompactedObjects != 4 {
		t.Fatalf("after compaction: backlog %d, node_metrics %+v", rep.Inventory.CompactionBacklog, nm)
	}
	j := jobsOf(rep)["compact"]
	c := j.Compaction
	if j.State != "ok" || c == nil || c.ObjectsMerged != 8 || c.ObjectsWritten != 4 || c.ObjectsDeleted != 0 || c.ObjectsExpired != 0 ||
		c.CorruptCount != 1 || len(c.Corrupt) != 1 || c.Corrupt[0] != corrupt || c.BytesIn == 0 || c.BytesOut == 0 || j.EverySeconds != 900 {
		t.Fatalf("compaction job %+v %+v", j, c)
	}
	if j.Requests == nil || *j.Requests != *cst.Requests || j.DurationMS != cst.Finished.Sub(cst.Started).Milliseconds() {
		t.Fatalf("compaction requests %+v, the run counted %+v", j.Requests, cst.Requests)
	}
	// The items add up; the jobs are not priced from one run each (their
	// histories do not span an interval yet: TestJobRates prices them).
	items := map[string]usage.CostItem{}
	var sum float64
	for _, it := range rep.Cost.Items {
		items[it.Item] = it
		sum += it.USD
	}
	if _, ok := items["jobs"]; ok || len(items) != 2 || math.Abs(sum-rep.Cost.TotalUSD) > 1e-4 || !missing(rep)["job_rate_pending:compact"] {
		t.Fatalf("cost %+v, missing %+v", rep.Cost, rep.Missing)
	}
	if j := jobsOf(rep)["compact"]; j.Rate != nil {
		t.Fatalf("compaction priced from one run: %+v", j.Rate)
	}
	// One cluster-month: storage and agents over the three registered clusters.
	if pc := rep.Cost.PerCluster; pc == nil || pc.Clusters != 3 || math.Abs(pc.USD-(items["storage"].USD+items["agents"].USD)/3) > 1e-4 {
		t.Fatalf("per cluster %+v of %+v", pc, items)
	}

	// A corrupt inventory object is reported, not an error.
	if _, err := b.Put(ctx, schedule.InventoryKey, []byte("{not json"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	rep = get()
	if m := missing(rep); rep.Inventory != nil || !m["unreadable:"+schedule.InventoryKey] || m["no_inventory:"] {
		t.Fatalf("unreadable inventory: %+v", rep.Missing)
	}
}

func tableOf(rep usage.Report, name string) usage.Table {
	for _, t := range rep.Inventory.Tables {
		if t.Table == name {
			return t
		}
	}
	return usage.Table{}
}
