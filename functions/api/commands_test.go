package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/atlhyper/atlhyper/functions/auth"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

const opsCluster = "cluster-00"

// cmdView is the part of a command answer the tests look at.
type cmdView struct {
	ID            string          `json:"id"`
	Cluster       string          `json:"cluster"`
	Action        string          `json:"action"`
	Target        control.Target  `json:"target"`
	Params        json.RawMessage `json:"params"`
	RequestedBy   string          `json:"requested_by"`
	Role          string          `json:"role"`
	Reason        string          `json:"reason"`
	State         string          `json:"state"`
	CreatedAt     time.Time       `json:"created_at"`
	Deadline      time.Time       `json:"deadline"`
	Changes       []string        `json:"changes"`
	Error         string          `json:"error"`
	Source        string          `json:"source"`
	Signature     string          `json:"signature"`
	CanCancel     bool            `json:"can_cancel"`
	CanStop       bool            `json:"can_stop"`
	StopBy        string          `json:"stop_requested_by"`
	CanReadOutput bool            `json:"can_read_output"`
	OutputBytes   int64           `json:"output_bytes"`
	Result        *control.Result `json:"result"`
}

type cmdPage struct {
	Items      []cmdView `json:"items"`
	Total      int       `json:"total"`
	NextCursor string    `json:"next_cursor"`
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Part    string `json:"part"`
		State   string `json:"state"`
	} `json:"error"`
}

func logsBody(pod string) map[string]any {
	return map[string]any{"action": "pod.logs", "target": map[string]string{"kind": "Pod", "namespace": "team-00", "name": pod},
		"params": map[string]any{"tail_lines": 50}, "reason": "checking why it restarts"}
}

// submit queues a command and returns its answer.
func (s *stack) submit(t testing.TB, role auth.Role, body map[string]any) cmdView {
	t.Helper()
	var v cmdView
	if st := s.do(t, "POST", "/api/v1/clusters/"+opsCluster+"/commands", s.tokens[role], body, &v); st != 201 {
		t.Fatalf("submit %v as %s: %d", body, role, st)
	}
	return v
}

// finish plays the agent: claims the command and ends it with output.
func (s *stack) finish(t testing.TB, id, output string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, err := control.Claim(ctx, s.bucket, opsCluster, id, "agent-a", now, time.Minute, control.DefaultSkew); err != nil {
		t.Fatal(err)
	}
	key := control.OutputKey(opsCluster, id)
	if _, err := s.bucket.Put(ctx, key, []byte(output), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	r := control.Result{ID: id, State: control.Succeeded, Instance: "agent-a", StartedAt: now, FinishedAt: time.Now(),
		Summary: "fetched 2 lines", Changes: []string{"nothing: read only"}, OutputKey: key, OutputBytes: len(output), OutputType: "text/plain"}
	if _, err := control.Finish(ctx, s.bucket, opsCluster, r); err != nil {
		t.Fatal(err)
	}
}

func TestCommandSubmit(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	path := "/api/v1/clusters/" + opsCluster + "/commands"

	t.Run("roles", func(t *testing.T) {
		if st := s.do(t, "POST", path, s.tokens[auth.Viewer], logsBody("web-1"), nil); st != 403 {
			t.Fatalf("viewer submit: %d", st)
		}
		img := map[string]any{"action": "workload.set_image", "target": map[string]string{"kind": "Deployment", "namespace": "team-00", "name": "app-00"},
			"params": map[string]any{"container": "app", "image": "nginx:1.27"}, "reason": "roll the fix"}
		var e apiErr
		if st := s.do(t, "POST", path, s.tokens[auth.Operator], img, &e); st != 403 || !strings.Contains(e.Error.Message, "admin") {
			t.Fatalf("operator set_image: %d %+v", st, e)
		}
		v := s.submit(t, auth.Admin, img)
		if v.State != control.Pending || v.RequestedBy != adminUser || string(v.Params) != `{"container":"app","image":"nginx:1.27"}` {
			t.Fatalf("admin set_image: %+v", v)
		}
	})

	t.Run("queued, signed, lease renewed", func(t *testing.T) {
		before := time.Now()
		v := s.submit(t, auth.Operator, logsBody("web-1"))
		o, err := control.Read(ctx, s.bucket, opsCluster)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := o.Find(v.ID)
		if !ok || e.State != control.Pending || e.RequestedBy != "operator-user" || !e.ReadOnly {
			t.Fatalf("entry %+v %v", e, ok)
		}
		if !o.Watched(before.Add(time.Minute)) {
			t.Fatalf("watch lease not renewed: %v", o.WatchUntil)
		}
		// The agent's check: the command verifies with the public key only.
		signer, _ := control.ParseSigner(testSignKey)
		keys, err := control.ParseKeys(signer.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		c, err := control.ReadCommand(ctx, s.bucket, control.Verifier{Cluster: opsCluster, Keys: keys}, v.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.Reason != "checking why it restarts" || c.Role != "operator" || string(c.Params) != `{"tail_lines":50}` ||
			c.Deadline.Sub(c.CreatedAt) != time.Minute {
			t.Fatalf("signed command %+v", c)
		}
		// Another cluster's agent refuses it.
		if _, err := (control.Verifier{Cluster: "cluster-01", Keys: keys}).Verify(mustSigned(t, s, v.ID), time.Now()); err == nil {
			t.Fatal("verified for another cluster")
		}
	})

	t.Run("idempotency", func(t *testing.T) {
		id := ulid.Make().String()
		body := logsBody("web-2")
		body["id"] = id
		first := s.submit(t, auth.Operator, body)
		var again cmdView
		if st := s.do(t, "POST", path, s.tokens[auth.Operator], body, &again); st != 200 || again.ID != id || !again.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("retry: %d %+v", st, again)
		}
		// The same key in the header.
		delete(body, "id")
		st, data, _ := s.rawHeader(t, "POST", path, s.tokens[auth.Operator], body, map[string]string{"Idempotency-Key": id})
		if st != 200 || !strings.Contains(string(data), id) {
			t.Fatalf("retry by header: %d %s", st, data)
		}
		o, _ := control.Read(ctx, s.bucket, opsCluster)
		n := 0
		for _, e := range o.Commands {
			if e.ID == id {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d entries for one id", n)
		}
		body["id"] = id
		body["reason"] = "something else"
		var e apiErr
		if st := s.do(t, "POST", path, s.tokens[auth.Operator], body, &e); st != 409 || e.Error.Field != "id" {
			t.Fatalf("reused id: %d %+v", st, e)
		}
	})

	t.Run("validation", func(t *testing.T) {
		base := func(mod func(m map[string]any)) map[string]any {
			m := logsBody("web-1")
			mod(m)
			return m
		}
		tgt := func(kind, ns, name string) map[string]string {
			return map[string]string{"kind": kind, "namespace": ns, "name": name}
		}
		cases := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"unknown action", base(func(m map[string]any) { m["action"] = "pod.exec" }), "action"},
			{"secret", base(func(m map[string]any) {
				m["action"] = "object.yaml"
				m["target"] = tgt("Secret", "team-00", "credentials")
			}), "target.kind"},
			{"kind mismatch", base(func(m map[string]any) { m["action"] = "node.cordon" }), "target.kind"},
			{"unknown kind", base(func(m map[string]any) { m["action"] = "object.yaml"; m["target"] = tgt("Frob", "team-00", "x") }), "target.kind"},
			{"no namespace", base(func(m map[string]any) { m["target"] = tgt("Pod", "", "web-1") }), "target.namespace"},
			{"namespace on a node", base(func(m map[string]any) {
				m["action"] = "node.cordon"
				m["target"] = tgt("Node", "x", "node-001")
				m["params"] = nil
			}), "target.namespace"},
			{"bad name", base(func(m map[string]any) { m["target"] = tgt("Pod", "team-00", "Web_1") }), "target.name"},
			{"unknown param", base(func(m map[string]any) { m["params"] = map[string]any{"follow": true} }), "params"},
			{"param type", base(func(m map[string]any) { m["params"] = map[string]any{"tail_lines": "50"} }), "params"},
			{"param range", base(func(m map[string]any) { m["params"] = map[string]any{"tail_lines": 0} }), "params"},
			{"fraction", base(func(m map[string]any) { m["params"] = map[string]any{"tail_lines": 1.5} }), "params"},
			{"missing replicas", base(func(m map[string]any) {
				m["action"] = "workload.scale"
				m["target"] = tgt("Deployment", "team-00", "app-00")
				m["params"] = nil
			}), "params"},
			{"no reason", base(func(m map[string]any) { m["reason"] = "  " }), "reason"},
			{"long reason", base(func(m map[string]any) { m["reason"] = strings.Repeat("é", 501) }), "reason"},
			{"bad id", base(func(m map[string]any) { m["id"] = "not-a-ulid" }), "id"},
			{"far deadline", base(func(m map[string]any) { m["deadline"] = time.Now().Add(2 * time.Minute) }), "deadline"},
			{"past deadline", base(func(m map[string]any) { m["deadline"] = time.Now().Add(-time.Minute) }), "deadline"},
		}
		for _, c := range cases {
			var e apiErr
			if st := s.do(t, "POST", path, s.tokens[auth.Admin], c.body, &e); st != 400 || e.Error.Field != c.field {
				t.Errorf("%s: %d %+v, want 400 on %s", c.name, st, e, c.field)
			}
		}
		if st := s.do(t, "POST", "/api/v1/clusters/nope/commands", s.tokens[auth.Admin], logsBody("x"), nil); st != 404 {
			t.Errorf("unknown cluster: %d", st)
		}
		ok := base(func(m map[string]any) { m["deadline"] = time.Now().Add(30 * time.Second) })
		if v := s.submit(t, auth.Operator, ok); v.Deadline.Sub(v.CreatedAt) > 31*time.Second {
			t.Errorf("deadline %v", v.Deadline)
		}
	})

	t.Run("audited", func(t *testing.T) {
		var p page
		if st := s.do(t, "GET", "/api/v1/audit?action=command.submit&limit=1000", s.tokens[auth.Admin], nil, &p); st != 200 {
			t.Fatalf("audit: %d", st)
		}
		var okRow, denied bool
		for _, it := range p.Items {
			params, _ := it["params"].(string)
			if it["actor"] == "operator-user" && it["outcome"] == "ok" && it["target"] == "cluster/cluster-00/Pod team-00/web-1" &&
				strings.Contains(params, `"reason":"checking why it restarts"`) && strings.Contains(params, `"action":"pod.logs"`) {
				okRow = true
			}
			if it["actor"] == "operator-user" && it["outcome"] == "denied" && strings.Contains(params, "workload.set_image") {
				denied = true
			}
		}
		if !okRow || !denied {
			t.Fatalf("audit rows: ok %v denied %v in %d", okRow, denied, len(p.Items))
		}
	})
}

func mustSigned(t *testing.T, s *stack, id string) control.Signed {
	data, _, err := s.bucket.Get(context.Background(), control.CommandKey(opsCluster, id), "")
	if err != nil {
		t.Fatal(err)
	}
	var sg control.Signed
	if err := json.Unmarshal(data, &sg); err != nil {
		t.Fatal(err)
	}
	return sg
}

func TestCommandReadAndCancel(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	base := "/api/v1/clusters/" + opsCluster + "/commands"

	t.Run("detail and cancel", func(t *testing.T) {
		v := s.submit(t, auth.Operator, logsBody("web-1"))
		var d cmdView
		if st := s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Operator], nil, &d); st != 200 {
			t.Fatalf("detail: %d", st)
		}
		if d.State != control.Pending || d.Signature != "valid" || d.Reason != "checking why it restarts" || d.Role != "operator" || !d.CanCancel {
			t.Fatalf("detail %+v", d)
		}
		s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Viewer], nil, &d)
		if d.CanCancel || d.CanReadOutput {
			t.Fatalf("viewer's detail: %+v", d)
		}
		if st := s.do(t, "POST", base+"/"+v.ID+"/cancel", s.tokens[auth.Viewer], nil, nil); st != 403 {
			t.Fatalf("viewer cancel: %d", st)
		}
		var c cmdView
		if st := s.do(t, "POST", base+"/"+v.ID+"/cancel", s.tokens[auth.Operator], nil, &c); st != 200 || c.State != control.Cancelled {
			t.Fatalf("cancel: %d %+v", st, c)
		}
		var e apiErr
		if st := s.do(t, "POST", base+"/"+v.ID+"/cancel", s.tokens[auth.Operator], nil, &e); st != 409 || e.Error.State != control.Cancelled {
			t.Fatalf("cancel again: %d %+v", st, e)
		}
		if st := s.do(t, "POST", base+"/"+ulid.Make().String()+"/cancel", s.tokens[auth.Operator], nil, nil); st != 404 {
			t.Fatalf("cancel unknown: %d", st)
		}
		if st := s.do(t, "GET", base+"/not-an-id", s.tokens[auth.Operator], nil, nil); st != 400 {
			t.Fatalf("bad id: %d", st)
		}
		var p page
		s.do(t, "GET", "/api/v1/audit?action=command.cancel&limit=100", s.tokens[auth.Admin], nil, &p)
		outcomes := map[any]int{}
		for _, it := range p.Items {
			if strings.Contains(fmt.Sprint(it["params"]), v.ID) {
				outcomes[it["outcome"]]++
			}
		}
		if outcomes["ok"] != 1 || outcomes["error"] != 1 {
			t.Fatalf("cancel audit %v", outcomes)
		}
	})

	t.Run("claimed commands cannot be cancelled", func(t *testing.T) {
		v := s.submit(t, auth.Operator, logsBody("web-3"))
		if _, err := control.Claim(ctx, s.bucket, opsCluster, v.ID, "agent-a", time.Now(), time.Minute, control.DefaultSkew); err != nil {
			t.Fatal(err)
		}
		var e apiErr
		if st := s.do(t, "POST", base+"/"+v.ID+"/cancel", s.tokens[auth.Admin], nil, &e); st != 409 || e.Error.State != control.Running {
			t.Fatalf("cancel running: %d %+v", st, e)
		}
	})

	t.Run("operators cannot cancel admin actions", func(t *testing.T) {
		v := s.submit(t, auth.Admin, map[string]any{"action": "node.drain", "target": map[string]string{"kind": "Node", "name": "node-001"},
			"params": map[string]any{"grace_seconds": 30}, "reason": "kernel update"})
		if st := s.do(t, "POST", base+"/"+v.ID+"/cancel", s.tokens[auth.Operator], nil, nil); st != 403 {
			t.Fatalf("operator cancels a drain: %d", st)
		}
	})

	// Stop: a running drain is marked for its agent (who asked, in the
	// detail); only the action's role may; an ended command is 409; a
	// pending one is cancelled at once.
	t.Run("stop a running command", func(t *testing.T) {
		v := s.submit(t, auth.Admin, map[string]any{"action": "node.drain", "target": map[string]string{"kind": "Node", "name": "node-002"},
			"reason": "stop test"})
		if _, err := control.Claim(ctx, s.bucket, opsCluster, v.ID, "agent-a", time.Now(), time.Minute, control.DefaultSkew); err != nil {
			t.Fatal(err)
		}
		var d cmdView
		if st := s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Admin], nil, &d); st != 200 || !d.CanStop || d.CanCancel {
			t.Fatalf("running drain: %d can_stop %v can_cancel %v", st, d.CanStop, d.CanCancel)
		}
		if st := s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Operator], nil, &d); st != 200 || d.CanStop {
			t.Fatalf("an operator may not stop a drain: %d can_stop %v", st, d.CanStop)
		}
		if st := s.do(t, "POST", base+"/"+v.ID+"/stop", s.tokens[auth.Operator], nil, nil); st != 403 {
			t.Fatalf("operator stops a drain: %d", st)
		}
		var c cmdView
		if st := s.do(t, "POST", base+"/"+v.ID+"/stop", s.tokens[auth.Admin], nil, &c); st != 200 || c.State != control.Running || c.StopBy != adminUser {
			t.Fatalf("stop: %d %+v", st, c)
		}
		if st := s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Admin], nil, &d); st != 200 || d.CanStop || d.StopBy != adminUser {
			t.Fatalf("after stop: %d can_stop %v by %q", st, d.CanStop, d.StopBy)
		}
		if _, err := control.Finish(ctx, s.bucket, opsCluster, control.Result{ID: v.ID, State: control.Succeeded, Instance: "agent-a",
			StartedAt: time.Now(), FinishedAt: time.Now(), Summary: "drained before the stop was seen"}); err != nil {
			t.Fatal(err)
		}
		var e apiErr
		if st := s.do(t, "POST", base+"/"+v.ID+"/stop", s.tokens[auth.Admin], nil, &e); st != 409 || e.Error.State != control.Succeeded {
			t.Fatalf("stop an ended command: %d %+v", st, e)
		}
		p := s.submit(t, auth.Operator, logsBody("web-9"))
		if st := s.do(t, "POST", base+"/"+p.ID+"/stop", s.tokens[auth.Operator], nil, &c); st != 200 || c.State != control.Cancelled {
			t.Fatalf("stop a pending command: %d %+v", st, c)
		}
	})

	t.Run("result and output", func(t *testing.T) {
		v := s.submit(t, auth.Operator, logsBody("web-4"))
		s.finish(t, v.ID, "line one\nline two\n")
		var d cmdView
		s.do(t, "GET", base+"/"+v.ID, s.tokens[auth.Operator], nil, &d)
		if d.State != control.Succeeded || d.Result == nil || d.Result.Summary != "fetched 2 lines" || d.OutputBytes != 18 || d.Result.OutputKey != "" {
			t.Fatalf("finished: %+v %+v", d, d.Result)
		}
		st, data, h := s.raw(t, "GET", base+"/"+v.ID+"/output", s.tokens[auth.Operator], nil)
		if st != 200 || string(data) != "line one\nline two\n" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Fatalf("output: %d %q %v", st, data, h)
		}
		st, data, h = s.raw(t, "GET", base+"/"+v.ID+"/output?max_bytes=4", s.tokens[auth.Operator], nil)
		if st != 200 || string(data) != "line" || h.Get("X-AtlHyper-Truncated") != "true" {
			t.Fatalf("capped output: %d %q", st, data)
		}
		if st, _, _ := s.raw(t, "GET", base+"/"+v.ID+"/output", s.tokens[auth.Viewer], nil); st != 403 {
			t.Fatalf("viewer reads output: %d", st)
		}
		// A command a viewer asked for (before being demoted, say): theirs
		// to read.
		signer, _ := control.ParseSigner(testSignKey)
		now := time.Now().UTC()
		own := control.Command{ID: ulid.Make().String(), Cluster: opsCluster, Action: "pod.logs", Target: control.Target{Kind: "Pod", Namespace: "team-00", Name: "web-5"},
			RequestedBy: "viewer-user", Role: "operator", Reason: "mine", CreatedAt: now, Deadline: now.Add(time.Minute), ReadOnly: true}
		if _, err := control.Submit(ctx, s.bucket, signer, own); err != nil {
			t.Fatal(err)
		}
		s.finish(t, own.ID, "mine\n")
		if st, data, _ := s.raw(t, "GET", base+"/"+own.ID+"/output", s.tokens[auth.Viewer], nil); st != 200 || string(data) != "mine\n" {
			t.Fatalf("requester reads output: %d %q", st, data)
		}
		pending := s.submit(t, auth.Operator, logsBody("web-6"))
		if st, _, _ := s.raw(t, "GET", base+"/"+pending.ID+"/output", s.tokens[auth.Operator], nil); st != 404 {
			t.Fatalf("output of a pending command: %d", st)
		}
	})

	t.Run("expired unclaimed", func(t *testing.T) {
		signer, _ := control.ParseSigner(testSignKey)
		old := time.Now().UTC().Add(-2 * time.Hour)
		c := control.Command{ID: ulid.Make().String(), Cluster: opsCluster, Action: "node.cordon", Target: control.Target{Kind: "Node", Name: "node-002"},
			RequestedBy: "operator-user", Role: "operator", Reason: "old", CreatedAt: old, Deadline: old.Add(time.Minute)}
		if _, err := control.Submit(ctx, s.bucket, signer, c); err != nil {
			t.Fatal(err)
		}
		var d cmdView
		s.do(t, "GET", base+"/"+c.ID, s.tokens[auth.Viewer], nil, &d)
		if d.State != control.Expired {
			t.Fatalf("expired command: %+v", d)
		}
	})

	t.Run("forged object", func(t *testing.T) {
		other, _ := control.ParseSigner("test1=" + strings.Repeat("A", 43) + "=")
		now := time.Now().UTC()
		c := control.Command{ID: ulid.Make().String(), Cluster: opsCluster, Action: "pod.delete", Target: control.Target{Kind: "Pod", Namespace: "team-00", Name: "x"},
			RequestedBy: "admin", Role: "admin", Reason: "forged", CreatedAt: now, Deadline: now.Add(time.Minute)}
		if _, err := control.Submit(ctx, s.bucket, other, c); err != nil {
			t.Fatal(err)
		}
		var d cmdView
		s.do(t, "GET", base+"/"+c.ID, s.tokens[auth.Admin], nil, &d)
		if d.Signature != "invalid" || d.Reason != "" {
			t.Fatalf("forged command shown as %+v", d)
		}
	})

	t.Run("history, filters and paging", func(t *testing.T) {
		w, err := lake.NewWriter(lake.WriterConfig{Cluster: opsCluster, Writer: "test", Sink: lake.StoreSink{Bucket: s.bucket}})
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		ids := []string{ulid.Make().String(), ulid.Make().String()}
		lake.Add(w, lake.Commands,
			lake.Command{TS: ts, ID: ids[0], Action: "workload.scale", Kind: "Deployment", Namespace: "team-00", Name: "app-00", RequestedBy: "operator-user",
				Role: "operator", Reason: "traffic", State: "succeeded", CreatedAt: ts.Add(-time.Minute), Deadline: ts.Add(time.Minute), Instance: "agent-a",
				Attempts: 1, Summary: "scaled", Changes: []string{"replicas: 2 → 4"}, Params: `{"replicas":4}`},
			lake.Command{TS: ts.Add(-time.Minute), ID: ids[1], Action: "node.cordon", Kind: "Node", Name: "node-001", RequestedBy: "operator-user",
				Role: "operator", Reason: "disk", State: "failed", CreatedAt: ts.Add(-2 * time.Minute), Deadline: ts, Error: "forbidden"})
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		// New lake objects show once the engine lists the partition again
		// (query.Config.RecentListTTL): a fresh instance lists it now.
		s.open(t)
		var p cmdPage
		if st := s.do(t, "GET", base+"?state=succeeded&action=workload.scale", s.tokens[auth.Viewer], nil, &p); st != 200 {
			t.Fatalf("list: %d", st)
		}
		if len(p.Items) != 1 || p.Items[0].ID != ids[0] || p.Items[0].Source != "history" || p.Items[0].Changes[0] != "replicas: 2 → 4" ||
			string(p.Items[0].Params) != `{"replicas":4}` {
			t.Fatalf("filtered list %+v", p)
		}
		// Unfiltered: the queue's entries first, then history, newest first.
		s.do(t, "GET", base+"?limit=1", s.tokens[auth.Viewer], nil, &p)
		if len(p.Items) < 2 || p.Items[0].Source != "queue" || p.Items[0].State != control.Pending || p.NextCursor == "" {
			t.Fatalf("first page %+v", p)
		}
		last := p.Items[len(p.Items)-1]
		if last.ID != ids[0] {
			t.Fatalf("first page ends with %+v", last)
		}
		var p2 cmdPage
		s.do(t, "GET", base+"?limit=1&cursor="+p.NextCursor, s.tokens[auth.Viewer], nil, &p2)
		if len(p2.Items) != 1 || p2.Items[0].ID != ids[1] {
			t.Fatalf("second page %+v", p2)
		}
		var fleet cmdPage
		s.do(t, "GET", "/api/v1/commands?state=failed", s.tokens[auth.Viewer], nil, &fleet)
		if len(fleet.Items) != 1 || fleet.Items[0].Cluster != opsCluster || fleet.Items[0].Error != "forbidden" {
			t.Fatalf("fleet %+v", fleet)
		}
		var d cmdView
		if st := s.do(t, "GET", base+"/"+ids[1], s.tokens[auth.Viewer], nil, &d); st != 200 || d.State != "failed" || d.Reason != "disk" {
			t.Fatalf("detail from history: %d %+v", st, d)
		}
		for _, q := range []string{"?state=done", "?action=pod.exec", "?limit=500"} {
			if st := s.do(t, "GET", base+q, s.tokens[auth.Viewer], nil, nil); st != 400 {
				t.Errorf("%s: %d", q, st)
			}
		}
	})
}

func TestCommandParse(t *testing.T) {
	s := newStack(t)
	path := "/api/v1/clusters/" + opsCluster + "/commands/parse"
	var got struct {
		Action  string          `json:"action"`
		Target  control.Target  `json:"target"`
		Params  json.RawMessage `json:"params"`
		Allowed bool            `json:"allowed"`
		Role    string          `json:"role"`
	}
	if st := s.do(t, "POST", path, s.tokens[auth.Operator], map[string]string{"line": "kubectl -n shop scale deploy web --replicas=3"}, &got); st != 200 {
		t.Fatalf("parse: %d", st)
	}
	if got.Action != "workload.scale" || got.Target != (control.Target{Kind: "Deployment", Namespace: "shop", Name: "web"}) ||
		string(got.Params) != `{"replicas":3}` || !got.Allowed {
		t.Fatalf("parsed %+v", got)
	}
	s.do(t, "POST", path, s.tokens[auth.Operator], map[string]string{"line": "drain node-1 --grace-period=30"}, &got)
	if got.Action != "node.drain" || got.Allowed || got.Role != "admin" {
		t.Fatalf("drain as operator %+v", got)
	}
	var e apiErr
	if st := s.do(t, "POST", path, s.tokens[auth.Operator], map[string]string{"line": "exec -it pod/x -- sh"}, &e); st != 400 ||
		e.Error.Part != "exec" || e.Error.Code != "unsupported_command" {
		t.Fatalf("exec: %d %+v", st, e)
	}
	if st := s.do(t, "POST", path, s.tokens[auth.Operator], map[string]string{"line": "scale deploy/web --replicas=100000"}, &e); st != 400 || e.Error.Field != "params" {
		t.Fatalf("out of range: %d %+v", st, e)
	}
	if st := s.do(t, "POST", path, s.tokens[auth.Viewer], map[string]string{"line": "cordon node-1"}, nil); st != 403 {
		t.Fatalf("viewer parse: %d", st)
	}
}

// TestCommandsOff: without a signing key, submitting says how to turn
// remote operations on; reading still works.
func TestCommandsOff(t *testing.T) {
	s := newStack(t)
	s.signKey = ""
	s.open(t)
	s.tokens[auth.Operator] = s.login(t, "operator-user", userPassword)
	var e apiErr
	if st := s.do(t, "POST", "/api/v1/clusters/"+opsCluster+"/commands", s.tokens[auth.Operator], logsBody("web-1"), &e); st != http.StatusServiceUnavailable ||
		e.Error.Code != "commands_disabled" || !strings.Contains(e.Error.Message, "api command-key") {
		t.Fatalf("no key: %d %+v", st, e)
	}
	var cat struct {
		Enabled bool `json:"enabled"`
		Items   []struct {
			Name    string `json:"name"`
			Allowed bool   `json:"allowed"`
		} `json:"items"`
	}
	if st := s.do(t, "GET", "/api/v1/actions", s.tokens[auth.Operator], nil, &cat); st != 200 || cat.Enabled || len(cat.Items) < 15 {
		t.Fatalf("actions: %d %+v", st, cat)
	}
	for _, a := range cat.Items {
		if a.Allowed != (a.Name != "workload.set_image" && a.Name != "workload.undo" && a.Name != "node.drain") {
			t.Errorf("operator allowed %s: %v", a.Name, a.Allowed)
		}
	}
	if st := s.do(t, "GET", "/api/v1/clusters/"+opsCluster+"/commands", s.tokens[auth.Operator], nil, nil); st != 200 {
		t.Fatalf("list: %d", st)
	}
}
