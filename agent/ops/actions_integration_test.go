package ops_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/store/miniotest"
)

// Every action against a real API server (envtest), queued in real MinIO,
// run by an executor holding only the RBAC rules docs/agent.md grants.
func TestActions(t *testing.T) {
	minio := miniotest.Start(t)
	t.Run("pods", func(t *testing.T) { testPods(t, minio) })
	t.Run("objects", func(t *testing.T) { testObjects(t, minio) })
	t.Run("workloads", func(t *testing.T) { testWorkloads(t, minio) })
	t.Run("rollback", func(t *testing.T) { testRollback(t, minio) })
	t.Run("cronjobs", func(t *testing.T) { testCronJobs(t, minio) })
	t.Run("nodes", func(t *testing.T) { testNodes(t, minio) })
	t.Run("drain", func(t *testing.T) { testDrain(t, minio) })
}

func container(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image}
}

func (f *fixture) pod(name, node string, labels map[string]string, mod ...func(*corev1.Pod)) *corev1.Pod {
	f.t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns, Labels: labels},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{container("app", "nginx:1"), container("side", "busybox:1")}}}
	for _, m := range mod {
		m(p)
	}
	p, err := f.kube.CoreV1().Pods(f.ns).Create(f.ctx(), p, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// node creates a node whose kubelet is the fake one.
func (f *fixture) node(name string) *corev1.Node {
	f.t.Helper()
	n, err := f.kube.CoreV1().Nodes().Create(f.ctx(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = fakeKubelet.port()
	n, err = f.kube.CoreV1().Nodes().UpdateStatus(f.ctx(), n, metav1.UpdateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func testPods(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	node := f.node(f.ns + "-node")
	f.pod("web-1", node.Name, nil)
	fakeKubelet.setLog(f.ns, "web-1", "side", "line 1\nconnecting with password=hunter2secret\nline 3\n")

	e, r := f.run("pod.logs", control.Target{Kind: "Pod", Namespace: f.ns, Name: "web-1", Container: "side"},
		map[string]any{"tail_lines": 50, "previous": true})
	f.succeeded(e, r)
	out := f.output(r)
	if !strings.Contains(out, "line 3") || strings.Contains(out, "hunter2secret") || r.OutputType != ops.TypeText {
		t.Fatalf("logs (%s): %q", r.OutputType, out)
	}
	q := fakeKubelet.lastQuery(t)
	for _, want := range []string{"/containerLogs/" + f.ns + "/web-1/side", "tailLines=50", "previous=true", "limitBytes="} {
		if !strings.Contains(q, want) {
			t.Fatalf("kubelet query %q lacks %q", q, want)
		}
	}
	// A log longer than the agent's cap is cut, and says so.
	g := setup(t, minio, func(_ *fixture, c *ops.Config) { c.MaxLogBytes = 10 })
	gn := g.node(g.ns + "-node")
	g.pod("web-1", gn.Name, nil)
	fakeKubelet.setLog(g.ns, "web-1", "app", "0123456789abcdef\n")
	e, r = g.run("pod.logs", g.target("Pod", "web-1"), nil)
	g.succeeded(e, r)
	if out := g.output(r); out != "0123456789" || !strings.Contains(r.Summary, "cut at 10 bytes") ||
		!strings.Contains(fakeKubelet.lastQuery(t), "limitBytes=10") || !strings.Contains(fakeKubelet.lastQuery(t), "tailLines=1000") {
		t.Fatalf("capped log %q: %s", out, r.Summary)
	}

	// No such container: refused before any request.
	e, r = f.run("pod.logs", f.target("Pod", "web-1"), map[string]any{"container": "nope"})
	if e.State != control.Refused || !strings.Contains(r.Error, `no container "nope"`) {
		t.Fatalf("logs of a missing container: %s %q", e.State, r.Error)
	}

	f.pod("web-2", "", nil)
	e, r = f.run("pod.delete", f.target("Pod", "web-2"), map[string]any{"grace_seconds": 0})
	f.succeeded(e, r)
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "web-2", metav1.GetOptions{}); !isNotFound(err) {
		t.Fatalf("pod still there after pod.delete: %v", err)
	}
	if len(r.Changes) != 1 || !strings.Contains(r.Changes[0], "grace period 0s") {
		t.Fatalf("changes: %q", r.Changes)
	}
	// The archived row says who asked, why, and how it ended.
	row, ok := f.row(e.ID)
	if !ok || row.State != control.Succeeded || row.RequestedBy != "alice" || row.Reason != "testing pod.delete" ||
		row.Role != "operator" || row.Params != `{"grace_seconds":0}` || row.Instance != "agent-0" || row.ClaimedAt == nil ||
		len(row.Changes) != 1 || row.Namespace != f.ns || row.Name != "web-2" {
		t.Fatalf("archived row: %+v", row)
	}
	// A pod that is gone: failed, saying so.
	e, r = f.run("pod.delete", f.target("Pod", "web-2"), nil)
	if e.State != control.Failed || !strings.Contains(r.Error, "not found") {
		t.Fatalf("delete of a missing pod: %s %q", e.State, r.Error)
	}
}

func testObjects(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	replicas := int32(2)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: f.ns,
		Annotations: map[string]string{"note": "db at postgres://admin:s3cretpass@db:5432/x"}},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "api:1",
					Env: []corev1.EnvVar{{Name: "API_TOKEN", Value: "literal-token-value"}}}}}}}}
	if _, err := f.kube.AppsV1().Deployments(f.ns).Create(f.ctx(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r := f.run("object.yaml", f.target("Deployment", "api"), nil)
	f.succeeded(e, r)
	y := f.output(r)
	for _, bad := range []string{"literal-token-value", "s3cretpass", "managedFields"} {
		if strings.Contains(y, bad) {
			t.Fatalf("YAML shows %q:\n%s", bad, y)
		}
	}
	for _, want := range []string{"kind: Deployment", "apiVersion: apps/v1", "name: API_TOKEN", "image: api:1"} {
		if !strings.Contains(y, want) {
			t.Fatalf("YAML lacks %q:\n%s", want, y)
		}
	}
	if r.OutputType != ops.TypeYAML || !e.ReadOnly {
		t.Fatalf("output type %q, read-only %v", r.OutputType, e.ReadOnly)
	}

	// A ConfigMap is read as metadata only: its data never reaches the agent.
	if _, err := f.kube.CoreV1().ConfigMaps(f.ns).Create(f.ctx(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data: map[string]string{"db": "very-private-value"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r = f.run("object.yaml", f.target("ConfigMap", "cfg"), nil)
	f.succeeded(e, r)
	if y := f.output(r); strings.Contains(y, "very-private-value") || !strings.Contains(y, "kind: ConfigMap") {
		t.Fatalf("ConfigMap YAML:\n%s", y)
	}
	e, r = f.run("object.describe", f.target("ConfigMap", "cfg"), nil)
	f.succeeded(e, r)
	if desc := f.output(r); strings.Contains(desc, "very-private-value") || !strings.Contains(desc, "metadata only") {
		t.Fatalf("describe ConfigMap:\n%s", desc)
	}
	// A Secret never.
	e, r = f.run("object.yaml", f.target("Secret", "any"), nil)
	if e.State != control.Refused || !strings.Contains(r.Error, "Secrets are never read") {
		t.Fatalf("Secret YAML: %s %q", e.State, r.Error)
	}

	// Events of one object, as JSON, and in its description.
	f.pod("api-1", "", map[string]string{"app": "api"})
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "api-1.x", Namespace: f.ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: f.ns, Name: "api-1"},
		Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: "Back-off restarting failed container", Count: 4,
		FirstTimestamp: metav1.NewTime(time.Now().Add(-10 * time.Minute)), LastTimestamp: metav1.NewTime(time.Now().Add(-time.Minute)),
		Source: corev1.EventSource{Component: "kubelet"}}
	other := ev.DeepCopy()
	other.Name, other.InvolvedObject.Name, other.Reason = "api-2.x", "api-2", "Other"
	for _, x := range []*corev1.Event{ev, other} {
		if _, err := f.kube.CoreV1().Events(f.ns).Create(f.ctx(), x, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e, r = f.run("object.events", f.target("Pod", "api-1"), nil)
	f.succeeded(e, r)
	var evs []ops.Event
	if err := json.Unmarshal([]byte(f.output(r)), &evs); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Reason != "BackOff" || evs[0].Count != 4 || evs[0].Source != "kubelet" || r.OutputType != ops.TypeJSON {
		t.Fatalf("events: %+v", evs)
	}
	e, r = f.run("object.describe", f.target("Pod", "api-1"), nil)
	f.succeeded(e, r)
	desc := f.output(r)
	for _, want := range []string{"Name:", "api-1", "Namespace:", "Containers:", "Image:", "nginx:1", "Events:", "BackOff", "(x4 over"} {
		if !strings.Contains(desc, want) {
			t.Fatalf("describe lacks %q:\n%s", want, desc)
		}
	}
	e, r = f.run("object.describe", f.target("Deployment", "api"), nil)
	f.succeeded(e, r)
	if desc := f.output(r); !strings.Contains(desc, "2 desired") || !strings.Contains(desc, "Events:  <none>") ||
		strings.Contains(desc, "s3cretpass") {
		t.Fatalf("describe deployment:\n%s", desc)
	}
}

func (f *fixture) deployment(name string, replicas int32, images ...string) *appsv1.Deployment {
	f.t.Helper()
	var cs []corev1.Container
	for i, img := range images {
		cs = append(cs, corev1.Container{Name: []string{"app", "side"}[i], Image: img})
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: cs}}}}
	d, err := f.kube.AppsV1().Deployments(f.ns).Create(f.ctx(), d, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fixture) getDeployment(name string) *appsv1.Deployment {
	f.t.Helper()
	d, err := f.kube.AppsV1().Deployments(f.ns).Get(f.ctx(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func testWorkloads(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	f.deployment("web", 2, "web:1", "proxy:1")

	e, r := f.run("workload.restart", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	at := f.getDeployment("web").Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
	if at == "" || len(r.Changes) != 1 || !strings.Contains(r.Changes[0], at) {
		t.Fatalf("restartedAt %q, changes %q", at, r.Changes)
	}

	// Scale, with the HPA that manages the Deployment named.
	if _, err := f.kube.AutoscalingV2().HorizontalPodAutoscalers(f.ns).Create(f.ctx(), &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web-hpa"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr(int32(2)), MaxReplicas: 9,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r = f.run("workload.scale", f.target("Deployment", "web"), map[string]any{"replicas": 5})
	f.succeeded(e, r)
	if got := *f.getDeployment("web").Spec.Replicas; got != 5 || len(r.Changes) != 1 || r.Changes[0] != "replicas: 2 → 5" ||
		!strings.Contains(r.Summary, "HorizontalPodAutoscaler web-hpa") {
		t.Fatalf("scale: replicas %d, %q, %q", got, r.Changes, r.Summary)
	}
	e, r = f.run("workload.scale", f.target("Deployment", "web"), nil)
	if e.State != control.Refused || !strings.Contains(r.Error, "needs replicas") {
		t.Fatalf("scale without replicas: %s %q", e.State, r.Error)
	}

	e, r = f.run("workload.set_image", f.target("Deployment", "web"), map[string]any{"container": "side", "image": "proxy:2"})
	f.succeeded(e, r)
	cs := f.getDeployment("web").Spec.Template.Spec.Containers
	if cs[0].Image != "web:1" || cs[1].Image != "proxy:2" || r.Changes[0] != "container side image: proxy:1 → proxy:2" {
		t.Fatalf("set image: %+v %q", cs, r.Changes)
	}
	e, r = f.run("workload.set_image", f.target("Deployment", "web"), map[string]any{"image": "x:1"})
	if e.State != control.Refused || !strings.Contains(r.Error, "no container") {
		t.Fatalf("set image without a container on a two-container pod: %s %q", e.State, r.Error)
	}

	e, r = f.run("workload.pause", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	if !f.getDeployment("web").Spec.Paused || r.Changes[0] != "paused: false → true" {
		t.Fatalf("pause: %q", r.Changes)
	}
	e, r = f.run("workload.restart", f.target("Deployment", "web"), nil)
	if e.State != control.Refused || !strings.Contains(r.Error, "paused") {
		t.Fatalf("restart of a paused deployment: %s %q", e.State, r.Error)
	}
	e, r = f.run("workload.resume", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	if f.getDeployment("web").Spec.Paused {
		t.Fatal("still paused after resume")
	}

	// A StatefulSet and a DaemonSet restart and scale as well.
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.ns},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("db", "pg:16")}}}}}
	if _, err := f.kube.AppsV1().StatefulSets(f.ns).Create(f.ctx(), sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r = f.run("workload.scale", f.target("StatefulSet", "db"), map[string]any{"replicas": 3})
	f.succeeded(e, r)
	if s, _ := f.kube.AppsV1().StatefulSets(f.ns).Get(f.ctx(), "db", metav1.GetOptions{}); *s.Spec.Replicas != 3 {
		t.Fatalf("statefulset replicas %d", *s.Spec.Replicas)
	}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: f.ns},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("agent", "agent:1")}}}}}
	if _, err := f.kube.AppsV1().DaemonSets(f.ns).Create(f.ctx(), ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r = f.run("workload.restart", f.target("DaemonSet", "agent"), nil)
	f.succeeded(e, r)
	if got, _ := f.kube.AppsV1().DaemonSets(f.ns).Get(f.ctx(), "agent", metav1.GetOptions{}); got.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
		t.Fatal("daemonset not restarted")
	}
}

// testRollback plays the Deployment controller's part (envtest runs
// none): ReplicaSets per revision, owned by the Deployment, as the
// controller leaves them; and a StatefulSet's ControllerRevisions.
func testRollback(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	d := f.deployment("web", 1, "web:3")
	for rev, img := range map[string]string{"1": "web:1", "2": "web:2", "3": "web:3"} {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-r" + rev, Namespace: f.ns,
			Labels:          map[string]string{"app": "web", "pod-template-hash": "h" + rev},
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": rev, "kubernetes.io/change-cause": "image " + img},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
			Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(0)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "h" + rev}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "pod-template-hash": "h" + rev}},
					Spec: corev1.PodSpec{Containers: []corev1.Container{container("app", img)}}}}}
		if _, err := f.kube.AppsV1().ReplicaSets(f.ns).Create(f.ctx(), rs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	d.Annotations = map[string]string{"deployment.kubernetes.io/revision": "3"}
	if _, err := f.kube.AppsV1().Deployments(f.ns).Update(f.ctx(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r := f.run("workload.history", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	var revs []ops.Revision
	if err := json.Unmarshal([]byte(f.output(r)), &revs); err != nil {
		t.Fatal(err)
	}
	if len(revs) != 3 || revs[0].Revision != 1 || !revs[2].Current || revs[1].Current || revs[1].Images[0] != "app=web:2" ||
		revs[0].ChangeCause != "image web:1" || revs[2].Object != "ReplicaSet/web-r3" {
		t.Fatalf("history: %+v", revs)
	}
	// Undo: to the previous revision by default.
	e, r = f.run("workload.undo", f.target("Deployment", "web"), nil)
	f.succeeded(e, r)
	got := f.getDeployment("web")
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "web:2" || got.Spec.Template.Labels["pod-template-hash"] != "" {
		t.Fatalf("undo: image %s, labels %v", img, got.Spec.Template.Labels)
	}
	e, r = f.run("workload.undo", f.target("Deployment", "web"), map[string]any{"to_revision": 1})
	f.succeeded(e, r)
	if img := f.getDeployment("web").Spec.Template.Spec.Containers[0].Image; img != "web:1" || !strings.Contains(r.Changes[0], "revision 1") {
		t.Fatalf("undo to 1: image %s, %q", img, r.Changes)
	}
	e, r = f.run("workload.undo", f.target("Deployment", "web"), map[string]any{"to_revision": 9})
	if e.State != control.Refused || !strings.Contains(r.Error, "no revision 9") {
		t.Fatalf("undo to a missing revision: %s %q", e.State, r.Error)
	}

	// A StatefulSet rolls back to a ControllerRevision's stored patch.
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: f.ns},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "db"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{container("db", "pg:17")}}}}}
	sts, err := f.kube.AppsV1().StatefulSets(f.ns).Create(f.ctx(), sts, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for rev, img := range map[int64]string{1: "pg:16", 2: "pg:17"} {
		patch := map[string]any{"spec": map[string]any{"template": map[string]any{"$patch": "replace",
			"metadata": map[string]any{"labels": map[string]string{"app": "db"}},
			"spec":     map[string]any{"containers": []map[string]string{{"name": "db", "image": img}}}}}}
		raw, _ := json.Marshal(patch)
		cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "db-" + img[3:], Namespace: f.ns,
			Labels:          map[string]string{"app": "db"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(sts, appsv1.SchemeGroupVersion.WithKind("StatefulSet"))}},
			Revision: rev, Data: runtime.RawExtension{Raw: raw}}
		if _, err := f.kube.AppsV1().ControllerRevisions(f.ns).Create(f.ctx(), cr, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e, r = f.run("workload.undo", f.target("StatefulSet", "db"), nil)
	f.succeeded(e, r)
	if s, _ := f.kube.AppsV1().StatefulSets(f.ns).Get(f.ctx(), "db", metav1.GetOptions{}); s.Spec.Template.Spec.Containers[0].Image != "pg:16" {
		t.Fatalf("statefulset undo: %s", s.Spec.Template.Spec.Containers[0].Image)
	}
}

func testCronJobs(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: f.ns},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"job": "report"}},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{container("report", "report:1")}}}}}}}
	if _, err := f.kube.BatchV1().CronJobs(f.ns).Create(f.ctx(), cj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e, r := f.run("cronjob.trigger", f.target("CronJob", "report"), nil)
	f.succeeded(e, r)
	jobs, err := f.kube.BatchV1().Jobs(f.ns).List(f.ctx(), metav1.ListOptions{})
	if err != nil || len(jobs.Items) != 1 {
		t.Fatalf("jobs after trigger: %v %v", jobs, err)
	}
	j := jobs.Items[0]
	ref := metav1.GetControllerOf(&j)
	if ref == nil || ref.Kind != "CronJob" || ref.Name != "report" || j.Annotations["cronjob.kubernetes.io/instantiate"] != "manual" ||
		j.Labels["job"] != "report" || !strings.HasPrefix(j.Name, "report-manual-") || r.Changes[0] != "created Job "+f.ns+"/"+j.Name {
		t.Fatalf("triggered job: %+v, changes %q", j.ObjectMeta, r.Changes)
	}

	e, r = f.run("cronjob.suspend", f.target("CronJob", "report"), nil)
	f.succeeded(e, r)
	if got, _ := f.kube.BatchV1().CronJobs(f.ns).Get(f.ctx(), "report", metav1.GetOptions{}); got.Spec.Suspend == nil || !*got.Spec.Suspend {
		t.Fatal("not suspended")
	}
	e, r = f.run("cronjob.resume", f.target("CronJob", "report"), nil)
	f.succeeded(e, r)
	if got, _ := f.kube.BatchV1().CronJobs(f.ns).Get(f.ctx(), "report", metav1.GetOptions{}); *got.Spec.Suspend {
		t.Fatal("still suspended")
	}

	e, r = f.run("job.delete", f.target("Job", j.Name), nil)
	f.succeeded(e, r)
	f.eventually("job gone", 30*time.Second, func() bool {
		_, err := f.kube.BatchV1().Jobs(f.ns).Get(f.ctx(), j.Name, metav1.GetOptions{})
		return isNotFound(err)
	})
}

func testNodes(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)
	n := f.node(f.ns + "-n1")
	e, r := f.run("node.cordon", f.target("Node", n.Name), nil)
	f.succeeded(e, r)
	if got, _ := f.kube.CoreV1().Nodes().Get(f.ctx(), n.Name, metav1.GetOptions{}); !got.Spec.Unschedulable || r.Changes[0] != "unschedulable: false → true" {
		t.Fatalf("cordon: %v %q", got.Spec.Unschedulable, r.Changes)
	}
	e, r = f.run("node.cordon", f.target("Node", n.Name), nil)
	f.succeeded(e, r)
	if len(r.Changes) != 0 || !strings.Contains(r.Summary, "already cordoned") {
		t.Fatalf("cordon again: %q %q", r.Summary, r.Changes)
	}
	e, r = f.run("object.describe", f.target("Node", n.Name), nil)
	f.succeeded(e, r)
	if desc := f.output(r); !strings.Contains(desc, "Unschedulable:") || !strings.Contains(desc, "true") ||
		!strings.Contains(desc, "InternalIP=127.0.0.1") {
		t.Fatalf("describe node:\n%s", desc)
	}
	e, r = f.run("node.uncordon", f.target("Node", n.Name), nil)
	f.succeeded(e, r)
	if got, _ := f.kube.CoreV1().Nodes().Get(f.ctx(), n.Name, metav1.GetOptions{}); got.Spec.Unschedulable {
		t.Fatal("still cordoned")
	}
}

func ownedBy(kind, name string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: types.UID("u-" + name), Controller: ptr(true)}}
	}
}

func testDrain(t *testing.T, minio *miniotest.Server) {
	f := setup(t, minio)

	// A pod with emptyDir data stops the drain before anything changes.
	n1 := f.node(f.ns + "-n1")
	f.pod("cache", n1.Name, nil, ownedBy("ReplicaSet", "cache"), func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	})
	e, r := f.run("node.drain", f.target("Node", n1.Name), map[string]any{"grace_seconds": 0})
	if e.State != control.Refused || !strings.Contains(r.Error, "emptyDir") || !strings.Contains(r.Error, f.ns+"/cache") {
		t.Fatalf("drain with emptyDir data: %s %q", e.State, r.Error)
	}
	if got, _ := f.kube.CoreV1().Nodes().Get(f.ctx(), n1.Name, metav1.GetOptions{}); got.Spec.Unschedulable {
		t.Fatal("refused drain cordoned the node")
	}
	// Allowed: the pod is evicted, the DaemonSet and mirror pods stay.
	f.pod("ds-pod", n1.Name, nil, ownedBy("DaemonSet", "agent"))
	f.pod("static", n1.Name, nil, func(p *corev1.Pod) { p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"} })
	e, r = f.run("node.drain", f.target("Node", n1.Name), map[string]any{"grace_seconds": 0, "delete_emptydir_data": true})
	f.succeeded(e, r)
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "cache", metav1.GetOptions{}); !isNotFound(err) {
		t.Fatalf("evicted pod still there: %v", err)
	}
	for _, name := range []string{"ds-pod", "static"} {
		if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), name, metav1.GetOptions{}); err != nil {
			t.Fatalf("drain removed %s: %v", name, err)
		}
	}
	if got, _ := f.kube.CoreV1().Nodes().Get(f.ctx(), n1.Name, metav1.GetOptions{}); !got.Spec.Unschedulable ||
		len(r.Changes) != 2 || r.Changes[1] != "evicted pod "+f.ns+"/cache" || !strings.Contains(r.Summary, "2 left") {
		t.Fatalf("drain: %q %q", r.Summary, r.Changes)
	}

	// A pod no controller would recreate stops the drain before any change;
	// force (kubectl drain --force) evicts it for good.
	n3 := f.node(f.ns + "-n3")
	f.pod("bare", n3.Name, nil)
	e, r = f.run("node.drain", f.target("Node", n3.Name), map[string]any{"grace_seconds": 0})
	if e.State != control.Refused || !strings.Contains(r.Error, "no controller") || !strings.Contains(r.Error, f.ns+"/bare") {
		t.Fatalf("drain with an unmanaged pod: %s %q", e.State, r.Error)
	}
	if got, _ := f.kube.CoreV1().Nodes().Get(f.ctx(), n3.Name, metav1.GetOptions{}); got.Spec.Unschedulable {
		t.Fatal("refused drain cordoned the node")
	}
	e, r = f.run("node.drain", f.target("Node", n3.Name), map[string]any{"grace_seconds": 0, "force": true})
	f.succeeded(e, r)
	if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), "bare", metav1.GetOptions{}); !isNotFound(err) {
		t.Fatalf("forced drain left the unmanaged pod: %v", err)
	}
	if len(r.Changes) != 2 || r.Changes[1] != "evicted pod "+f.ns+"/bare" {
		t.Fatalf("forced drain: %q %q", r.Summary, r.Changes)
	}

	// A PodDisruptionBudget allowing one disruption: the first pod goes,
	// the second waits (progress says why) until the drain times out.
	n2 := f.node(f.ns + "-n2")
	labels := map[string]string{"app": "web"}
	// Running and ready, as a kubelet would report them: the Eviction
	// API lets pending and unready pods go without asking the budget.
	for _, name := range []string{"web-a", "web-b"} {
		p := f.pod(name, n2.Name, labels, ownedBy("ReplicaSet", "web"))
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		if _, err := f.kube.CoreV1().Pods(f.ns).UpdateStatus(f.ctx(), p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pdb, err := f.kube.PolicyV1().PodDisruptionBudgets(f.ns).Create(f.ctx(), &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: labels}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// What the disruption controller would compute (envtest runs none).
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 1,
		CurrentHealthy: 2, DesiredHealthy: 1, ExpectedPods: 2}
	if _, err := f.kube.PolicyV1().PodDisruptionBudgets(f.ns).UpdateStatus(f.ctx(), pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	id := f.submit("node.drain", f.target("Node", n2.Name), map[string]any{"grace_seconds": 0, "timeout_seconds": 8})
	var cur control.Entry
	f.eventually("drain progress naming the budget", 30*time.Second, func() bool {
		o, err := control.Read(f.ctx(), f.bucket, f.cluster)
		if err != nil {
			t.Fatal(err)
		}
		if cur, _ = o.Find(id); control.Final(cur.State) {
			t.Fatalf("drain ended: %+v", cur)
		}
		return cur.State == control.Running && strings.Contains(cur.Progress, "evicted 1/2") &&
			strings.Contains(cur.Progress, "disruption budget")
	})
	e, r = f.wait(id)
	if e.State != control.Failed || !strings.Contains(r.Error, "timed out") || !strings.Contains(r.Error, "disruption budget") ||
		len(r.Changes) != 2 || !strings.Contains(r.Summary, "1 of 2 pods evicted") {
		t.Fatalf("drain blocked by a PDB: %s %q %q %q", e.State, r.Summary, r.Error, r.Changes)
	}
	left := 0
	for _, name := range []string{"web-a", "web-b"} {
		if _, err := f.kube.CoreV1().Pods(f.ns).Get(f.ctx(), name, metav1.GetOptions{}); err == nil {
			left++
		}
	}
	if left != 1 {
		t.Fatalf("%d of the budget's pods left, want 1", left)
	}
}
