package sim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/lake"
	"github.com/atlhyper/atlhyper/query/store"
)

// TestOperations: signed commands of every action family, queued in a
// file store, run by a simulated cluster's real agent against its fake
// API server; the result says what changed and the simulated cluster
// shows it (and reacts: pods for a new replica count, a replacement for a
// deleted pod, a rollout for a restart, evictions within a budget).
func TestOperations(t *testing.T) {
	b, err := store.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, 32)
	rand.Read(seed)
	signer, err := control.ParseSigner("sim-test=" + base64.StdEncoding.EncodeToString(seed))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := control.ParseKeys(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Config{Store: b, Clusters: 1, Nodes: 4, Pods: 40, Seed: 3, EventRate: 0.0001, CommandKeys: keys,
		Agent: func(c *agent.Config) { c.IdlePoll, c.WatchedPoll = 200*time.Millisecond, 200*time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	c := f.clusters[0]
	eventually(t, "the script runs", func() bool { return f.Scripted() })

	run := func(action string, target control.Target, params string) control.Result {
		t.Helper()
		now := time.Now()
		cmd := control.Command{ID: lake.NewULID(now).String(), Cluster: c.id, Action: action, Target: target,
			RequestedBy: "sim-test", Role: "admin", Reason: "test", CreatedAt: now, Deadline: now.Add(time.Minute),
			ReadOnly: strings.HasPrefix(action, "object.") || action == "pod.logs"}
		if params != "" {
			cmd.Params = json.RawMessage(params)
		}
		if _, err := control.Submit(ctx, b, signer, cmd); err != nil {
			t.Fatal(err)
		}
		var r control.Result
		eventually(t, action+" ends", func() bool {
			o, err := control.Read(ctx, b, c.id)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := o.Find(cmd.ID)
			if !ok || !control.Final(e.State) {
				return false
			}
			if r, err = control.ReadResult(ctx, b, c.id, cmd.ID); err != nil {
				t.Fatal(err)
			}
			return true
		})
		t.Logf("%s %s: %s %s %q %v", action, target, r.State, r.Summary, r.Error, r.Changes)
		return r
	}
	output := func(r control.Result) string {
		t.Helper()
		data, _, err := b.Get(ctx, r.OutputKey, "")
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	appPods := func(ns, name string) []corev1.Pod {
		l, err := c.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []corev1.Pod
		for _, p := range l.Items {
			if p.Labels["app.kubernetes.io/name"] == name {
				out = append(out, p)
			}
		}
		return out
	}
	succeeded := func(r control.Result) {
		t.Helper()
		if r.State != control.Succeeded {
			t.Fatalf("%s: %s %s", r.ID, r.State, r.Error)
		}
	}

	// Scale: the replica count, and pods for it.
	web := control.Target{Kind: "Deployment", Namespace: "shop", Name: "web"}
	before := len(appPods("shop", "web"))
	r := run("workload.scale", web, fmt.Sprintf(`{"replicas":%d}`, before+2))
	succeeded(r)
	if want := fmt.Sprintf("replicas: %d → %d", before, before+2); len(r.Changes) != 1 || r.Changes[0] != want {
		t.Errorf("scale changes %v, want %q", r.Changes, want)
	}
	eventually(t, "the new replicas run", func() bool { return len(appPods("shop", "web")) == before+2 })

	// Restart: the template annotation, and a new ReplicaSet rolling out.
	succeeded(run("workload.restart", web, ""))
	d, err := c.kube.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || d.Spec.Template.Annotations[restartedAtAnnotation] == "" {
		t.Fatalf("restart left no annotation: %v %v", d.Spec.Template.Annotations, err)
	}
	eventually(t, "a restart rolls out a new ReplicaSet", func() bool {
		rss, err := c.kube.AppsV1().ReplicaSets("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range rss.Items {
			if rs.Spec.Template.Annotations[restartedAtAnnotation] == d.Spec.Template.Annotations[restartedAtAnnotation] {
				return true
			}
		}
		return false
	})

	// Pod delete: gone, and replaced.
	victim := appPods("payments", "api")[0]
	n := len(appPods("payments", "api"))
	succeeded(run("pod.delete", control.Target{Kind: "Pod", Namespace: "payments", Name: victim.Name}, `{"grace_seconds":0}`))
	if _, err := c.kube.CoreV1().Pods("payments").Get(ctx, victim.Name, metav1.GetOptions{}); err == nil {
		t.Error("deleted pod still there")
	}
	eventually(t, "the deleted pod is replaced", func() bool { return len(appPods("payments", "api")) == n })

	// Logs: text of the container.
	pod := appPods("payments", "api")[0]
	r = run("pod.logs", control.Target{Kind: "Pod", Namespace: "payments", Name: pod.Name}, `{"tail_lines":5}`)
	succeeded(r)
	if text := output(r); strings.Count(text, "\n") != 5 || !strings.Contains(text, "level=info") {
		t.Errorf("logs: %q", text)
	}
	// A previous instance that never was: the API server's refusal.
	if r := run("pod.logs", control.Target{Kind: "Pod", Namespace: "payments", Name: pod.Name}, `{"previous":true}`); r.State == control.Succeeded {
		t.Errorf("previous logs of a container that never restarted: %+v", r)
	}

	// YAML: a Deployment's, never a Secret's.
	r = run("object.yaml", web, "")
	succeeded(r)
	if y := output(r); !strings.Contains(y, "kind: Deployment") || !strings.Contains(y, "name: web") {
		t.Errorf("yaml: %.300s", y)
	}
	if r := run("object.yaml", control.Target{Kind: "Secret", Namespace: "shop", Name: "web-secrets"}, ""); r.State != control.Refused {
		t.Errorf("yaml of a Secret: %+v", r)
	}

	// CronJob trigger: a Job owned by the CronJob.
	succeeded(run("cronjob.trigger", control.Target{Kind: "CronJob", Namespace: "batch", Name: "nightly-report"}, ""))
	jobs, err := c.kube.BatchV1().Jobs("batch").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	manual := 0
	for _, j := range jobs.Items {
		if strings.Contains(j.Name, "-manual-") && metav1.GetControllerOf(&j) != nil && metav1.GetControllerOf(&j).Kind == "CronJob" {
			manual++
		}
	}
	if manual != 1 {
		t.Errorf("%d manual jobs", manual)
	}

	// Cordon, then drain the node with the most postgres pods (their
	// budget allows one disruption at a time).
	node := c.nodes[0]
	succeeded(run("node.cordon", control.Target{Kind: "Node", Name: node}, ""))
	if n, err := c.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err != nil || !n.Spec.Unschedulable {
		t.Fatalf("cordon: %v", err)
	}
	count := map[string]int{}
	for _, p := range appPods("data", "postgres") {
		count[p.Spec.NodeName]++
	}
	drain := c.nodes[1]
	for n, k := range count {
		if n != node && k > count[drain] {
			drain = n
		}
	}
	r = run("node.drain", control.Target{Kind: "Node", Name: drain}, `{"delete_emptydir_data":true}`)
	succeeded(r)
	pods, err := c.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if ref := metav1.GetControllerOf(&p); p.Spec.NodeName == drain && (ref == nil || ref.Kind != "DaemonSet") {
			t.Errorf("pod %s/%s still on drained node %s", p.Namespace, p.Name, drain)
		}
	}
	if len(appPods("data", "postgres")) != 3 {
		t.Errorf("postgres pods after the drain: %d", len(appPods("data", "postgres")))
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-time.After(50 * time.Millisecond)
	}
}
