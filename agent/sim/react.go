package sim

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// kickScript wakes the script's loop to react to a command's change.
func (c *cluster) kickScript() {
	select {
	case c.kicks <- struct{}{}:
	default:
	}
}

// react plays the controllers' part after remote operations changed the
// cluster (agent/ops through opsAPI), on the script's loop, which owns
// the script's model: a deleted or evicted pod is replaced, a new replica
// count gets its pods, a changed Deployment template (restart, set image,
// undo) rolls out, new pods avoid cordoned nodes, and disruption budgets
// recount their healthy pods.
func (c *cluster) react() {
	nodes, err := c.kube.CoreV1().Nodes().List(c.ctx(), metav1.ListOptions{})
	if err != nil {
		return
	}
	c.cordoned = map[string]bool{}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			c.cordoned[n.Name] = true
		}
	}
	pods, err := c.kube.CoreV1().Pods("").List(c.ctx(), metav1.ListOptions{})
	if err != nil {
		return
	}
	exists := map[string]bool{}
	for _, p := range pods.Items {
		exists[p.Namespace+"/"+p.Name] = true
	}
	for _, a := range c.apps {
		replaced := 0
		for i, name := range a.pods {
			if exists[a.ns+"/"+name] {
				continue
			}
			delete(c.crashing, name)
			node := c.placeNode()
			switch a.kind {
			case "Deployment":
				name = c.podName(a.rsName)
			case "DaemonSet":
				name, node = c.podName(a.name), c.nodes[i%len(c.nodes)]
			}
			c.create(c.newPod(a, name, node))
			a.pods[i] = name
			replaced++
		}
		want := a.replicas
		switch a.kind {
		case "Deployment":
			d, err := c.kube.AppsV1().Deployments(a.ns).Get(c.ctx(), a.name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			want = int(*d.Spec.Replicas)
			t := d.Spec.Template
			if img, at := t.Spec.Containers[0].Image, t.Annotations[restartedAtAnnotation]; img != a.image || at != a.restartedAt {
				oldRS, oldPods := c.newRevision(a, func() { a.image, a.restartedAt = img, at })
				c.replacePods(a, oldRS, oldPods)
				c.log.Info("sim: rollout by command", "app", a.ns+"/"+a.name, "image", img, "restarted_at", at)
			}
		case "StatefulSet":
			s, err := c.kube.AppsV1().StatefulSets(a.ns).Get(c.ctx(), a.name, metav1.GetOptions{})
			if err != nil {
				continue
			}
			want = int(*s.Spec.Replicas)
		}
		if want == a.replicas && replaced == 0 {
			continue
		}
		if want != a.replicas {
			c.scaleTo(a, want)
			c.log.Info("sim: scaled by command", "app", a.ns+"/"+a.name, "replicas", want)
		}
		switch a.kind {
		case "Deployment":
			c.updateDeployment(a, func(d *appsv1.Deployment) { c.deploymentHealthy(d, len(a.pods)) })
			c.updateReplicaSet(a.ns, a.rsName, scaledTo(int32(len(a.pods))))
		case "StatefulSet":
			if s, err := c.kube.AppsV1().StatefulSets(a.ns).Get(c.ctx(), a.name, metav1.GetOptions{}); err == nil {
				n := int32(len(a.pods))
				s.Status.Replicas, s.Status.ReadyReplicas, s.Status.AvailableReplicas = n, n, n
				s.Status.CurrentReplicas, s.Status.UpdatedReplicas = n, n
				c.nextRV(s)
				c.kube.AppsV1().StatefulSets(a.ns).UpdateStatus(c.ctx(), s, metav1.UpdateOptions{})
			}
		}
		if a.kind != "DaemonSet" {
			c.syncEndpoints(a, len(a.pods))
		}
	}
	c.recountBudgets()
}

// recountBudgets sets each PodDisruptionBudget's healthy pods and allowed
// disruptions from the pods it selects, as the disruption controller does.
func (c *cluster) recountBudgets() {
	pdbs, err := c.kube.PolicyV1().PodDisruptionBudgets("").List(c.ctx(), metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range pdbs.Items {
		b := &pdbs.Items[i]
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err != nil {
			continue
		}
		pods, err := c.kube.CoreV1().Pods(b.Namespace).List(c.ctx(), metav1.ListOptions{})
		if err != nil {
			continue
		}
		healthy := int32(0)
		for _, p := range pods.Items {
			if sel.Matches(labels.Set(p.Labels)) && p.DeletionTimestamp == nil {
				healthy++
			}
		}
		allowed := max(0, healthy-b.Status.DesiredHealthy)
		if healthy == b.Status.CurrentHealthy && allowed == b.Status.DisruptionsAllowed {
			continue
		}
		b.Status.CurrentHealthy, b.Status.DisruptionsAllowed = healthy, allowed
		c.nextRV(b)
		c.kube.PolicyV1().PodDisruptionBudgets(b.Namespace).UpdateStatus(c.ctx(), b, metav1.UpdateOptions{})
	}
}

// scaleTo gives an app n pods, adding new ones or removing the newest.
func (c *cluster) scaleTo(a *app, n int) {
	for len(a.pods) < n {
		name := c.podName(a.rsName)
		if a.kind == "StatefulSet" {
			name = fmt.Sprintf("%s-%d", a.name, len(a.pods))
		}
		c.create(c.newPod(a, name, c.placeNode()))
		a.pods = append(a.pods, name)
	}
	for len(a.pods) > n {
		last := a.pods[len(a.pods)-1]
		c.deletePod(a.ns, last)
		delete(c.crashing, last)
		a.pods = a.pods[:len(a.pods)-1]
	}
	a.replicas = n
}

// placeNode picks a node for a new pod, as the scheduler would: not a
// cordoned one, while there is another.
func (c *cluster) placeNode() string {
	node := c.nodes[c.rng.IntN(len(c.nodes))]
	if c.cordoned[node] {
		var ok []string
		for _, n := range c.nodes {
			if !c.cordoned[n] {
				ok = append(ok, n)
			}
		}
		if len(ok) > 0 {
			node = ok[c.rng.IntN(len(ok))]
		}
	}
	return node
}
