package ops

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// nodeCordon marks a node (un)schedulable.
func nodeCordon(ctx context.Context, c *call, cordon bool) (outcome, error) {
	changed, err := setUnschedulable(ctx, c, cordon)
	if err != nil {
		return outcome{}, err
	}
	verb := map[bool]string{true: "cordoned", false: "uncordoned"}[cordon]
	if !changed {
		return outcome{Summary: fmt.Sprintf("node %s was already %s", c.name(), verb)}, nil
	}
	return outcome{Summary: fmt.Sprintf("%s node %s", verb, c.name()),
		Changes: []string{fmt.Sprintf("unschedulable: %v → %v", !cordon, cordon)}}, nil
}

func setUnschedulable(ctx context.Context, c *call, v bool) (changed bool, err error) {
	var n corev1.Node
	if err := c.k.get(ctx, c.kind, "", c.name(), &n); err != nil {
		return false, err
	}
	if n.Spec.Unschedulable == v {
		return false, nil
	}
	patch := map[string]any{"spec": map[string]any{"unschedulable": v}}
	if err := c.k.patch(ctx, c.kind, "", c.name(), "", types.StrategicMergePatchType, patch, nil); err != nil {
		return false, err
	}
	return true, nil
}

const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// evictRetry spaces eviction attempts a PodDisruptionBudget refused.
const evictRetry = 2 * time.Second

// nodeDrain is kubectl drain: cordon, then evict every pod through the
// Eviction API — which honours PodDisruptionBudgets: a refused eviction
// (429) is retried until the command's timeout — and wait for the pods to
// be gone. DaemonSet pods and mirror pods are left (their controllers
// would put them back); a pod with emptyDir data, or one no controller
// would recreate, stops the drain before anything changes unless
// delete_emptydir_data allows the former and force the latter (kubectl
// drain --force: such a pod is gone for good). Progress is reported in the
// command's lease renewals.
func nodeDrain(ctx context.Context, c *call) (outcome, error) {
	var pods corev1.PodList
	q := url.Values{"fieldSelector": {"spec.nodeName=" + c.name()}}
	if err := c.k.list(ctx, kindOf(kinds.Pod), "", q, &pods); err != nil {
		return outcome{}, err
	}
	var evict []corev1.Pod
	var skipped, local, unmanaged []string
	for _, p := range pods.Items {
		ref := metav1.GetControllerOf(&p)
		switch {
		case p.Annotations[mirrorPodAnnotation] != "":
			skipped = append(skipped, p.Namespace+"/"+p.Name+" (mirror pod)")
			continue
		case ref != nil && ref.Kind == "DaemonSet":
			skipped = append(skipped, p.Namespace+"/"+p.Name+" (DaemonSet)")
			continue
		case p.DeletionTimestamp != nil:
			continue // on its way out already
		}
		finished := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		if ref == nil && !finished {
			unmanaged = append(unmanaged, p.Namespace+"/"+p.Name)
		}
		for _, v := range p.Spec.Volumes {
			if v.EmptyDir != nil && !finished {
				local = append(local, p.Namespace+"/"+p.Name)
				break
			}
		}
		evict = append(evict, p)
	}
	switch {
	case len(unmanaged) > 0 && !c.p.Force:
		return outcome{}, refuse("drain of %s stopped before any change: pods no controller would recreate (set force to delete them for good): %s",
			c.name(), strings.Join(unmanaged, ", "))
	case len(local) > 0 && !c.p.DeleteEmptyDirData:
		return outcome{}, refuse("drain of %s stopped before any change: pods with emptyDir data (set delete_emptydir_data to drop it): %s",
			c.name(), strings.Join(local, ", "))
	}
	var o outcome
	cordoned, err := setUnschedulable(ctx, c, true)
	if err != nil {
		return o, err
	}
	if cordoned {
		o.Changes = append(o.Changes, "unschedulable: false → true")
	}
	c.setProgress("cordoned; evicting 0/%d pods", len(evict))
	evicted := 0
	for i := range evict {
		p := &evict[i]
		if err := evictPod(ctx, c, p, func(why string) {
			c.setProgress("evicted %d/%d pods; waiting to evict %s/%s: %s", evicted, len(evict), p.Namespace, p.Name, why)
		}); err != nil {
			o.Summary = fmt.Sprintf("drain of %s stopped: %d of %d pods evicted", c.name(), evicted, len(evict))
			return o, err
		}
		evicted++
		o.Changes = append(o.Changes, fmt.Sprintf("evicted pod %s/%s", p.Namespace, p.Name))
		c.setProgress("evicted %d/%d pods", evicted, len(evict))
	}
	for i := range evict {
		p := &evict[i]
		c.setProgress("evicted %d/%d pods; waiting for %s/%s to terminate", evicted, len(evict), p.Namespace, p.Name)
		if err := waitGone(ctx, c, p); err != nil {
			o.Summary = fmt.Sprintf("drain of %s: %d pods evicted, not all terminated", c.name(), evicted)
			return o, err
		}
	}
	o.Summary = fmt.Sprintf("drained node %s: %d pods evicted", c.name(), evicted)
	if len(skipped) > 0 {
		o.Summary += fmt.Sprintf(", %d left (%s)", len(skipped), strings.Join(skipped, ", "))
	}
	return o, nil
}

// evictPod asks the Eviction API to evict p, retrying while a
// PodDisruptionBudget refuses (429) until ctx ends.
func evictPod(ctx context.Context, c *call, p *corev1.Pod, waiting func(string)) error {
	ev := policyv1.Eviction{TypeMeta: metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: c.p.GraceSeconds,
			Preconditions: &metav1.Preconditions{UID: &p.UID}}}
	for {
		err := c.k.create(ctx, kindOf(kinds.Pod), p.Namespace, p.Name, "eviction", ev, nil)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case apierrors.IsConflict(err):
			return nil // the pod was replaced meanwhile: this one is gone
		case !apierrors.IsTooManyRequests(err):
			return fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
		}
		why := "a PodDisruptionBudget allows no disruption now"
		var se *apierrors.StatusError
		if errors.As(err, &se) && se.ErrStatus.Message != "" {
			why = se.ErrStatus.Message
		}
		waiting(why)
		select {
		case <-ctx.Done():
			return fmt.Errorf("evict %s/%s: %s: %w", p.Namespace, p.Name, why, ctx.Err())
		case <-time.After(evictRetry):
		}
	}
}

// waitGone waits until the evicted pod is gone (or replaced by a new one
// of the same name).
func waitGone(ctx context.Context, c *call, p *corev1.Pod) error {
	for {
		var cur corev1.Pod
		err := c.k.get(ctx, kindOf(kinds.Pod), p.Namespace, p.Name, &cur)
		if apierrors.IsNotFound(err) || (err == nil && cur.UID != p.UID) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s/%s still terminating: %w", p.Namespace, p.Name, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
