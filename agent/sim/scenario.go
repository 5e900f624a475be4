package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/query/lake"
)

// The script. Every incident is a chain of steps on the virtual timeline,
// drawn from the cluster's seeded RNG.

func (c *cluster) schedule() {
	c.after(c.exp(time.Duration(float64(time.Hour)/c.f.cfg.EventRate)), c.incident)
	c.after(c.untilNextHour(), c.cronRun)
	if c.f.cfg.NodeMetrics {
		c.after(0, c.nodeMetrics)
	}
}

func (c *cluster) untilNextHour() time.Duration {
	now := c.clock.Now()
	return now.Truncate(time.Hour).Add(time.Hour).Sub(now)
}

// incident starts one random incident and schedules the next.
func (c *cluster) incident() {
	defer c.after(c.exp(time.Duration(float64(time.Hour)/c.f.cfg.EventRate)), c.incident)
	switch r := c.rng.Float64(); {
	case r < 0.25:
		c.rollout(c.randomApp("Deployment"), c.rng.Float64() < 0.2)
	case r < 0.45:
		c.crashLoop()
	case r < 0.60:
		c.oomKill()
	case r < 0.72:
		c.scale(c.randomApp("Deployment"))
	case r < 0.82:
		c.nodeOutage()
	case r < 0.92:
		c.probeFailures()
	default:
		c.unschedulable()
	}
}

func (c *cluster) randomApp(kind string) *app {
	var apps []*app
	for _, a := range c.apps {
		if a.kind == kind && len(a.pods) > 0 {
			apps = append(apps, a)
		}
	}
	if len(apps) == 0 {
		return nil
	}
	return apps[c.rng.IntN(len(apps))]
}

func (c *cluster) randomPod() (*app, string) {
	a := c.randomApp("Deployment")
	if a == nil {
		return nil, ""
	}
	return a, a.pods[c.rng.IntN(len(a.pods))]
}

func (c *cluster) ctx() context.Context { return context.Background() }

// updatePod applies mutate to a pod; a pod that is gone is skipped.
func (c *cluster) updatePod(ns, name string, mutate func(*corev1.Pod)) bool {
	p, err := c.kube.CoreV1().Pods(ns).Get(c.ctx(), name, metav1.GetOptions{})
	if err != nil {
		return false
	}
	mutate(p)
	c.nextRV(p)
	_, err = c.kube.CoreV1().Pods(ns).UpdateStatus(c.ctx(), p, metav1.UpdateOptions{})
	return err == nil
}

func (c *cluster) create(obj metav1.Object) {
	c.nextRV(obj)
	var err error
	switch o := obj.(type) {
	case *corev1.Pod:
		_, err = c.kube.CoreV1().Pods(o.Namespace).Create(c.ctx(), o, metav1.CreateOptions{})
	case *corev1.Event:
		_, err = c.kube.CoreV1().Events(o.Namespace).Create(c.ctx(), o, metav1.CreateOptions{})
	case *appsv1.ReplicaSet:
		_, err = c.kube.AppsV1().ReplicaSets(o.Namespace).Create(c.ctx(), o, metav1.CreateOptions{})
	case *batchv1.Job:
		_, err = c.kube.BatchV1().Jobs(o.Namespace).Create(c.ctx(), o, metav1.CreateOptions{})
	}
	if err != nil {
		c.log.Debug("sim create failed", "kind", fmt.Sprintf("%T", obj), "name", obj.GetName(), "error", err)
	}
}

func (c *cluster) deletePod(ns, name string) {
	c.writes++
	_ = c.kube.CoreV1().Pods(ns).Delete(c.ctx(), name, metav1.DeleteOptions{})
}

func (c *cluster) updateDeployment(a *app, mutate func(*appsv1.Deployment)) {
	d, err := c.kube.AppsV1().Deployments(a.ns).Get(c.ctx(), a.name, metav1.GetOptions{})
	if err != nil {
		return
	}
	mutate(d)
	c.nextRV(d)
	c.kube.AppsV1().Deployments(a.ns).Update(c.ctx(), d, metav1.UpdateOptions{})
}

// updateReplicaSet changes a ReplicaSet as the deployment controller
// does when a rollout ends (old one scaled to zero) or is rolled back
// (the old one gets the next revision).
func (c *cluster) updateReplicaSet(ns, name string, mutate func(*appsv1.ReplicaSet)) {
	rs, err := c.kube.AppsV1().ReplicaSets(ns).Get(c.ctx(), name, metav1.GetOptions{})
	if err != nil {
		return
	}
	mutate(rs)
	c.nextRV(rs)
	c.kube.AppsV1().ReplicaSets(ns).Update(c.ctx(), rs, metav1.UpdateOptions{})
}

func scaledTo(n int32) func(*appsv1.ReplicaSet) {
	return func(rs *appsv1.ReplicaSet) {
		rs.Spec.Replicas = &n
		rs.Status = appsv1.ReplicaSetStatus{Replicas: n, ReadyReplicas: n, AvailableReplicas: n, FullyLabeledReplicas: n,
			ObservedGeneration: rs.Generation}
	}
}

func (c *cluster) syncEndpoints(a *app, ready int) {
	es := c.endpointSlice(a, ready)
	cur, err := c.kube.DiscoveryV1().EndpointSlices(a.ns).Get(c.ctx(), es.Name, metav1.GetOptions{})
	if err != nil {
		return
	}
	cur.Endpoints = es.Endpoints
	c.nextRV(cur)
	c.kube.DiscoveryV1().EndpointSlices(a.ns).Update(c.ctx(), cur, metav1.UpdateOptions{})
}

func (c *cluster) warning(ns, kind, name, reason, msg string, count int32) {
	c.create(c.event(ns, kind, name, reason, msg, corev1.EventTypeWarning, count))
}

// rollout replaces a Deployment's pods one by one with a new version; a
// bad rollout gets stuck on an image that cannot be pulled, passes its
// progress deadline and is rolled back.
func (c *cluster) rollout(a *app, bad bool) {
	if a == nil {
		return
	}
	good := a.image
	oldRS, oldPods := c.newRevision(a, func() {
		a.image = fmt.Sprintf("registry.example/%s/%s:1.%d.%d", a.ns, a.name, a.version, c.rng.IntN(9))
	})
	c.log.Info("sim: rollout", "app", a.ns+"/"+a.name, "image", a.image, "bad", bad)
	if bad {
		name := c.podName(a.rsName)
		p := c.newPod(a, name, c.nodes[c.rng.IntN(len(c.nodes))])
		waitingPod(p, "ErrImagePull", "rpc error: code = NotFound desc = failed to pull and unpack image "+a.image)
		c.create(p)
		c.after(time.Minute, func() {
			c.updatePod(a.ns, name, func(p *corev1.Pod) {
				waitingPod(p, "ImagePullBackOff", `Back-off pulling image "`+a.image+`"`)
			})
			c.warning(a.ns, "Pod", name, "BackOff", `Back-off pulling image "`+a.image+`"`, 3)
			c.updateDeployment(a, func(d *appsv1.Deployment) {
				d.Status.UpdatedReplicas, d.Status.UnavailableReplicas = 1, 1
			})
		})
		c.after(11*time.Minute, func() {
			c.updateDeployment(a, func(d *appsv1.Deployment) {
				now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
				d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
					Reason: "ProgressDeadlineExceeded", Message: fmt.Sprintf("ReplicaSet %q has timed out progressing.", a.rsName),
					LastUpdateTime: now, LastTransitionTime: now}}
			})
		})
		c.after(20*time.Minute, func() { // rollback
			c.deletePod(a.ns, name)
			c.updateReplicaSet(a.ns, a.rsName, scaledTo(0))
			a.image, a.rsName = good, oldRS
			a.version++
			revision := map[string]string{revisionAnnotation: fmt.Sprint(a.version)}
			c.updateReplicaSet(a.ns, oldRS, func(rs *appsv1.ReplicaSet) { rs.Annotations = revision })
			c.updateDeployment(a, func(d *appsv1.Deployment) {
				d.Generation++
				d.Annotations = revision
				d.Spec.Template.Spec.Containers[0].Image = good
				c.deploymentHealthy(d, len(a.pods))
			})
			c.log.Info("sim: rolled back", "app", a.ns+"/"+a.name)
		})
		return
	}
	c.replacePods(a, oldRS, oldPods)
}

// newRevision starts a Deployment's next ReplicaSet, its template as
// change leaves the app, and returns the ReplicaSet and pods it replaces.
func (c *cluster) newRevision(a *app, change func()) (oldRS string, oldPods []string) {
	a.version++
	oldRS, oldPods = a.rsName, append([]string(nil), a.pods...)
	a.rsName, a.rsUID = fmt.Sprintf("%s-%x", a.name, c.rng.Uint32()&0xfffffff), c.uid()
	change()
	_, rs := c.deployment(a)
	c.create(rs)
	c.updateDeployment(a, func(d *appsv1.Deployment) {
		d.Generation++
		d.Annotations = rs.Annotations
		d.Spec.Template.Spec.Containers[0].Image = a.image
		d.Status.UpdatedReplicas = 0
	})
	return oldRS, oldPods
}

// replacePods replaces the old ReplicaSet's pods with new ones, one every
// 15 s.
func (c *cluster) replacePods(a *app, oldRS string, oldPods []string) {
	a.pods = nil
	for i, old := range oldPods {
		c.after(time.Duration(i+1)*15*time.Second, func() {
			name := c.podName(a.rsName)
			c.create(c.newPod(a, name, c.placeNode()))
			c.deletePod(a.ns, old)
			a.pods = append(a.pods, name)
			delete(c.crashing, old)
			c.updateDeployment(a, func(d *appsv1.Deployment) { d.Status.UpdatedReplicas = int32(len(a.pods)) })
			if i == len(oldPods)-1 {
				c.updateReplicaSet(a.ns, oldRS, scaledTo(0))
				c.syncEndpoints(a, len(a.pods))
				c.updateDeployment(a, func(d *appsv1.Deployment) { c.deploymentHealthy(d, len(a.pods)) })
			}
		})
	}
}

func waitingPod(p *corev1.Pod, reason, msg string) {
	p.Status.Phase = corev1.PodPending
	for i := range p.Status.Conditions {
		if t := p.Status.Conditions[i].Type; t == corev1.PodReady || t == corev1.ContainersReady {
			p.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	s := &p.Status.ContainerStatuses[0]
	s.Ready, s.Started = false, ptr(false)
	s.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

// crashLoop makes a pod's container crash with growing back-off for a
// while, then recover.
func (c *cluster) crashLoop() {
	a, name := c.randomPod()
	if a == nil || c.crashing[name] {
		return
	}
	c.crashing[name] = true
	until := c.clock.Now().Add(20*time.Minute + c.exp(30*time.Minute))
	backoff := 10 * time.Second
	var crash func()
	crash = func() {
		if !c.crashing[name] {
			return
		}
		if c.clock.Now().After(until) {
			delete(c.crashing, name)
			c.updatePod(a.ns, name, c.setRunning)
			return
		}
		ok := c.updatePod(a.ns, name, func(p *corev1.Pod) {
			s := &p.Status.ContainerStatuses[0]
			now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
			s.RestartCount++
			s.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error",
				Message: "panic: connection refused: db:5432", StartedAt: now, FinishedAt: now}}
			s.Ready = false
			s.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", backoff, s.Name, name)}}
			for i := range p.Status.Conditions {
				if p.Status.Conditions[i].Type == corev1.PodReady {
					p.Status.Conditions[i].Status = corev1.ConditionFalse
				}
			}
		})
		if !ok {
			delete(c.crashing, name)
			return
		}
		c.warning(a.ns, "Pod", name, "BackOff", "Back-off restarting failed container", 1)
		c.after(backoff, func() { c.updatePod(a.ns, name, c.setRunning) })
		backoff = min(2*backoff, 5*time.Minute)
		c.after(backoff+20*time.Second, crash)
	}
	c.log.Info("sim: crash loop", "pod", a.ns+"/"+name)
	crash()
}

// oomKill kills one container for memory.
func (c *cluster) oomKill() {
	a, name := c.randomPod()
	if a == nil {
		return
	}
	c.updatePod(a.ns, name, func(p *corev1.Pod) {
		c.setRunning(p)
		s := &p.Status.ContainerStatuses[0]
		now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
		s.RestartCount++
		s.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled",
			StartedAt: now, FinishedAt: now}}
	})
	c.log.Info("sim: OOM kill", "pod", a.ns+"/"+name)
}

// scale changes a Deployment's replicas by a few.
func (c *cluster) scale(a *app) {
	if a == nil {
		return
	}
	delta := c.rng.IntN(5) - 2
	if delta == 0 || len(a.pods)+delta < 1 {
		return
	}
	c.scaleTo(a, len(a.pods)+delta)
	c.updateDeployment(a, func(d *appsv1.Deployment) {
		d.Spec.Replicas = ptr(int32(a.replicas))
		c.deploymentHealthy(d, a.replicas)
	})
	c.syncEndpoints(a, a.replicas)
	c.log.Info("sim: scaled", "app", a.ns+"/"+a.name, "replicas", a.replicas)
}

// nodeOutage takes a node NotReady (its pods unready) and brings it back.
func (c *cluster) nodeOutage() {
	node := c.nodes[3%len(c.nodes)+c.rng.IntN(max(1, len(c.nodes)-3))%len(c.nodes)]
	if c.notReady[node] {
		return
	}
	c.notReady[node] = true
	set := func(ready bool) {
		n, err := c.kube.CoreV1().Nodes().Get(c.ctx(), node, metav1.GetOptions{})
		if err != nil {
			return
		}
		n.Status.Conditions = nodeConditions(ready, metav1.NewTime(c.clock.Now().Truncate(time.Second)))
		c.nextRV(n)
		c.kube.CoreV1().Nodes().UpdateStatus(c.ctx(), n, metav1.UpdateOptions{})
		pods, err := c.kube.CoreV1().Pods("").List(c.ctx(), metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.Spec.NodeName != node {
				continue // the fake ignores field selectors
			}
			c.updatePod(p.Namespace, p.Name, func(p *corev1.Pod) {
				for j := range p.Status.Conditions {
					if t := p.Status.Conditions[j].Type; t == corev1.PodReady || t == corev1.ContainersReady {
						p.Status.Conditions[j].Status = boolCond(ready)
						p.Status.Conditions[j].LastTransitionTime = metav1.NewTime(c.clock.Now().Truncate(time.Second))
					}
				}
			})
		}
	}
	set(false)
	c.log.Info("sim: node NotReady", "node", node)
	c.after(3*time.Minute+c.exp(5*time.Minute), func() {
		set(true)
		delete(c.notReady, node)
		c.log.Info("sim: node Ready again", "node", node)
	})
}

// probeFailures makes a pod fail its readiness probe for a while.
func (c *cluster) probeFailures() {
	a, name := c.randomPod()
	if a == nil {
		return
	}
	c.updatePod(a.ns, name, func(p *corev1.Pod) {
		for i := range p.Status.Conditions {
			if t := p.Status.Conditions[i].Type; t == corev1.PodReady || t == corev1.ContainersReady {
				p.Status.Conditions[i].Status = corev1.ConditionFalse
				p.Status.Conditions[i].Reason = "ContainersNotReady"
				p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(c.clock.Now().Truncate(time.Second))
			}
		}
		p.Status.ContainerStatuses[0].Ready = false
	})
	c.warning(a.ns, "Pod", name, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", 4)
	c.after(2*time.Minute+c.exp(10*time.Minute), func() { c.updatePod(a.ns, name, c.setRunning) })
}

// unschedulable adds a pod that fits nowhere for a while.
func (c *cluster) unschedulable() {
	a := c.randomApp("Deployment")
	if a == nil {
		return
	}
	name := c.podName(a.rsName)
	p := c.newPod(a, name, "")
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBurstable, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, LastTransitionTime: now,
		Message: fmt.Sprintf("0/%d nodes are available: %d Insufficient memory.", len(c.nodes), len(c.nodes))}}}
	c.create(p)
	c.warning(a.ns, "Pod", name, "FailedScheduling", p.Status.Conditions[0].Message, 1)
	c.after(5*time.Minute+c.exp(10*time.Minute), func() { c.deletePod(a.ns, name) })
}

// cronRun runs the hourly CronJob: most runs succeed, some fail.
func (c *cluster) cronRun() {
	defer c.after(c.untilNextHour(), c.cronRun)
	cj, err := c.kube.BatchV1().CronJobs("batch").Get(c.ctx(), "nightly-report", metav1.GetOptions{})
	if err != nil {
		return
	}
	c.jobSeq++
	name := fmt.Sprintf("nightly-report-%d", 2000+c.jobSeq)
	c.create(c.job(cj, name))
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	cj.Status.LastScheduleTime = &now
	cj.Status.Active = []corev1.ObjectReference{{Kind: "Job", Namespace: "batch", Name: name}}
	c.nextRV(cj)
	c.kube.BatchV1().CronJobs("batch").UpdateStatus(c.ctx(), cj, metav1.UpdateOptions{})
	fail := c.rng.Float64() < 0.2
	c.after(2*time.Minute+c.exp(2*time.Minute), func() {
		j, err := c.kube.BatchV1().Jobs("batch").Get(c.ctx(), name, metav1.GetOptions{})
		if err != nil {
			return
		}
		at := c.clock.Now()
		if fail {
			failJob(j, at)
		} else {
			completeJob(j, at)
		}
		c.nextRV(j)
		c.kube.BatchV1().Jobs("batch").UpdateStatus(c.ctx(), j, metav1.UpdateOptions{})
		if cj, err := c.kube.BatchV1().CronJobs("batch").Get(c.ctx(), "nightly-report", metav1.GetOptions{}); err == nil {
			cj.Status.Active = nil
			if !fail {
				t := metav1.NewTime(at.Truncate(time.Second))
				cj.Status.LastSuccessfulTime = &t
			}
			c.nextRV(cj)
			c.kube.BatchV1().CronJobs("batch").UpdateStatus(c.ctx(), cj, metav1.UpdateOptions{})
		}
		// Keep the last three runs, as successfulJobsHistoryLimit would.
		if old := c.jobSeq - 3; old > 0 {
			c.writes++
			c.kube.BatchV1().Jobs("batch").Delete(c.ctx(), fmt.Sprintf("nightly-report-%d", 2000+old), metav1.DeleteOptions{})
		}
	})
}

func completeJob(j *batchv1.Job, at time.Time) {
	t := metav1.NewTime(at.Truncate(time.Second))
	if j.Status.StartTime == nil || j.Status.StartTime.After(t.Time) {
		start := metav1.NewTime(t.Add(-2 * time.Minute))
		j.Status.StartTime = &start
	}
	j.Status.Active, j.Status.Succeeded, j.Status.CompletionTime = 0, 1, &t
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: t}}
}

func failJob(j *batchv1.Job, at time.Time) {
	t := metav1.NewTime(at.Truncate(time.Second))
	j.Status.Active, j.Status.Failed = 0, 3
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", LastTransitionTime: t,
			Message: "Job has reached the specified backoff limit"},
		{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", LastTransitionTime: t,
			Message: "Job has reached the specified backoff limit"}}
}

// nodeMetrics pushes one round of samples per node, as collectors would,
// every 15 virtual seconds: smooth daily load curves plus noise.
func (c *cluster) nodeMetrics() {
	const every = 15 * time.Second
	at := c.clock.Now().Truncate(every)
	defer c.after(at.Add(every).Sub(c.clock.Now()), c.nodeMetrics)
	day := float64(at.Hour()*3600+at.Minute()*60) / 86400
	diurnal := 0.5 + 0.35*math.Sin(2*math.Pi*(day-0.3))
	rows := make([]lake.NodeMetric, 0, len(c.nodes)*12)
	for i, node := range c.nodes {
		if c.notReady[node] {
			continue // a NotReady node's collector is quiet too
		}
		base := diurnal * (0.6 + 0.4*math.Sin(float64(i)))
		user := clamp(100*base*0.7+c.rng.NormFloat64()*3, 0, 95)
		sys := clamp(100*base*0.15+c.rng.NormFloat64(), 0, 30)
		mem := 32 * (1 << 30) * clamp(0.35+base*0.4+c.rng.NormFloat64()*0.01, 0.05, 0.97)
		rows = append(rows,
			lakeNodeMetric(at, node, "cpu.user_pct", "", round1(user)),
			lakeNodeMetric(at, node, "cpu.system_pct", "", round1(sys)),
			lakeNodeMetric(at, node, "cpu.idle_pct", "", round1(100-user-sys)),
			lakeNodeMetric(at, node, "load.1m", "", round1(8*base+c.rng.Float64())),
			lakeNodeMetric(at, node, "mem.total_bytes", "", 32*(1<<30)),
			lakeNodeMetric(at, node, "mem.used_bytes", "", math.Round(mem/(1<<20))*(1<<20)),
			lakeNodeMetric(at, node, "fs.size_bytes", "/", 100*(1<<30)),
			lakeNodeMetric(at, node, "fs.used_bytes", "/", float64((40+i%30)*(1<<30))),
			lakeNodeMetric(at, node, "net.rx_bytes_per_s", "eth0", math.Round(base*5e6+c.rng.Float64()*1e5)),
			lakeNodeMetric(at, node, "net.tx_bytes_per_s", "eth0", math.Round(base*3e6+c.rng.Float64()*1e5)),
		)
	}
	if err := c.agent.NodeMetrics(c.ctx(), rows); err != nil {
		c.log.Debug("sim: node metrics refused", "error", err)
	}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
func round1(v float64) float64        { return math.Round(v*10) / 10 }
