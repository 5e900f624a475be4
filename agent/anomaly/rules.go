package anomaly

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/rows"
)

func since(t metav1.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func termKey(t *corev1.ContainerStateTerminated) string {
	switch {
	case !t.FinishedAt.IsZero():
		return "term@" + t.FinishedAt.UTC().Format(time.RFC3339)
	case t.ContainerID != "":
		return "term@" + t.ContainerID
	}
	return "term@" + t.StartedAt.UTC().Format(time.RFC3339)
}

// Pod evaluates the container and pod rules.
func Pod(p *corev1.Pod) []Observation {
	var out []Observation
	base := Observation{Kind: rows.KindPod, Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), Node: p.Spec.NodeName}
	restartable := func(init bool, spec *corev1.Container) bool {
		if init && spec != nil && spec.RestartPolicy != nil && *spec.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return true
		}
		return p.Spec.RestartPolicy != corev1.RestartPolicyNever
	}
	containers := func(specs []corev1.Container, statuses []corev1.ContainerStatus, init bool) {
		for i := range statuses {
			s := &statuses[i]
			var spec *corev1.Container
			for j := range specs {
				if specs[j].Name == s.Name {
					spec = &specs[j]
				}
			}
			o := base
			o.Container = s.Name
			last := s.LastTerminationState.Terminated
			withTerm := func(o Observation, t *corev1.ContainerStateTerminated) Observation {
				if t != nil {
					o.ExitCode, o.TerminationReason, o.TerminationMsg = &t.ExitCode, t.Reason, t.Message
				}
				return o
			}
			if w := s.State.Waiting; w != nil {
				st := o
				st.Reason, st.Message = w.Reason, w.Message
				switch w.Reason {
				case "CrashLoopBackOff":
					st.Rule, st.CounterKey, st.Counter = ContainerCrashLoop, "restarts", int64(s.RestartCount)
					out = append(out, withTerm(st, last))
				case "ImagePullBackOff", "ErrImagePull":
					st.Rule = ContainerImagePull
					out = append(out, st)
				case "InvalidImageName":
					st.Rule = ContainerInvalidImage
					out = append(out, st)
				case "CreateContainerConfigError":
					st.Rule = ContainerConfigError
					out = append(out, st)
				case "CreateContainerError":
					st.Rule = ContainerCreateError
					out = append(out, st)
				case "RunContainerError":
					st.Rule = ContainerStartError
					out = append(out, withTerm(st, last))
				}
			}
			for _, t := range []*corev1.ContainerStateTerminated{s.State.Terminated, last} {
				if t == nil {
					continue
				}
				pu := withTerm(o, t)
				pu.Pulse, pu.At, pu.CounterKey, pu.Counter = true, since(t.FinishedAt), termKey(t), 1
				pu.Reason, pu.Message = t.Reason, t.Message
				switch {
				case t.Reason == "OOMKilled":
					pu.Rule = ContainerOOMKilled
				case t.Reason == "ContainerCannotRun" || t.Reason == "StartError":
					pu.Rule = ContainerStartError
				case t.ExitCode != 0 && !restartable(init, spec):
					pu.Rule = ContainerErrorExit
					if pu.Reason == "" {
						pu.Reason = "Error"
					}
					pu.Message = fmt.Sprintf("exit code %d", t.ExitCode)
					if t.Message != "" {
						pu.Message += ": " + t.Message
					}
				default:
					continue
				}
				out = append(out, pu)
			}
		}
	}
	containers(p.Spec.InitContainers, p.Status.InitContainerStatuses, true)
	containers(p.Spec.Containers, p.Status.ContainerStatuses, false)
	containerLevel := len(out) > 0

	if p.Status.Reason == "Evicted" {
		o := base
		o.Rule, o.Reason, o.Message = PodEvicted, p.Status.Reason, p.Status.Message
		out = append(out, o)
	}
	if p.DeletionTimestamp != nil {
		return out
	}
	var ready, scheduled *corev1.PodCondition
	for i := range p.Status.Conditions {
		switch c := &p.Status.Conditions[i]; c.Type {
		case corev1.PodReady:
			ready = c
		case corev1.PodScheduled:
			scheduled = c
		}
	}
	switch p.Status.Phase {
	case corev1.PodPending:
		if scheduled != nil && scheduled.Status == corev1.ConditionFalse && scheduled.Reason == corev1.PodReasonUnschedulable {
			o := base
			o.Rule, o.Reason, o.Message, o.Since = PodUnschedulable, scheduled.Reason, scheduled.Message, since(scheduled.LastTransitionTime)
			out = append(out, o)
		} else if !containerLevel {
			o := base
			o.Rule, o.Reason, o.Since = PodPending, "Pending", since(p.CreationTimestamp)
			o.Message = "pod has been Pending since it was created"
			out = append(out, o)
		}
	case corev1.PodRunning:
		if ready != nil && ready.Status == corev1.ConditionFalse && !containerLevel {
			o := base
			o.Rule, o.Reason, o.Message, o.Since = PodNotReady, ready.Reason, ready.Message, since(ready.LastTransitionTime)
			if o.Reason == "" {
				o.Reason = "NotReady"
			}
			out = append(out, o)
		}
	}
	return out
}

// Node evaluates the node rules.
func Node(n *corev1.Node) []Observation {
	var out []Observation
	base := Observation{Kind: rows.KindNode, Name: n.Name, UID: string(n.UID), Node: n.Name}
	for _, c := range n.Status.Conditions {
		o := base
		o.Reason, o.Message, o.Since = c.Reason, c.Message, since(c.LastTransitionTime)
		o.CounterKey, o.Counter = "transition@"+o.Since.Format(time.RFC3339), 1
		switch {
		case c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue:
			o.Rule = NodeNotReady
			if o.Reason == "" {
				o.Reason = "Ready=" + string(c.Status)
			}
		case c.Type == corev1.NodeMemoryPressure && c.Status == corev1.ConditionTrue:
			o.Rule = NodeMemoryPressure
		case c.Type == corev1.NodeDiskPressure && c.Status == corev1.ConditionTrue:
			o.Rule = NodeDiskPressure
		case c.Type == corev1.NodePIDPressure && c.Status == corev1.ConditionTrue:
			o.Rule = NodePIDPressure
		case c.Type == corev1.NodeNetworkUnavailable && c.Status == corev1.ConditionTrue:
			o.Rule = NodeNetworkUnavailable
		default:
			continue
		}
		if o.Reason == "" {
			o.Reason = string(c.Type)
		}
		out = append(out, o)
	}
	if n.Spec.Unschedulable {
		o := base
		o.Rule, o.Reason, o.Message = NodeCordoned, "Unschedulable", "node is cordoned"
		out = append(out, o)
	}
	return out
}

func wanted(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// Deployment evaluates the Deployment rules.
func Deployment(d *appsv1.Deployment) []Observation {
	var out []Observation
	base := Observation{Kind: rows.KindDeployment, Namespace: d.Namespace, Name: d.Name, UID: string(d.UID)}
	if want := wanted(d.Spec.Replicas); want > 0 && d.Status.AvailableReplicas < want {
		o := base
		o.Rule, o.Reason = DeploymentUnavailable, "ReplicasUnavailable"
		o.Message = fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)
		if d.Status.AvailableReplicas == 0 {
			o.Severity = Critical
		}
		out = append(out, o)
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			o := base
			o.Rule, o.Reason, o.Message, o.Since = DeploymentProgress, c.Reason, c.Message, since(c.LastTransitionTime)
			out = append(out, o)
		}
	}
	return out
}

// StatefulSet evaluates the StatefulSet rule.
func StatefulSet(s *appsv1.StatefulSet) []Observation {
	want := wanted(s.Spec.Replicas)
	if want == 0 || s.Status.ReadyReplicas >= want {
		return nil
	}
	o := Observation{Rule: StatefulSetUnavailable, Kind: rows.KindStatefulSet, Namespace: s.Namespace, Name: s.Name,
		UID: string(s.UID), Reason: "ReplicasNotReady", Message: fmt.Sprintf("%d of %d replicas ready", s.Status.ReadyReplicas, want)}
	if s.Status.ReadyReplicas == 0 {
		o.Severity = Critical
	}
	return []Observation{o}
}

// DaemonSet evaluates the DaemonSet rule.
func DaemonSet(d *appsv1.DaemonSet) []Observation {
	want := d.Status.DesiredNumberScheduled
	if want == 0 || (d.Status.NumberUnavailable == 0 && d.Status.NumberReady >= want) {
		return nil
	}
	o := Observation{Rule: DaemonSetUnavailable, Kind: rows.KindDaemonSet, Namespace: d.Namespace, Name: d.Name,
		UID: string(d.UID), Reason: "PodsUnavailable",
		Message: fmt.Sprintf("%d of %d pods ready, %d unavailable", d.Status.NumberReady, want, d.Status.NumberUnavailable)}
	if d.Status.NumberReady == 0 {
		o.Severity = Critical
	}
	return []Observation{o}
}

func failedCondition(j *batchv1.Job) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if c := &j.Status.Conditions[i]; c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// Job evaluates the Job rule. Jobs of CronJobs are judged through their
// CronJob (CronJob), not one by one.
func Job(j *batchv1.Job) []Observation {
	if ref := metav1.GetControllerOf(j); ref != nil && ref.Kind == rows.KindCronJob {
		return nil
	}
	c := failedCondition(j)
	if c == nil {
		return nil
	}
	return []Observation{{Rule: JobFailed, Kind: rows.KindJob, Namespace: j.Namespace, Name: j.Name, UID: string(j.UID),
		Reason: c.Reason, Message: c.Message, Since: since(c.LastTransitionTime)}}
}

// finishedAt is when a job finished, or zero while it runs.
func finishedAt(j *batchv1.Job) time.Time {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobFailed || c.Type == batchv1.JobComplete) && c.Status == corev1.ConditionTrue {
			if !c.LastTransitionTime.IsZero() {
				return c.LastTransitionTime.Time
			}
			return j.CreationTimestamp.Time
		}
	}
	return time.Time{}
}

// LastFinishedJob is the most recently finished of jobs (by finish time,
// then creation), or nil.
func LastFinishedJob(jobs []*batchv1.Job) *batchv1.Job {
	var last *batchv1.Job
	var lastAt time.Time
	for _, j := range jobs {
		at := finishedAt(j)
		if at.IsZero() {
			continue
		}
		if last == nil || at.After(lastAt) || (at.Equal(lastAt) && j.CreationTimestamp.After(last.CreationTimestamp.Time)) {
			last, lastAt = j, at
		}
	}
	return last
}

// CronJob evaluates the CronJob rule given the jobs it owns.
func CronJob(c *batchv1.CronJob, jobs []*batchv1.Job) []Observation {
	last := LastFinishedJob(jobs)
	if last == nil {
		return nil
	}
	f := failedCondition(last)
	if f == nil {
		return nil
	}
	return []Observation{{Rule: CronJobLastRunFailed, Kind: rows.KindCronJob, Namespace: c.Namespace, Name: c.Name,
		UID: string(c.UID), Reason: f.Reason, Message: fmt.Sprintf("job %s failed: %s", last.Name, f.Message),
		Since: since(f.LastTransitionTime), CounterKey: "run:" + last.Name, Counter: 1}}
}

// PVC evaluates the PersistentVolumeClaim rules.
func PVC(pvc *corev1.PersistentVolumeClaim) []Observation {
	base := Observation{Kind: rows.KindPersistentVolumeClaim, Namespace: pvc.Namespace, Name: pvc.Name, UID: string(pvc.UID)}
	switch pvc.Status.Phase {
	case corev1.ClaimPending:
		if pvc.DeletionTimestamp != nil {
			return nil
		}
		base.Rule, base.Reason, base.Since = PVCPending, "Pending", since(pvc.CreationTimestamp)
		base.Message = "claim is not bound"
	case corev1.ClaimLost:
		base.Rule, base.Reason, base.Message = PVCLost, "Lost", "bound volume "+pvc.Spec.VolumeName+" no longer exists"
	default:
		return nil
	}
	return []Observation{base}
}

// Service evaluates the Service rule given its EndpointSlices.
func Service(s *corev1.Service, slices []*discoveryv1.EndpointSlice) []Observation {
	if len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	var ready, notReady int32
	for _, sl := range slices {
		r, n := rows.EndpointCounts(sl)
		ready += r
		notReady += n
	}
	if ready > 0 {
		return nil
	}
	return []Observation{{Rule: ServiceNoEndpoints, Kind: rows.KindService, Namespace: s.Namespace, Name: s.Name,
		UID: string(s.UID), Reason: "NoReadyEndpoints",
		Message: fmt.Sprintf("selector %s matches no ready endpoint (%d not ready)", rows.MapSelector(s.Spec.Selector), notReady)}}
}

var eventRules = map[string]string{
	"FailedScheduling":       EventFailedScheduling,
	"BackOff":                EventBackOff,
	"FailedMount":            EventFailedMount,
	"FailedAttachVolume":     EventFailedAttach,
	"FailedCreatePodSandBox": EventSandbox,
	"Evicted":                EventEvicted,
	"Unhealthy":              EventUnhealthy,
}

// UnhealthyRepeats is how often an Unhealthy event must repeat before it
// is an anomaly: single probe failures are normal during start-up.
const UnhealthyRepeats = 3

// Event evaluates the event rules: Warning events only, as pulses about
// their involved object.
func Event(e *corev1.Event) []Observation {
	if e.Type != corev1.EventTypeWarning {
		return nil
	}
	rule, ok := eventRules[e.Reason]
	if !ok {
		return nil
	}
	count := rows.EventCount(e)
	if rule == EventUnhealthy && count < UnhealthyRepeats {
		return nil
	}
	ns := e.InvolvedObject.Namespace
	if ns == "" && e.InvolvedObject.Kind != rows.KindNode {
		ns = e.Namespace
	}
	o := Observation{Rule: rule, Kind: e.InvolvedObject.Kind, Namespace: ns, Name: e.InvolvedObject.Name,
		UID: string(e.InvolvedObject.UID), Node: e.Source.Host, Reason: e.Reason, Message: e.Message,
		Pulse: true, At: rows.EventTime(e).UTC(), CounterKey: "event:" + string(e.UID), Counter: int64(count)}
	if e.InvolvedObject.Kind == rows.KindNode {
		o.Node = e.InvolvedObject.Name
	}
	return []Observation{o}
}
