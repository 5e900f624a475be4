package controlplane

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitTimeout is how long Eventually waits: controllers converge in seconds
// here, but a loaded two-core CI machine can take far longer.
const WaitTimeout = 2 * time.Minute

// pollInterval is how often WaitFor checks.
const pollInterval = 200 * time.Millisecond

// Check reports whether a condition holds and describes what it saw (shown
// when the wait fails). An error ends the wait at once.
type Check func(ctx context.Context) (done bool, state string, err error)

// WaitFor polls check until it holds, returns an error, or ctx ends; the
// error names what was awaited and the last state seen.
func WaitFor(ctx context.Context, what string, check Check) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	state := "not checked yet"
	for {
		done, s, err := check(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return nil
		}
		state = s
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w; last: %s", what, ctx.Err(), state)
		case <-tick.C:
		}
	}
}

// Eventually waits up to WaitTimeout for check and fails t with the last
// state and the ends of the controllers' logs if it does not hold.
func (c *ControlPlane) Eventually(t testing.TB, what string, check Check) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), WaitTimeout)
	defer cancel()
	if err := WaitFor(ctx, what, check); err != nil {
		t.Fatalf("%v%s", err, c.logTails("kube-controller-manager", "kube-scheduler", "kwok"))
	}
}

// RolledOut checks that Deployment ns/name has exactly replicas pods, all
// from the ReplicaSet at its current revision, not terminating, Running and
// Ready with a pod IP on a kwok node of this control plane, and stores that
// ReplicaSet in *current. It is what "the rollout finished" means to a
// test: the Deployment's status alone can be ahead of its pods.
func (c *ControlPlane) RolledOut(ns, name string, replicas int32, current **appsv1.ReplicaSet) Check {
	return func(ctx context.Context) (bool, string, error) {
		d, err := c.Kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		st := d.Status
		state := fmt.Sprintf("generation %d observed %d; replicas %d updated %d ready %d available %d",
			d.Generation, st.ObservedGeneration, st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas)
		if st.ObservedGeneration < d.Generation || st.Replicas != replicas || st.UpdatedReplicas != replicas ||
			st.ReadyReplicas != replicas || st.AvailableReplicas != replicas {
			return false, state, nil
		}
		rss, err := c.Kube.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, "", err
		}
		var rs *appsv1.ReplicaSet
		for i := range rss.Items {
			r := &rss.Items[i]
			if ref := metav1.GetControllerOf(r); ref != nil && ref.UID == d.UID &&
				r.Annotations["deployment.kubernetes.io/revision"] == d.Annotations["deployment.kubernetes.io/revision"] {
				rs = r
			}
		}
		if rs == nil {
			return false, state + "; no ReplicaSet at the Deployment's revision", nil
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return false, "", fmt.Errorf("deployment %s/%s selector: %w", ns, name, err)
		}
		pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return false, "", err
		}
		if len(pods.Items) != int(replicas) {
			return false, fmt.Sprintf("%s; %d pods", state, len(pods.Items)), nil
		}
		nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: NodeLabel + "=true"})
		if err != nil {
			return false, "", err
		}
		ours := func(node string) bool {
			return slices.ContainsFunc(nodes.Items, func(n corev1.Node) bool { return n.Name == node })
		}
		for _, p := range pods.Items {
			if p.Labels["pod-template-hash"] != rs.Labels["pod-template-hash"] || p.DeletionTimestamp != nil ||
				p.Status.Phase != corev1.PodRunning || !PodReady(&p) || p.Status.PodIP == "" || !ours(p.Spec.NodeName) {
				return false, fmt.Sprintf("%s; pod %s: hash %s phase %s ready %v ip %q node %q terminating %v", state, p.Name,
					p.Labels["pod-template-hash"], p.Status.Phase, PodReady(&p), p.Status.PodIP, p.Spec.NodeName, p.DeletionTimestamp != nil), nil
			}
		}
		if current != nil {
			*current = rs
		}
		return true, state, nil
	}
}

// WaitRolledOut waits (up to WaitTimeout) until Deployment ns/name is
// rolled out with replicas Ready pods (see RolledOut) and returns its
// current ReplicaSet.
func (c *ControlPlane) WaitRolledOut(t testing.TB, ns, name string, replicas int32) *appsv1.ReplicaSet {
	t.Helper()
	var rs *appsv1.ReplicaSet
	c.Eventually(t, fmt.Sprintf("deployment %s/%s rolled out with %d Ready pods", ns, name, replicas),
		c.RolledOut(ns, name, replicas, &rs))
	return rs
}

// Budget checks that PodDisruptionBudget ns/name has been computed by the
// disruption controller for its current spec: healthy pods expected and
// healthy, allowed disruptions, and no eviction still in flight. Until then
// the API server refuses evictions of the pods it covers.
func (c *ControlPlane) Budget(ns, name string, healthy, allowed int32) Check {
	return func(ctx context.Context) (bool, string, error) {
		pdb, err := c.Kube.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		st := pdb.Status
		return st.ObservedGeneration == pdb.Generation && st.ExpectedPods == healthy && st.CurrentHealthy == healthy &&
				st.DesiredHealthy == healthy-allowed && st.DisruptionsAllowed == allowed && len(st.DisruptedPods) == 0,
			fmt.Sprintf("observed %d/%d expected %d healthy %d desired %d allowed %d disrupted %v", st.ObservedGeneration,
				pdb.Generation, st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy, st.DisruptionsAllowed, st.DisruptedPods), nil
	}
}

// WaitBudget waits (up to WaitTimeout) for Budget(ns, name, healthy, allowed).
func (c *ControlPlane) WaitBudget(t testing.TB, ns, name string, healthy, allowed int32) {
	t.Helper()
	c.Eventually(t, fmt.Sprintf("budget %s/%s allows %d disruptions of %d healthy pods", ns, name, allowed, healthy),
		c.Budget(ns, name, healthy, allowed))
}

// PodReady tells whether a pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
