package controlplane

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeAnnotation marks the nodes kwok plays the kubelet for.
const nodeAnnotation = "kwok.x-k8s.io/node"

// PodReadyDelay is the pod annotation (a Go duration, e.g. "3s") that
// makes kwok wait that long before a pod becomes Running and Ready.
const PodReadyDelay = "pod-ready.stage.kwok.x-k8s.io/delay"

// NodeLabel is set to "true" on every node the control plane made, so
// tests can select them.
const NodeLabel = "atlhyper.local/kwok"

// AddNodes creates n kwok nodes (32 CPUs, 256 GiB, 110 pods each, like a
// large VM) and returns their names once all are Ready.
func (c *ControlPlane) AddNodes(ctx context.Context, n int) ([]string, error) {
	names := make([]string, 0, n)
	for range n {
		c.mu.Lock()
		name := fmt.Sprintf("kwok-node-%d", c.nodeSeq)
		c.nodeSeq++
		c.mu.Unlock()
		capacity := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("32"),
			corev1.ResourceMemory: resource.MustParse("256Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{nodeAnnotation: "fake"},
				Labels: map[string]string{
					NodeLabel:                "true",
					"kubernetes.io/hostname": name,
					"kubernetes.io/os":       "linux",
					"kubernetes.io/arch":     "amd64",
				},
			},
			// A node's status may be set on create; kwok fills in the rest
			// (conditions, addresses, node info) and keeps this capacity.
			Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
		}
		if _, err := c.Kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return names, fmt.Errorf("create node %s: %w", name, err)
		}
		names = append(names, name)
	}
	return names, c.WaitNodesReady(ctx, names...)
}

// WaitNodesReady waits until every named node reports Ready.
func (c *ControlPlane) WaitNodesReady(ctx context.Context, names ...string) error {
	err := WaitFor(ctx, fmt.Sprintf("nodes %v Ready", names), func(ctx context.Context) (bool, string, error) {
		for _, name := range names {
			node, err := c.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil || !NodeReady(node) {
				return false, fmt.Sprintf("%s not Ready (%v)", name, err), nil
			}
		}
		return true, "", nil
	})
	if err != nil {
		return fmt.Errorf("%w%s", err, c.logTails("kwok"))
	}
	return nil
}

// NodeReady tells whether a node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
