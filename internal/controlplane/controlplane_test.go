package controlplane_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/atlhyper/atlhyper/internal/controlplane"
)

// One control plane for the package; each test works in its own namespace.
var cluster controlplane.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	// Stop fails if any component had died or outlived it.
	if err := cluster.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop control plane:", err)
		code = 1
	}
	os.Exit(code)
}

// readyDelay is how long the drained Deployment's pods take to become Ready:
// the window in which a second eviction must be refused. A few requests
// take milliseconds; the window is far wider so a loaded machine cannot
// close it.
const readyDelay = 5 * time.Second

// A Deployment gets a ReplicaSet and Running, Ready pods on kwok nodes; a
// rollout restart makes a second ReplicaSet that takes over; a scale makes
// more pods.
func TestRolloutRestartAndScale(t *testing.T) {
	cp := cluster.Get(t)
	ctx := t.Context()
	ns := namespace(t, cp)
	deploys := cp.Kube.AppsV1().Deployments(ns)

	if _, err := deploys.Create(ctx, deployment("web", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := cp.WaitRolledOut(t, ns, "web", 3)
	if n := len(replicaSets(t, cp, ns, "web")); n != 1 {
		t.Fatalf("a new Deployment has %d ReplicaSets, want 1", n)
	}

	// What `kubectl rollout restart` sends.
	restartedAt := time.Now().UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, restartedAt)
	if _, err := deploys.Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	second := cp.WaitRolledOut(t, ns, "web", 3)
	if second.Name == first.Name {
		t.Fatalf("rollout restart kept ReplicaSet %s", first.Name)
	}
	if got := second.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; got != restartedAt {
		t.Errorf("new ReplicaSet's template restartedAt = %q, want %q", got, restartedAt)
	}
	rss := replicaSets(t, cp, ns, "web")
	if len(rss) != 2 {
		t.Fatalf("after a rollout restart: %d ReplicaSets, want 2", len(rss))
	}
	for _, rs := range rss {
		if rs.Name == first.Name && (*rs.Spec.Replicas != 0 || rs.Status.Replicas != 0) {
			t.Errorf("old ReplicaSet %s still wants %d and has %d pods", rs.Name, *rs.Spec.Replicas, rs.Status.Replicas)
		}
	}

	// What `kubectl scale` sends.
	if _, err := deploys.UpdateScale(ctx, "web", &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 5},
	}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if scaled := cp.WaitRolledOut(t, ns, "web", 5); scaled.Name != second.Name {
		t.Errorf("a scale moved the Deployment from ReplicaSet %s to %s", second.Name, scaled.Name)
	}
}

// An eviction of a pod whose budget has no disruption to spare
// (minAvailable = replicas) is refused with 429 and leaves the pod alone,
// once the disruption controller has computed the budget; with one
// disruption allowed the same eviction is granted, the pod goes and the
// Deployment replaces it.
func TestEvictionRespectsBudget(t *testing.T) {
	cp := cluster.Get(t)
	ctx := t.Context()
	ns := namespace(t, cp)

	if _, err := cp.Kube.AppsV1().Deployments(ns).Create(ctx, deployment("db", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: new(intstr.FromInt32(3)),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		},
	}
	if _, err := cp.Kube.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cp.WaitRolledOut(t, ns, "db", 3)
	cp.WaitBudget(t, ns, "db", 3, 0)

	victim := pods(t, cp, ns, "app=db")[0]
	err := evict(ctx, cp, ns, victim.Name)
	if !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), "disruption budget") {
		t.Fatalf("evict %s with minAvailable = replicas: err = %v, want 429 naming the disruption budget", victim.Name, err)
	}
	if p, err := cp.Kube.CoreV1().Pods(ns).Get(ctx, victim.Name, metav1.GetOptions{}); err != nil || p.UID != victim.UID || p.DeletionTimestamp != nil {
		t.Fatalf("a refused eviction touched pod %s: %v, deletion %v", victim.Name, err, p.DeletionTimestamp)
	}
	cp.WaitBudget(t, ns, "db", 3, 0) // nothing recorded as disrupted

	patch := `{"spec":{"minAvailable":2}}`
	if _, err := cp.Kube.PolicyV1().PodDisruptionBudgets(ns).Patch(ctx, "db", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	cp.WaitBudget(t, ns, "db", 3, 1)
	if err := evict(ctx, cp, ns, victim.Name); err != nil {
		t.Fatalf("evict %s with one disruption allowed: %v", victim.Name, err)
	}
	cp.Eventually(t, "the evicted pod is gone", func(ctx context.Context) (bool, string, error) {
		p, err := cp.Kube.CoreV1().Pods(ns).Get(ctx, victim.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, fmt.Sprintf("still there, phase %s, deletion %v", p.Status.Phase, p.DeletionTimestamp), nil
	})
	cp.WaitRolledOut(t, ns, "db", 3)
	for _, p := range pods(t, cp, ns, "app=db") {
		if p.UID == victim.UID {
			t.Errorf("evicted pod %s is back", p.Name)
		}
	}
	cp.WaitBudget(t, ns, "db", 3, 1)
}

// A PodDisruptionBudget computes its allowed disruptions; draining a
// cordoned node through the Eviction API is refused with 429 while an
// eviction would break the budget, succeeds once replacements are Ready
// elsewhere, never takes the Deployment below minAvailable, and leaves only
// the DaemonSet's pod on the node.
func TestDrainHonoursPodDisruptionBudget(t *testing.T) {
	cp := cluster.Get(t)
	ctx := t.Context()
	ns := namespace(t, cp)

	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "node-agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "node-agent"}},
			Template: podTemplate("node-agent"),
		},
	}
	if _, err := cp.Kube.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	api := deployment("api", 5)
	api.Spec.Template.Annotations = map[string]string{controlplane.PodReadyDelay: readyDelay.String()}
	if _, err := cp.Kube.AppsV1().Deployments(ns).Create(ctx, api, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: new(intstr.FromInt32(4)),
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
		},
	}
	if _, err := cp.Kube.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cp.WaitRolledOut(t, ns, "api", 5)
	cp.WaitBudget(t, ns, "api", 5, 1)
	cp.Eventually(t, "the DaemonSet has a Ready pod on every node", func(ctx context.Context) (bool, string, error) {
		d, err := cp.Kube.AppsV1().DaemonSets(ns).Get(ctx, "node-agent", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return d.Status.DesiredNumberScheduled > 0 && d.Status.NumberReady == d.Status.DesiredNumberScheduled,
			fmt.Sprintf("%d of %d ready", d.Status.NumberReady, d.Status.DesiredNumberScheduled), nil
	})

	// Drain the node with the most api pods: five pods on three nodes
	// put at least two on one.
	byNode := map[string][]string{}
	for _, p := range pods(t, cp, ns, "app=api") {
		byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p.Name)
	}
	node := ""
	for n, names := range byNode {
		if node == "" || len(names) > len(byNode[node]) {
			node = n
		}
	}
	victims := byNode[node]
	if len(victims) < 2 {
		t.Fatalf("no node has two api pods (%v): the drain could not meet the budget", byNode)
	}

	ready := watchReady(t, cp, ns, "app=api")
	cordon(t, cp, node, true)
	t.Cleanup(func() { cordon(t, cp, node, false) }) // the nodes are shared

	// The budget allows one disruption: the first eviction is granted, the
	// others are refused while its replacement is not Ready (kwok holds it
	// for readyDelay).
	var evicted, refused []string
	for _, name := range victims {
		err := evict(ctx, cp, ns, name)
		switch {
		case err == nil:
			evicted = append(evicted, name)
		case apierrors.IsTooManyRequests(err) && strings.Contains(err.Error(), "disruption budget"):
			refused = append(refused, name)
		default:
			t.Fatalf("evict %s: %v", name, err)
		}
	}
	if len(evicted) != 1 || evicted[0] != victims[0] || len(refused) != len(victims)-1 {
		t.Fatalf("first round of evictions with one disruption allowed: evicted %v, refused with 429 %v", evicted, refused)
	}

	// Retry the refused ones, as kubectl drain does, until the node is empty.
	cp.Eventually(t, "the drained node has no api pods", func(ctx context.Context) (bool, string, error) {
		left := 0
		for _, p := range pods(t, cp, ns, "app=api") {
			if p.Spec.NodeName != node {
				continue
			}
			left++
			if p.DeletionTimestamp != nil {
				continue
			}
			if err := evict(ctx, cp, ns, p.Name); err != nil && !apierrors.IsTooManyRequests(err) && !apierrors.IsNotFound(err) {
				return false, "", fmt.Errorf("evict %s: %w", p.Name, err)
			}
		}
		return left == 0, fmt.Sprintf("%d api pods on %s", left, node), nil
	})

	cp.WaitRolledOut(t, ns, "api", 5)
	for _, p := range pods(t, cp, ns, "app=api") {
		if p.Spec.NodeName == node {
			t.Errorf("pod %s was scheduled on cordoned node %s", p.Name, node)
		}
	}
	cp.WaitBudget(t, ns, "api", 5, 1)

	// Only the DaemonSet's pod is left on the node: not evictable, it
	// tolerates the cordon.
	onNode, err := cp.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range onNode.Items {
		if p.DeletionTimestamp == nil {
			left = append(left, p.Namespace+"/"+p.Name+" ("+ownerKind(&p)+")")
		}
	}
	if len(left) != 1 || !strings.HasSuffix(left[0], "(DaemonSet)") || !strings.HasPrefix(left[0], ns+"/node-agent-") {
		t.Errorf("pods left on the drained node: %v, want only this test's DaemonSet pod", left)
	}

	if lowest := ready.lowest(t, 5); lowest != 4 {
		t.Errorf("fewest Ready api pods during the drain: %d, want 4 (minAvailable, reached by each eviction)", lowest)
	}
}

// Tests can act as a ServiceAccount (a TokenRequest token), impersonate,
// or hold their own certificate; RBAC decides for each.
func TestIdentities(t *testing.T) {
	cp := cluster.Get(t)
	ctx := t.Context()
	ns := namespace(t, cp)
	saName := "system:serviceaccount:" + ns + ":agent"

	saCfg, err := cp.ServiceAccountConfig(ctx, ns, "agent")
	if err != nil {
		t.Fatal(err)
	}
	sa := clientset(t, saCfg)
	if got := whoami(t, sa); got.Username != saName {
		t.Fatalf("service account token authenticates as %q, want %q", got.Username, saName)
	}
	if _, err := sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("service account without a binding listed pods: err = %v, want Forbidden", err)
	}

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := cp.Kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bind(t, cp, ns, "agent-reads-pods", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "agent"})
	cp.Eventually(t, "the service account lists pods once bound", func(ctx context.Context) (bool, string, error) {
		_, err := sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil, fmt.Sprint(err), nil
	})
	refusals := map[string]error{}
	_, refusals["list pods in kube-system"] = sa.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
	_, refusals["list secrets"] = sa.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	refusals["delete a pod"] = sa.CoreV1().Pods(ns).Delete(ctx, "any", metav1.DeleteOptions{})
	for what, err := range refusals {
		if !apierrors.IsForbidden(err) {
			t.Errorf("service account could %s: err = %v, want Forbidden", what, err)
		}
	}

	// The same identity through impersonation, and rendered as a kubeconfig
	// for a binary under test.
	imp := cp.Impersonate(saName, "system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
	for name, cfg := range map[string]*rest.Config{"token": saCfg, "impersonation": imp} {
		data, err := controlplane.Kubeconfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		fromFile, err := clientcmd.RESTConfigFromKubeConfig(data)
		if err != nil {
			t.Fatalf("%s kubeconfig: %v", name, err)
		}
		for via, c := range map[string]*rest.Config{"config": cfg, "kubeconfig": fromFile} {
			kube := clientset(t, c)
			if got := whoami(t, kube); got.Username != saName {
				t.Errorf("%s through its %s is %q, want %q", name, via, got.Username, saName)
			}
			if _, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
				t.Errorf("%s through its %s cannot list pods: %v", name, via, err)
			}
			if _, err := kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
				t.Errorf("%s through its %s listed kube-system's pods: err = %v, want Forbidden", name, via, err)
			}
		}
	}

	// A certificate user, granted the aggregated "view" role (its rules are
	// filled in by kube-controller-manager).
	janeCfg, err := cp.UserConfig("jane", "devs")
	if err != nil {
		t.Fatal(err)
	}
	jane := clientset(t, janeCfg)
	if got := whoami(t, jane); got.Username != "jane" || !slices.Contains(got.Groups, "devs") {
		t.Fatalf("certificate user is %q in %v, want jane in devs", got.Username, got.Groups)
	}
	if _, err := jane.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("jane without a binding listed deployments: err = %v, want Forbidden", err)
	}
	bind(t, cp, ns, "devs-view", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "devs"})
	cp.Eventually(t, "the devs group views deployments once bound to view", func(ctx context.Context) (bool, string, error) {
		_, err := jane.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		return err == nil, fmt.Sprint(err), nil
	})
	if _, err := jane.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("view let jane list secrets: err = %v, want Forbidden", err)
	}
}

// namespace creates a namespace for one test, deleted when it ends.
func namespace(t *testing.T, cp *controlplane.ControlPlane) string {
	t.Helper()
	ns, err := cp.Kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.ToLower(t.Name()[4:min(len(t.Name()), 24)]) + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Kube.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: app, Image: "registry.example/" + app + ":1"}}},
	}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

// readyCount follows a watch of pods and remembers the fewest Ready ones.
type readyCount struct {
	mu     sync.Mutex
	ready  map[string]bool
	now    int
	fewest int
}

func watchReady(t *testing.T, cp *controlplane.ControlPlane, ns, selector string) *readyCount {
	t.Helper()
	list, err := cp.Kube.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	rc := &readyCount{ready: map[string]bool{}}
	for _, p := range list.Items {
		rc.set(&p, false)
	}
	rc.fewest = rc.now
	w, err := cp.Kube.CoreV1().Pods(ns).Watch(t.Context(), metav1.ListOptions{LabelSelector: selector, ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	go func() {
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok {
				rc.set(p, ev.Type == watch.Deleted)
			}
		}
	}()
	return rc
}

func (rc *readyCount) set(p *corev1.Pod, deleted bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ready[p.Name] = !deleted && p.DeletionTimestamp == nil && controlplane.PodReady(p)
	rc.now = 0
	for _, r := range rc.ready {
		if r {
			rc.now++
		}
	}
	rc.fewest = min(rc.fewest, rc.now)
}

// lowest waits until the watch has caught up with want Ready pods and
// returns the fewest it saw.
func (rc *readyCount) lowest(t *testing.T, want int) int {
	t.Helper()
	var fewest int
	cluster.Get(t).Eventually(t, fmt.Sprintf("the pod watch sees %d Ready", want), func(context.Context) (bool, string, error) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		fewest = rc.fewest
		return rc.now == want, fmt.Sprintf("%d Ready", rc.now), nil
	})
	return fewest
}

func cordon(t *testing.T, cp *controlplane.ControlPlane, node string, on bool) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, on)
	if _, err := cp.Kube.CoreV1().Nodes().Patch(context.Background(), node, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("cordon %s (%v): %v", node, on, err)
	}
}

func evict(ctx context.Context, cp *controlplane.ControlPlane, ns, pod string) error {
	return cp.Kube.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns}})
}

func bind(t *testing.T, cp *controlplane.ControlPlane, ns, name string, role rbacv1.RoleRef, subject rbacv1.Subject) {
	t.Helper()
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: role, Subjects: []rbacv1.Subject{subject}}
	if _, err := cp.Kube.RbacV1().RoleBindings(ns).Create(t.Context(), rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func whoami(t *testing.T, kube kubernetes.Interface) authenticationv1.UserInfo {
	t.Helper()
	r, err := kube.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("who am I: %v", err)
	}
	return r.Status.UserInfo
}

func clientset(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube
}

func replicaSets(t *testing.T, cp *controlplane.ControlPlane, ns, deployment string) []appsv1.ReplicaSet {
	t.Helper()
	list, err := cp.Kube.AppsV1().ReplicaSets(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var owned []appsv1.ReplicaSet
	for _, rs := range list.Items {
		if ref := metav1.GetControllerOf(&rs); ref != nil && ref.Kind == "Deployment" && ref.Name == deployment {
			owned = append(owned, rs)
		}
	}
	return owned
}

func pods(t *testing.T, cp *controlplane.ControlPlane, ns, selector string) []corev1.Pod {
	t.Helper()
	list, err := cp.Kube.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func ownerKind(p *corev1.Pod) string {
	if ref := metav1.GetControllerOf(p); ref != nil {
		return ref.Kind
	}
	return "none"
}
