package ops_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// editEntry rewrites one entry of the control object as someone with
// write access to the bucket could.
func (f *fixture) editEntry(id string, edit func(*control.Entry)) {
	f.t.Helper()
	key := control.ObjectKey(f.cluster)
	data, info, err := f.bucket.Get(f.ctx(), key, "")
	if err != nil {
		f.t.Fatal(err)
	}
	o, err := control.Decode(f.cluster, data)
	if err != nil {
		f.t.Fatal(err)
	}
	found := false
	for i := range o.Commands {
		if o.Commands[i].ID == id {
			edit(&o.Commands[i])
			found = true
		}
	}
	if !found {
		f.t.Fatalf("no entry %s", id)
	}
	out, _ := json.Marshal(o)
	if _, err := f.bucket.Put(f.ctx(), key, out, store.IfMatch(info.ETag)); err != nil {
		f.t.Fatal(err)
	}
}

// forge replaces a queued command's object.
func (f *fixture) forge(id string, s control.Signed) {
	f.t.Helper()
	data, _ := json.Marshal(s)
	if _, err := f.bucket.Put(f.ctx(), control.CommandKey(f.cluster, id), data, store.Condition{}); err != nil {
		f.t.Fatal(err)
	}
}

// refused waits for a command and fails the test unless it was refused
// for why, before it was claimed unless claimed (RBAC is known only by
// trying).
func (f *fixture) refused(id, why string, claimed bool) control.Result {
	f.t.Helper()
	e, r := f.wait(id)
	if e.State != control.Refused || r.State != control.Refused || !strings.Contains(r.Error, why) || (e.ClaimedBy != "") != claimed {
		f.t.Fatalf("%s: want refused (%q), got entry %s %q claimed by %q, result %s %q", e.Action, why, e.State, e.Error, e.ClaimedBy, r.State, r.Error)
	}
	if row, ok := f.row(id); !ok || row.State != control.Refused {
		f.t.Fatalf("refusal of %s not archived: %+v", id, row)
	}
	return r
}

// Every refusal is a clear result, and nothing runs: a pod the refused
// commands would delete is still there at the end.
func TestRefusals(t *testing.T) {
	minio := miniotest.Start(t)
	f := setup(t, minio, paused)
	f.pod("victim", "", nil)
	victim := f.target("Pod", "victim")
	ids := map[string]string{}

	// Signed with a key the agent does not trust.
	_, stranger, _ := ed25519.GenerateKey(nil)
	c := f.command("pod.delete", victim, nil)
	if _, err := control.Submit(f.ctx(), f.bucket, control.Signer{KeyID: "k9", Key: stranger}, c); err != nil {
		t.Fatal(err)
	}
	ids["unknown key"] = c.ID

	// Tampered: the target changed after signing.
	c = f.command("object.yaml", f.target("Pod", "other"), nil)
	s, _ := f.signer.Sign(c)
	f.submitCommand(c)
	c.Target = victim
	s.Payload, _ = json.Marshal(c)
	f.forge(c.ID, s)
	ids["tampered"] = c.ID

	// Unsigned.
	c = f.command("pod.delete", victim, nil)
	f.submitCommand(c)
	payload, _ := json.Marshal(c)
	f.forge(c.ID, control.Signed{Payload: payload})
	ids["unsigned"] = c.ID

	// Signed for another cluster, copied into this one's queue.
	c = f.command("pod.delete", victim, nil)
	f.submitCommand(c)
	other := c
	other.Cluster = "elsewhere"
	s, _ = f.signer.Sign(other)
	f.forge(c.ID, s)
	ids["other cluster"] = c.ID

	// Its signed deadline passed, though its queue entry was extended.
	c = f.command("pod.delete", victim, nil)
	c.CreatedAt, c.Deadline = c.CreatedAt.Add(-time.Hour), c.CreatedAt.Add(-50*time.Minute)
	f.submitCommand(c)
	f.editEntry(c.ID, func(e *control.Entry) { e.Deadline = time.Now().Add(time.Hour) })
	ids["signed deadline"] = c.ID

	// Past its deadline in the queue too: expired, never started.
	c = f.command("pod.delete", victim, nil)
	c.CreatedAt, c.Deadline = c.CreatedAt.Add(-time.Hour), c.CreatedAt.Add(-50*time.Minute)
	f.submitCommand(c)
	expired := c.ID

	// A mutating action signed as read-only (it would be re-run after a
	// crash).
	c = f.command("pod.delete", victim, nil)
	c.ReadOnly = true
	f.submitCommand(c)
	ids["read-only"] = c.ID

	// Parameters the action does not take, or out of range.
	ids["unknown parameter"] = f.submit("pod.delete", victim, map[string]any{"force": true})
	ids["out of range"] = f.submit("pod.delete", victim, map[string]any{"grace_seconds": -1})

	// A role too low for the action (the API gates it; the agent checks
	// what was signed).
	c = f.command("node.drain", f.target("Node", "n1"), nil)
	c.Role = "operator"
	f.submitCommand(c)
	ids["role"] = c.ID
	c = f.command("object.yaml", victim, nil)
	c.Role = "viewer"
	f.submitCommand(c)
	ids["viewer"] = c.ID

	// An action the catalog does not apply to this kind.
	ids["kind"] = f.submit("node.cordon", victim, nil)

	f.resume()
	f.refused(ids["unknown key"], "signed with a key this agent does not trust", false)
	f.refused(ids["tampered"], "signature does not match", false)
	f.refused(ids["unsigned"], "unsigned command", false)
	f.refused(ids["other cluster"], "command is for another cluster", false)
	f.refused(ids["signed deadline"], "command deadline passed", false)
	f.refused(ids["read-only"], "read-only", false)
	f.refused(ids["unknown parameter"], `parameter "force": pod.delete takes grace_seconds`, false)
	f.refused(ids["out of range"], "grace_seconds -1", false)
	f.refused(ids["kind"], "node.cordon does not apply to Pod", false)
	f.refused(ids["role"], `role "operator" may not ask for node.drain (needs admin)`, false)
	f.refused(ids["viewer"], `role "viewer" may not ask for object.yaml`, false)
	if e, _ := f.wait(expired); e.State != control.Expired || !strings.Contains(e.Error, "deadline passed") || e.ClaimedBy != "" {
		t.Fatalf("expired command: %+v", e)
	}
	if row, ok := f.row(expired); !ok || row.State != control.Expired || row.Reason != "testing pod.delete" {
		t.Fatalf("expired command's row: %+v", row)
	}
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "victim", metav1.GetOptions{}); err != nil {
		t.Fatalf("a refused command acted: %v", err)
	}

	// Replay: a command that ran, put back in the queue as pending, is
	// refused — the pod recreated under the same name stays.
	e, r := f.run("pod.delete", victim, map[string]any{"grace_seconds": 0})
	f.succeeded(e, r)
	f.pod("victim", "", nil)
	f.editEntry(e.ID, func(x *control.Entry) {
		*x = control.Entry{ID: x.ID, Action: x.Action, Target: x.Target, RequestedBy: x.RequestedBy, State: control.Pending,
			CreatedAt: x.CreatedAt, Deadline: x.Deadline}
	})
	// The entry says so; the result object still tells how it ran.
	e, r = f.wait(e.ID)
	if e.State != control.Refused || !strings.Contains(e.Error, "replayed command") || r.State != control.Succeeded {
		t.Fatalf("replay: entry %s %q, result %s", e.State, e.Error, r.State)
	}
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "victim", metav1.GetOptions{}); err != nil {
		t.Fatalf("a replayed command acted: %v", err)
	}
}

func (f *fixture) submitCommand(c control.Command) {
	f.t.Helper()
	if _, err := control.Submit(f.ctx(), f.bucket, f.signer, c); err != nil {
		f.t.Fatal(err)
	}
}

// The agent's allowlist and the cluster's RBAC refuse too.
func TestAllowlistAndRBAC(t *testing.T) {
	minio := miniotest.Start(t)
	f := setup(t, minio, func(f *fixture, c *ops.Config) {
		c.Allow = ops.Allow{Actions: []string{"object.yaml", "node.cordon"}, Namespaces: []string{"elsewhere"}}
	})
	f.pod("web", "", nil)
	f.refused(f.submit("pod.delete", f.target("Pod", "web"), nil), "action pod.delete is not in this agent's allowlist", false)
	f.refused(f.submit("object.yaml", f.target("Pod", "web"), nil), `namespace "`+f.ns+`" is not in this agent's allowlist`, false)
	// Cluster-scoped targets are not narrowed by namespace.
	n := f.node(f.ns + "-n")
	e, r := f.run("object.yaml", f.target("Node", n.Name), nil)
	f.succeeded(e, r)

	// An agent whose service account may not delete pods.
	env, _ := apiServer(t)
	rc, err := userWith(env, "atlhyper-readonly-"+f.ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := setup(t, minio, func(_ *fixture, c *ops.Config) {
		api, err := ops.NewREST(rc)
		if err != nil {
			t.Fatal(err)
		}
		c.API = api
	})
	g.pod("web", "", nil)
	g.refused(g.submit("pod.delete", g.target("Pod", "web"), nil), "forbidden by the cluster's RBAC", true)
	if _, err := g.kube.CoreV1().Pods(g.ns).Get(g.ctx(), "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("pod gone: %v", err)
	}
}

// An agent that stopped while running a command: once its lease runs out
// a mutating command ends unknown (it may or may not have acted) and a
// read-only one runs again. Cancelled commands are archived; archived
// entries leave the control object after KeepFinished.
func TestRecoveryAndArchive(t *testing.T) {
	minio := miniotest.Start(t)
	f := setup(t, minio, paused)
	f.pod("web", "", nil)
	del := f.submit("pod.delete", f.target("Pod", "web"), nil)
	yaml := f.submit("object.yaml", f.target("Pod", "web"), nil)
	cancelled := f.submit("pod.delete", f.target("Pod", "web"), nil)
	now := time.Now()
	for _, id := range []string{del, yaml} {
		if _, err := control.Claim(f.ctx(), f.bucket, f.cluster, id, "agent-dead", now, time.Second, control.DefaultSkew); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := control.Cancel(f.ctx(), f.bucket, f.cluster, cancelled, now); err != nil {
		t.Fatal(err)
	}
	f.resume()

	e, _ := f.wait(del)
	if e.State != control.Unknown || !strings.Contains(e.Error, "may or may not have acted") || e.Attempts != 1 {
		t.Fatalf("mutating command of a dead agent: %+v", e)
	}
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("recovery ran the mutating command: %v", err)
	}
	e, r := f.wait(yaml)
	f.succeeded(e, r)
	if e.Attempts != 2 || e.ClaimedBy != "agent-0" || !strings.Contains(f.output(r), "name: web") {
		t.Fatalf("read-only command re-run: %+v", e)
	}
	e, _ = f.wait(cancelled)
	if e.State != control.Cancelled {
		t.Fatalf("cancelled: %+v", e)
	}
	for id, state := range map[string]string{del: control.Unknown, yaml: control.Succeeded, cancelled: control.Cancelled} {
		row, ok := f.row(id)
		if !ok || row.State != state || row.Reason == "" || row.Role != "operator" {
			t.Fatalf("row of %s: %+v", id, row)
		}
	}
	if row, _ := f.row(yaml); row.OutputKey != control.OutputKey(f.cluster, yaml) || row.OutputBytes == 0 || row.Attempts != 2 {
		t.Fatalf("row of the re-run: %+v", row)
	}

	// Idle, with ended entries still shown: each poll is one conditional
	// GET answered 304; nothing is listed or written.
	before := f.meter.Requests()
	f.eventually("20 idle polls", 30*time.Second, func() bool { return f.meter.Requests().NotModified >= before.NotModified+20 })
	after := f.meter.Requests()
	if after.Put != before.Put || after.List != before.List || after.Get-before.Get > after.NotModified-before.NotModified+1 {
		t.Fatalf("idle queue: requests %+v, then %+v", before, after)
	}

	// KeepFinished later, the archived entries leave the control object.
	f.offset.Store(int64(control.KeepFinished + time.Minute))
	f.eventually("finished entries dropped", 30*time.Second, func() bool {
		o, err := control.Read(f.ctx(), f.bucket, f.cluster)
		if err != nil {
			t.Fatal(err)
		}
		return len(o.Commands) == 0
	})
	f.mu.Lock()
	n := len(f.archived)
	f.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d rows archived, want 3 (one per command)", n)
	}
}

// blockedDrain queues a drain of a node whose one pod a
// PodDisruptionBudget protects (no disruption allowed) and waits until the
// drain reports it is waiting for it.
func (f *fixture) blockedDrain(node string) string {
	f.t.Helper()
	n := f.node(node)
	labels := map[string]string{"app": node}
	p := f.pod(node+"-pod", n.Name, labels, ownedBy("ReplicaSet", node))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := f.kube.CoreV1().Pods(f.ns).UpdateStatus(f.ctx(), p, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	pdb, err := f.kube.PolicyV1().PodDisruptionBudgets(f.ns).Create(f.ctx(), &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: node},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: labels}}},
		metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1}
	if _, err := f.kube.PolicyV1().PodDisruptionBudgets(f.ns).UpdateStatus(f.ctx(), pdb, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	id := f.submit("node.drain", f.target("Node", n.Name), map[string]any{"grace_seconds": 0})
	f.eventually("the drain waiting for the budget", 30*time.Second, func() bool {
		o, err := control.Read(f.ctx(), f.bucket, f.cluster)
		if err != nil {
			f.t.Fatal(err)
		}
		e, _ := o.Find(id)
		return strings.Contains(e.Progress, "evicted 0/1 pods; waiting to evict")
	})
	return id
}

// A running drain stops on request, and when its agent stops; both end
// failed with what they changed so far (the cordon).
func TestStopAndInterrupt(t *testing.T) {
	minio := miniotest.Start(t)
	f := setup(t, minio)
	id := f.blockedDrain(f.ns + "-a")
	if e, err := control.RequestStop(f.ctx(), f.bucket, f.cluster, id, "bob", time.Now()); err != nil || e.State != control.Running {
		t.Fatalf("request stop: %+v %v", e, err)
	}
	e, r := f.wait(id)
	if e.State != control.Failed || r.Error != "stopped on request of bob (changes so far listed)" ||
		len(r.Changes) != 1 || r.Changes[0] != "unschedulable: false → true" {
		t.Fatalf("stopped drain: %s %q %q", e.State, r.Error, r.Changes)
	}

	id = f.blockedDrain(f.ns + "-b")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f.x.Stop(ctx)
	r, err := control.ReadResult(f.ctx(), f.bucket, f.cluster, id)
	if err != nil || r.State != control.Failed || !strings.Contains(r.Error, "interrupted: the agent stopped") || len(r.Changes) != 1 {
		t.Fatalf("interrupted drain: %+v %v", r, err)
	}
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), f.ns+"-b-pod", metav1.GetOptions{}); err != nil {
		t.Fatalf("the protected pod went: %v", err)
	}
}

// Two agent replicas polling one queue (a stale leader and the new one):
// every command runs exactly once.
func TestTwoExecutorsRace(t *testing.T) {
	minio := miniotest.Start(t)
	f := setup(t, minio)
	second := f.cfg
	second.Instance = "agent-1"
	f.start(second)
	f.cronJob("tick")
	var ids []string
	for range 8 {
		ids = append(ids, f.submit("cronjob.trigger", f.target("CronJob", "tick"), nil))
	}
	by := map[string]int{}
	for _, id := range ids {
		e, r := f.wait(id)
		f.succeeded(e, r)
		if r.Instance != e.ClaimedBy || e.Attempts != 1 {
			t.Fatalf("claimed by %s, finished by %s, attempts %d", e.ClaimedBy, r.Instance, e.Attempts)
		}
		by[e.ClaimedBy]++
	}
	if n := f.jobs(); n != len(ids) {
		t.Fatalf("%d jobs for %d triggers (claims %v)", n, len(ids), by)
	}
}
