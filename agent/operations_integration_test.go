package agent_test

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// TestOperations: the whole agent, leading its cluster, runs the commands
// queued in its control object — a change and a read — and archives them
// into the lake's commands table, from which they leave the queue.
func TestOperations(t *testing.T) {
	env := apiServer(t)
	minio := miniotest.Start(t)
	h := newHarness(t, env, minio.NewBucket(t))
	h.create(h.pod("web"))
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := control.Signer{KeyID: "api-1", Key: priv}
	keys, err := control.ParseKeys(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	api, err := ops.NewREST(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	h.startAgent("ops", func(c *agent.Config) {
		c.Operations = &agent.Operations{API: api, Keys: keys}
	})

	submit := func(action string, params string) string {
		now := time.Now()
		c := control.Command{ID: lake.NewULID(now).String(), Cluster: h.cluster, Action: action,
			Target: control.Target{Kind: "Pod", Namespace: h.ns, Name: "web"}, RequestedBy: "bob", Role: "operator",
			Reason: "agent test", CreatedAt: now, Deadline: now.Add(time.Minute), ReadOnly: action == "object.yaml"}
		if params != "" {
			c.Params = json.RawMessage(params)
		}
		if _, err := control.Submit(h.ctx(), h.bucket, signer, c); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	// One after the other: the executor runs queued commands at once, in
	// no set order, and the read needs the pod the delete removes.
	read := submit("object.yaml", "")
	h.eventually("the read ended", 60*time.Second, func() bool {
		o, err := control.Read(h.ctx(), h.bucket, h.cluster)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := o.Find(read)
		return ok && control.Final(e.State)
	})
	del := submit("pod.delete", `{"grace_seconds":0}`)
	h.eventually("both commands ended and archived", 60*time.Second, func() bool {
		o, err := control.Read(h.ctx(), h.bucket, h.cluster)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, e := range o.Commands {
			if e.State == control.Succeeded && e.Archived && e.ClaimedBy == "ops" {
				done++
			}
		}
		return done == 2
	})
	if _, err := h.kube.CoreV1().Pods(h.ns).Get(h.ctx(), "web", metav1.GetOptions{}); err == nil {
		t.Fatal("pod.delete ran, the pod is still there")
	}
	r, err := control.ReadResult(h.ctx(), h.bucket, h.cluster, read)
	if err != nil || r.OutputType != ops.TypeYAML || r.OutputBytes == 0 {
		t.Fatalf("object.yaml result: %+v %v", r, err)
	}
	// The heartbeat says what this agent runs, for the dashboard to offer.
	var cur lake.CurrentState
	if !readJSON(t, h.bucket, lake.ClusterKey(h.cluster, lake.CurrentKey), &cur) || cur.Heartbeat == nil ||
		cur.Heartbeat.Agent.Operations == nil || len(cur.Heartbeat.Agent.Operations.Actions) != len(kinds.Actions()) ||
		cur.Heartbeat.Agent.Operations.KeyIDs[0] != "api-1" {
		t.Fatalf("heartbeat: %+v", cur.Heartbeat)
	}
	rows := readTable(t, h.bucket, lake.Commands, h.cluster)
	states := map[string]string{}
	for _, row := range rows {
		states[row.ID] = row.State
		if row.RequestedBy != "bob" || row.Reason != "agent test" || row.Instance != "ops" || row.Action == "" {
			t.Fatalf("row: %+v", row)
		}
	}
	if len(rows) != 2 || states[read] != control.Succeeded || states[del] != control.Succeeded {
		t.Fatalf("commands table: %+v", rows)
	}
}
