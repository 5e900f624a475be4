package agent_test

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

func createObj(ctx context.Context, k kubernetes.Interface, obj any) error {
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = k.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Node:
		_, err = k.CoreV1().Nodes().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Pod:
		_, err = k.CoreV1().Pods(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		_, err = k.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.PersistentVolumeClaim:
		_, err = k.CoreV1().PersistentVolumeClaims(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Event:
		_, err = k.CoreV1().Events(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Secret:
		_, err = k.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ConfigMap:
		_, err = k.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.Deployment:
		_, err = k.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.StatefulSet:
		_, err = k.AppsV1().StatefulSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *appsv1.DaemonSet:
		_, err = k.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *batchv1.Job:
		_, err = k.BatchV1().Jobs(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *batchv1.CronJob:
		_, err = k.BatchV1().CronJobs(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	case *discoveryv1.EndpointSlice:
		_, err = k.DiscoveryV1().EndpointSlices(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	default:
		return fmt.Errorf("createObj: unsupported %T", obj)
	}
	return err
}

// podStatus changes a pod's status through the status subresource.
func (h *harness) podStatus(name string, mutate func(*corev1.Pod)) *corev1.Pod {
	h.t.Helper()
	var out *corev1.Pod
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := h.kube.CoreV1().Pods(h.ns).Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(p)
		out, err = h.kube.CoreV1().Pods(h.ns).UpdateStatus(h.ctx(), p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		h.t.Fatalf("pod %s status: %v", name, err)
	}
	return out
}

func (h *harness) nodeStatus(name string, mutate func(*corev1.Node)) *corev1.Node {
	h.t.Helper()
	var out *corev1.Node
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := h.kube.CoreV1().Nodes().Get(h.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(n)
		out, err = h.kube.CoreV1().Nodes().UpdateStatus(h.ctx(), n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		h.t.Fatalf("node %s status: %v", name, err)
	}
	return out
}

func (h *harness) pod(name string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{NodeName: h.ns + "-node"}}
	if len(containers) == 0 {
		containers = []string{"app"}
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "registry.example/" + c + ":1",
			Env: []corev1.EnvVar{{Name: "PASSWORD", Value: "hunter2-" + name}, {Name: "FROM_SECRET",
				ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}}}})
	}
	return p
}

func setRunning(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	now := metav1.Now()
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			Ready: true, Started: ptr(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
}
