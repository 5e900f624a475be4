package ops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/internal/controlplane"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// cluster is a real control plane (controllers, scheduler, kwok nodes),
// shared by the package's tests and stopped in TestMain.
var cluster controlplane.Shared

var (
	saOnce sync.Once
	saRC   *rest.Config
	saErr  error
)

// onControlPlane returns the control plane and the config of the agent's
// ServiceAccount there, bound to ops.Rules() and nothing else.
func onControlPlane(t *testing.T) (*controlplane.ControlPlane, *rest.Config) {
	t.Helper()
	cp := cluster.Get(t)
	saOnce.Do(func() {
		ctx := context.Background()
		const ns, name = "atlhyper", "atlhyper-agent"
		if _, err := cp.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
			metav1.CreateOptions{}); err != nil {
			saErr = err
			return
		}
		if _, err := cp.Kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: ops.Rules()}, metav1.CreateOptions{}); err != nil {
			saErr = err
			return
		}
		if _, err := cp.Kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
		}, metav1.CreateOptions{}); err != nil {
			saErr = err
			return
		}
		saRC, saErr = cp.ServiceAccountConfig(ctx, ns, name)
	})
	if saErr != nil {
		t.Fatal(saErr)
	}
	return cp, saRC
}

// cpFixture is a fixture on the control plane, with its namespace.
func cpFixture(t *testing.T, minio *miniotest.Server) (*fixture, *controlplane.ControlPlane) {
	t.Helper()
	cp, rc := onControlPlane(t)
	f := newFixture(t, minio, cp.Kube, rc)
	return f, cp
}

// Every action family through the whole path on a real control plane: a
// signed command in real MinIO, run by the executor as the agent's
// ServiceAccount (ops.Rules() only), asserting what the cluster did — the
// ReplicaSets the Deployment controller made, pods the scheduler placed
// and kwok ran, budgets the disruption controller computed.
func TestControlPlane(t *testing.T) {
	minio := miniotest.Start(t)
	t.Run("rollouts", func(t *testing.T) { testCPRollouts(t, minio) })
	t.Run("pods", func(t *testing.T) { testCPPods(t, minio) })
	t.Run("cronjobs", func(t *testing.T) { testCPCronJobs(t, minio) })
	t.Run("nodes", func(t *testing.T) { testCPNodes(t, minio) })
	t.Run("drain", func(t *testing.T) { testCPDrain(t, minio) })
}

// cpDeployment creates a Deployment of replicas pods running image.
func (f *fixture) cpDeployment(name string, replicas int32, image string, mod ...func(*appsv1.Deployment)) {
	f.t.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("app", image)}}}}}
	for _, m := range mod {
		m(d)
	}
	if _, err := f.kube.AppsV1().Deployments(f.ns).Create(f.ctx(), d, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// podsOf lists the pods of app (terminating ones included).
func (f *fixture) podsOf(app string) []corev1.Pod {
	f.t.Helper()
	l, err := f.kube.CoreV1().Pods(f.ns).List(f.ctx(), metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		f.t.Fatal(err)
	}
	return l.Items
}

func uids(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, string(p.UID))
	}
	return out
}

// ownedReplicaSets lists the ReplicaSets Deployment name owns.
func (f *fixture) ownedReplicaSets(name string) []appsv1.ReplicaSet {
	f.t.Helper()
	l, err := f.kube.AppsV1().ReplicaSets(f.ns).List(f.ctx(), metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []appsv1.ReplicaSet
	for _, rs := range l.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.Kind == "Deployment" && ref.Name == name {
			out = append(out, rs)
		}
	}
	return out
}

func image(rs *appsv1.ReplicaSet) string { return rs.Spec.Template.Spec.Containers[0].Image }

// Rollout restart, scale (of an HPA's target), set image, history, undo,
// pause and resume of one Deployment, each asserted on the ReplicaSets
// and pods the controllers made.
func testCPRollouts(t *testing.T, minio *miniotest.Server) {
	f, cp := cpFixture(t, minio)
	f.cpDeployment("web", 3, "web:1")
	rs1 := cp.WaitRolledOut(t, f.ns, "web", 3)
	before := uids(f.podsOf("web"))

	// Restart: a new ReplicaSet takes over, every pod is replaced.
	e, r := f.run("workload.restart", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	rs2 := cp.WaitRolledOut(t, f.ns, "web", 3)
	at := rs2.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
	if rs2.Name == rs1.Name || at == "" || len(r.Changes) != 1 || !strings.Contains(r.Changes[0], at) {
		t.Fatalf("restart: ReplicaSet %s → %s, restartedAt %q, changes %q", rs1.Name, rs2.Name, at, r.Changes)
	}
	for _, u := range uids(f.podsOf("web")) {
		if slices.Contains(before, u) {
			t.Fatalf("pod %s survived the rollout restart", u)
		}
	}
	for _, rs := range f.ownedReplicaSets("web") {
		if rs.Name == rs1.Name && (*rs.Spec.Replicas != 0 || rs.Status.Replicas != 0) {
			t.Fatalf("old ReplicaSet %s still has %d pods", rs.Name, rs.Status.Replicas)
		}
	}

	// Scale a Deployment an HPA targets: the pods run, and the result
	// names the HPA (kube-controller-manager runs no HPA controller here,
	// so it does not scale back).
	if _, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(f.ns).Create(f.ctx(), &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web-hpa"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr(int32(2)), MaxReplicas: 8,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r = f.run("workload.scale", f.target("Deployment", "web"), map[string]any{"replicas": 5})
	f.succeeded(e, r)
	if rs := cp.WaitRolledOut(t, f.ns, "web", 5); rs.Name != rs2.Name {
		t.Fatalf("scale moved the Deployment from ReplicaSet %s to %s", rs2.Name, rs.Name)
	}
	if len(r.Changes) != 1 || r.Changes[0] != "replicas: 3 → 5" || !strings.Contains(r.Summary, "HorizontalPodAutoscaler web-hpa") {
		t.Fatalf("scale: %q %q", r.Summary, r.Changes)
	}

	// Set image: a new ReplicaSet with that image, its pods running it.
	e, r = f.run("workload.set_image", f.target("Deployment", "web"), map[string]any{"image": "web:2"})
	f.succeeded(e, r)
	rs3 := cp.WaitRolledOut(t, f.ns, "web", 5)
	if rs3.Name == rs2.Name || image(rs3) != "web:2" || r.Changes[0] != "container app image: web:1 → web:2" {
		t.Fatalf("set image: ReplicaSet %s image %s, changes %q", rs3.Name, image(rs3), r.Changes)
	}
	for _, p := range f.podsOf("web") {
		if p.Spec.Containers[0].Image != "web:2" {
			t.Fatalf("pod %s runs %s after set image", p.Name, p.Spec.Containers[0].Image)
		}
	}

	// History lists the controller's revisions; undo returns to the
	// previous ReplicaSet's template, and the controller scales that
	// ReplicaSet back up rather than making a new one.
	e, r = f.run("workload.history", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	var revs []ops.Revision
	if err := json.Unmarshal([]byte(f.output(r)), &revs); err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 || !revs[2].Current || revs[2].Object != "ReplicaSet/"+rs3.Name || revs[1].Object != "ReplicaSet/"+rs2.Name {
		t.Fatalf("history: %+v", revs)
	}
	e, r = f.run("workload.undo", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	back := cp.WaitRolledOut(t, f.ns, "web", 5)
	if back.Name != rs2.Name || image(back) != "web:1" || back.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] != at {
		t.Fatalf("undo: current ReplicaSet %s (%s), want %s (web:1)", back.Name, image(back), rs2.Name)
	}
	if n := len(f.ownedReplicaSets("web")); n != 3 {
		t.Fatalf("undo made a new ReplicaSet: %d in all", n)
	}

	// Paused, a change makes no ReplicaSet; resumed, it rolls out.
	e, r = f.run("workload.pause", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	e, r = f.run("workload.set_image", f.target("Deployment", "web"), map[string]any{"image": "web:3"})
	f.succeeded(e, r)
	cp.Eventually(t, "the paused Deployment's change observed", func(ctx context.Context) (bool, string, error) {
		d, err := f.kube.AppsV1().Deployments(f.ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return d.Status.ObservedGeneration == d.Generation, fmt.Sprintf("observed %d of %d", d.Status.ObservedGeneration, d.Generation), nil
	})
	for _, rs := range f.ownedReplicaSets("web") {
		if image(&rs) == "web:3" {
			t.Fatalf("a paused Deployment made ReplicaSet %s", rs.Name)
		}
	}
	for _, p := range f.podsOf("web") {
		if p.Labels["pod-template-hash"] != rs2.Labels["pod-template-hash"] || p.Spec.Containers[0].Image != "web:1" {
			t.Fatalf("paused Deployment rolled pod %s (%s)", p.Name, p.Spec.Containers[0].Image)
		}
	}
	e, r = f.run("workload.resume", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	if rs := cp.WaitRolledOut(t, f.ns, "web", 5); image(rs) != "web:3" {
		t.Fatalf("resumed Deployment runs %s", image(rs))
	}
}

// Pod delete (the ReplicaSet replaces the pod) and logs served by kwok
// through the API server's pods/log proxy.
func testCPPods(t *testing.T, minio *miniotest.Server) {
	f, cp := cpFixture(t, minio)
	f.cpDeployment("api", 2, "api:1")
	cp.WaitRolledOut(t, f.ns, "api", 2)
	victim := f.podsOf("api")[0]

	e, r := f.run("pod.delete", f.target("Pod", victim.Name), map[string]any{"grace_seconds": 0})
	f.succeeded(e, r)
	if !strings.Contains(r.Summary, "ReplicaSet") || !strings.Contains(r.Summary, "will replace it") {
		t.Fatalf("pod.delete summary: %q", r.Summary)
	}
	cp.WaitRolledOut(t, f.ns, "api", 2)
	for _, p := range f.podsOf("api") {
		if p.UID == victim.UID {
			t.Fatalf("deleted pod %s is still there", victim.Name)
		}
	}

	if err := cp.SetPodLogs("line 1\nconnecting with password=hunter2secret\nline 3\n", "before the crash\n"); err != nil {
		t.Fatal(err)
	}
	pod := f.podsOf("api")[0].Name
	e, r = f.run("pod.logs", f.target("Pod", pod), map[string]any{"tail_lines": 2})
	f.succeeded(e, r)
	if out := f.output(r); !strings.Contains(out, "line 3") || strings.Contains(out, "line 1") ||
		!strings.Contains(out, "connecting with") || strings.Contains(out, "hunter2secret") || r.OutputType != ops.TypeText {
		t.Fatalf("logs (tail 2): %q", out)
	}
	e, r = f.run("pod.logs", f.target("Pod", pod), map[string]any{"previous": true})
	f.succeeded(e, r)
	if out := f.output(r); strings.TrimSpace(out) != "before the crash" || !strings.Contains(r.Summary, "previous instance") {
		t.Fatalf("previous logs: %q (%s)", out, r.Summary)
	}
}

// A triggered CronJob makes a Job whose pod runs to completion; deleting
// the Job takes its pods with it.
func testCPCronJobs(t *testing.T, minio *miniotest.Server) {
	f, cp := cpFixture(t, minio)
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: f.ns},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 1 1 *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "report"}},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{container("report", "report:1")}}}}}}}
	if _, err := f.kube.BatchV1().CronJobs(f.ns).Create(f.ctx(), cj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r := f.run("cronjob.trigger", f.target("CronJob", "report"), nil)
	f.succeeded(e, r)
	job := strings.TrimPrefix(r.Changes[0], "created Job "+f.ns+"/")
	cp.Eventually(t, "the triggered Job completed", func(ctx context.Context) (bool, string, error) {
		j, err := f.kube.BatchV1().Jobs(f.ns).Get(ctx, job, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return j.Status.Succeeded == 1, fmt.Sprintf("active %d succeeded %d failed %d", j.Status.Active, j.Status.Succeeded, j.Status.Failed), nil
	})
	pods := f.podsOf("report")
	if len(pods) != 1 || pods[0].Status.Phase != corev1.PodSucceeded || pods[0].Spec.NodeName == "" ||
		metav1.GetControllerOf(&pods[0]) == nil || metav1.GetControllerOf(&pods[0]).Name != job {
		t.Fatalf("the Job's pods: %d, %+v", len(pods), pods)
	}

	e, r = f.run("job.delete", f.target("Job", job), nil)
	f.succeeded(e, r)
	cp.Eventually(t, "the Job and its pod gone", func(ctx context.Context) (bool, string, error) {
		_, err := f.kube.BatchV1().Jobs(f.ns).Get(ctx, job, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, "", err
		}
		left := len(f.podsOf("report"))
		return apierrors.IsNotFound(err) && left == 0, fmt.Sprintf("job found %v, %d pods", err == nil, left), nil
	})
}

// Cordon: the node controller taints the node and the scheduler places no
// new pod there; uncordon lifts both.
func testCPNodes(t *testing.T, minio *miniotest.Server) {
	f, cp := cpFixture(t, minio)
	node := cp.Nodes[0]
	t.Cleanup(func() { // the nodes are shared
		_, _ = f.kube.CoreV1().Nodes().Patch(context.Background(), node, "application/strategic-merge-patch+json",
			[]byte(`{"spec":{"unschedulable":false}}`), metav1.PatchOptions{})
	})
	tainted := func(want bool) controlplane.Check {
		return func(ctx context.Context) (bool, string, error) {
			n, err := f.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			has := slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == corev1.TaintNodeUnschedulable })
			return has == want && n.Spec.Unschedulable == want, fmt.Sprintf("unschedulable %v, taints %v", n.Spec.Unschedulable, n.Spec.Taints), nil
		}
	}
	e, r := f.run("node.cordon", f.target("Node", node), nil)
	f.succeeded(e, r)
	cp.Eventually(t, "the cordoned node tainted", tainted(true))
	f.cpDeployment("spread", 6, "spread:1")
	cp.WaitRolledOut(t, f.ns, "spread", 6)
	for _, p := range f.podsOf("spread") {
		if p.Spec.NodeName == node {
			t.Fatalf("pod %s scheduled on cordoned node %s", p.Name, node)
		}
	}
	e, r = f.run("node.uncordon", f.target("Node", node), nil)
	f.succeeded(e, r)
	if r.Changes[0] != "unschedulable: true → false" {
		t.Fatalf("uncordon: %q", r.Changes)
	}
	cp.Eventually(t, "the uncordoned node untainted", tainted(false))
}

// Drain of a node holding a Deployment's three pods under a budget of one
// disruption: the disruption controller's budget refuses evictions while a
// replacement is not Ready (kwok holds it), the drain waits and completes
// as replacements become Ready elsewhere, and the DaemonSet's pod stays.
func testCPDrain(t *testing.T, minio *miniotest.Server) {
	f, cp := cpFixture(t, minio)
	ctx := f.ctx()
	added, err := cp.AddNodes(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	node := added[0]
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "node-agent", Namespace: f.ns},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "node-agent"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "node-agent"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("agent", "agent:1")}}}}}
	if _, err := f.kube.AppsV1().DaemonSets(f.ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// All three on the new node (preferred, so replacements go elsewhere),
	// each Ready only readyDelay after it is placed.
	const readyDelay = 3 * time.Second
	f.cpDeployment("db", 3, "db:1", func(d *appsv1.Deployment) {
		d.Spec.Template.Annotations = map[string]string{controlplane.PodReadyDelay: readyDelay.String()}
		d.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 100,
				Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}}}}}}
	})
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.ns},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}
	if _, err := f.kube.PolicyV1().PodDisruptionBudgets(f.ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cp.WaitRolledOut(t, f.ns, "db", 3)
	cp.WaitBudget(t, f.ns, "db", 3, 1)
	var dsPod string
	cp.Eventually(t, "the DaemonSet's pod Ready on the new node", func(ctx context.Context) (bool, string, error) {
		for _, p := range f.podsOf("node-agent") {
			if p.Spec.NodeName == node && controlplane.PodReady(&p) {
				dsPod = p.Name
				return true, "", nil
			}
		}
		return false, "none yet", nil
	})
	onNode := map[string]bool{}
	for _, p := range f.podsOf("db") {
		if p.Spec.NodeName != node {
			t.Fatalf("pod %s scheduled on %s, not on %s: the drain would not test the budget", p.Name, p.Spec.NodeName, node)
		}
		onNode[p.Name] = true
	}

	id := f.submit("node.drain", f.target("Node", node), map[string]any{"grace_seconds": 0})
	// The budget refuses the second eviction until the first replacement is
	// Ready: the running command's progress says so.
	f.eventually("drain progress naming the budget", 90*time.Second, func() bool {
		o, err := control.Read(f.ctx(), f.bucket, f.cluster)
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := o.Find(id)
		if control.Final(cur.State) {
			t.Fatalf("drain ended before a budget refusal was seen: %+v", cur)
		}
		return cur.State == control.Running && strings.Contains(cur.Progress, "disruption budget")
	})
	e, r := f.wait(id)
	f.succeeded(e, r)
	if len(r.Changes) != 4 || r.Changes[0] != "unschedulable: false → true" ||
		!strings.Contains(r.Summary, "3 pods evicted") || !strings.Contains(r.Summary, f.ns+"/"+dsPod+" (DaemonSet)") {
		t.Fatalf("drain: %q %q", r.Summary, r.Changes)
	}
	for _, c := range r.Changes[1:] {
		if !onNode[strings.TrimPrefix(c, "evicted pod "+f.ns+"/")] {
			t.Fatalf("drain change %q is not one of the node's pods %v", c, onNode)
		}
	}
	cp.WaitRolledOut(t, f.ns, "db", 3)
	for _, p := range f.podsOf("db") {
		if p.Spec.NodeName == node || onNode[p.Name] {
			t.Fatalf("pod %s on %s after the drain", p.Name, p.Spec.NodeName)
		}
	}
	left, err := f.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 1 || left.Items[0].Name != dsPod {
		t.Fatalf("pods left on the drained node: %d, want only %s", len(left.Items), dsPod)
	}
}
