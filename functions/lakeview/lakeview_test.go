package lakeview_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/atlhyper/atlhyper/functions/lakeview"
	"github.com/atlhyper/atlhyper/query"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func pod(ts time.Time, op, name, uid, phase string, restarts int32) lake.Pod {
	return lake.Pod{Meta: lake.Meta{TS: ts, Op: op, Kind: "Pod", Namespace: "ns", Name: name, UID: uid}, Phase: phase, Restarts: restarts}
}

// TestStateReconstruction: latest checkpoint ≤ T plus later changes,
// latest row per uid, deletes dropped; checkpoints looked for further
// back when the last hours have none.
func TestStateReconstruction(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	ctx := context.Background()
	w, _ := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
	// 10:00 checkpoint: a, b, c. Changes: a restarts (10:10), b deleted
	// (10:20), d added (10:30), e added and deleted (10:40, 10:41).
	// A stale change of c from before the checkpoint must not count.
	lake.WriteNow(ctx, w, lake.Pods, []lake.Pod{pod(t0, "checkpoint", "a", "ua", "Running", 0), pod(t0, "checkpoint", "b", "ub", "Running", 0),
		pod(t0, "checkpoint", "c", "uc", "Running", 5)})
	lake.Add(w, lake.Pods, pod(t0.Add(-time.Minute), "update", "c", "uc", "Pending", 4),
		pod(t0.Add(10*time.Minute), "update", "a", "ua", "Running", 1), pod(t0.Add(20*time.Minute), "delete", "b", "ub", "Running", 0),
		pod(t0.Add(30*time.Minute), "add", "d", "ud", "Pending", 0), pod(t0.Add(40*time.Minute), "add", "e", "ue", "Pending", 0),
		pod(t0.Add(41*time.Minute), "delete", "e", "ue", "Pending", 0))
	// A day later with no checkpoint for 10 hours: f added.
	lake.Add(w, lake.Pods, pod(t0.Add(14*time.Hour), "add", "f", "uf", "Running", 0))
	w.Close(ctx)
	lake.WriteNow(ctx, w, lake.Objects, []lake.Object{{Meta: lake.Meta{TS: t0, Op: "checkpoint", Kind: "Namespace", Name: "ns", UID: "n1"}}})
	b.Put(ctx, lake.ClusterKey("c1", lake.CurrentKey), []byte(`{}`), store.Condition{})
	e, err := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v, _ := lakeview.New(lakeview.Config{Bucket: b, Engine: e, Now: func() time.Time { return t0.Add(15 * time.Hour) }})
	k, _ := lakeview.KindByPath("pods")
	names := func(at time.Time) string {
		p, err := v.List(ctx, "c1", lakeview.ListQuery{Kind: k, At: at, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range p.Items {
			var m map[string]any
			json.Unmarshal(it, &m)
			out = append(out, m["name"].(string)+":"+m["phase"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(5 * time.Minute), "a:Running,b:Running,c:Running"},
		{t0.Add(25 * time.Minute), "a:Running,c:Running"},
		{t0.Add(40*time.Minute + 30*time.Second), "a:Running,c:Running,d:Pending,e:Pending"},
		{t0.Add(50 * time.Minute), "a:Running,c:Running,d:Pending"},
		{t0.Add(14*time.Hour + time.Minute), "a:Running,c:Running,d:Pending,f:Running"}, // checkpoint 14 h back
		{time.Time{}, "a:Running,c:Running,d:Pending,f:Running"},
	} {
		if got := names(c.at); got != c.want {
			t.Errorf("at %s: %s, want %s", c.at, got, c.want)
		}
	}
	// Diff 10:05 -> 10:50: b removed, d added, a changed (restarts).
	d, err := v.Diff(ctx, "c1", lakeview.DiffQuery{From: t0.Add(5 * time.Minute), To: t0.Add(50 * time.Minute), Kinds: []lakeview.Kind{k}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary["added"] != 1 || d.Summary["removed"] != 1 || d.Summary["changed"] != 1 {
		t.Fatalf("diff: %+v", d)
	}
	for _, it := range d.Items {
		if it.Change == "changed" && (it.Name != "a" || len(it.Fields) != 1 || it.Fields[0].Field != "restarts") {
			t.Fatalf("changed: %+v", it)
		}
	}
	// A deleted object's detail shows its last row.
	od, err := v.Detail(ctx, "c1", k, "ns", "b", "", t0.Add(25*time.Minute))
	if err != nil || !od.Deleted {
		t.Fatalf("deleted detail: %+v %v", od, err)
	}
	// Unknown cluster.
	if _, err := v.List(ctx, "nope", lakeview.ListQuery{Kind: k, Limit: 1}); err == nil {
		t.Fatal("unknown cluster answered")
	}
}

func TestSanitize(t *testing.T) {
	raw := `{"kind":"Secret","metadata":{"name":"s","managedFields":[{"x":1}],"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"p\":\"c2VjcmV0\"}}","keep":"me"}},
	"data":{"p":"c2VjcmV0"},"stringData":{"q":"plain"},"spec":{"containers":[{"env":[{"name":"A","value":"literal"},{"name":"B","valueFrom":{"secretKeyRef":{"name":"s"}}}]}]}}`
	out := string(lakeview.Sanitize("Secret", []byte(raw)))
	for _, bad := range []string{"c2VjcmV0", "plain", "literal", "managedFields", "last-applied"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q survived: %s", bad, out)
		}
	}
	for _, good := range []string{`"keep":"me"`, `"valueFrom"`, lakeview.Redacted} {
		if !strings.Contains(out, good) {
			t.Errorf("%q lost: %s", good, out)
		}
	}
	if lakeview.Sanitize("Pod", []byte("not json")) != nil {
		t.Fatal("garbage passed through")
	}
}

func TestChooseStep(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		want time.Duration
	}{{time.Hour, 15 * time.Second}, {6 * time.Hour, time.Minute}, {24 * time.Hour, 5 * time.Minute}, {7 * 24 * time.Hour, 30 * time.Minute}, {30 * 24 * time.Hour, 2 * time.Hour}} {
		if got := lakeview.ChooseStep(t0, t0.Add(c.span)); got != c.want || c.span/got > lakeview.MaxPoints {
			t.Errorf("%s: step %s, want %s", c.span, got, c.want)
		}
	}
}

// TestTrendCountsLongOpenAnomalies: an anomaly that opened long before the
// look-back and never changed since still counts as active in a trend
// that ends now (from the agent's current state); one in the lake counts
// once.
func TestTrendCountsLongOpenAnomalies(t *testing.T) {
	b, _ := store.NewFile(t.TempDir())
	ctx := context.Background()
	now := time.Now().UTC()
	w, _ := lake.NewWriter(lake.WriterConfig{Cluster: "c1", Writer: "agent", Sink: lake.StoreSink{Bucket: b}})
	opened := now.Add(-3 * time.Hour)
	lake.WriteNow(ctx, w, lake.Anomalies, []lake.Anomaly{{TS: opened, Fingerprint: "fresh", Rule: "r", Severity: "warning", State: "open", FirstSeen: opened, LastSeen: opened, Count: 1}})
	cur := lake.CurrentState{Cluster: "c1", GeneratedAt: now, Anomalies: []lake.OpenAnomaly{
		{Fingerprint: "ancient", Rule: "r", Severity: "critical", FirstSeen: now.Add(-40 * 24 * time.Hour)},
		{Fingerprint: "fresh", Rule: "r", Severity: "warning", FirstSeen: opened}}}
	data, _ := json.Marshal(cur)
	b.Put(ctx, lake.ClusterKey("c1", lake.CurrentKey), data, store.Condition{})
	e, _ := query.Open(ctx, query.Config{Bucket: b, CacheDir: t.TempDir(), Threads: 2})
	defer e.Close()
	v, _ := lakeview.New(lakeview.Config{Bucket: b, Engine: e})
	tr, err := v.AnomalyTrend(ctx, []string{"c1"}, now.Add(-24*time.Hour), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := tr.Buckets[0], tr.Buckets[len(tr.Buckets)-1]
	if first.Active != 1 || first.ActiveBySeverity["critical"] != 1 {
		t.Fatalf("first bucket: %+v", first)
	}
	if last.Active != 2 {
		t.Fatalf("last bucket: %+v", last)
	}
	var openedTotal int64
	for _, bk := range tr.Buckets {
		openedTotal += bk.Opened
	}
	if openedTotal != 1 {
		t.Fatalf("opened %d", openedTotal)
	}
}
