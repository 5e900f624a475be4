// Package rows turns Kubernetes objects into lake rows: the typed columns
// of the state tables (pods, nodes, workloads, objects), the events table,
// and the stripped JSON of object_details.
//
// Conversion is pure: no clients, no clocks, no I/O. The objects it gets
// have already been stripped by the informer transforms (agent/watch), so
// nothing here can leak a literal env value or a Secret's data; rows never
// reads fields the transforms drop.
package rows

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Kind names as they appear in the kind column (query/kinds).
const (
	KindPod                   = kinds.Pod
	KindNode                  = kinds.Node
	KindNamespace             = kinds.Namespace
	KindDeployment            = kinds.Deployment
	KindStatefulSet           = kinds.StatefulSet
	KindDaemonSet             = kinds.DaemonSet
	KindReplicaSet            = kinds.ReplicaSet
	KindJob                   = kinds.Job
	KindCronJob               = kinds.CronJob
	KindService               = kinds.Service
	KindEndpointSlice         = kinds.EndpointSlice
	KindIngress               = kinds.Ingress
	KindPersistentVolume      = kinds.PersistentVolume
	KindPersistentVolumeClaim = kinds.PersistentVolumeClaim
	KindResourceQuota         = kinds.ResourceQuota
	KindLimitRange            = kinds.LimitRange
	KindNetworkPolicy         = kinds.NetworkPolicy
	KindServiceAccount        = kinds.ServiceAccount
	KindHPA                   = kinds.HorizontalPodAutoscaler
	KindEvent                 = kinds.Event
	KindConfigMap             = kinds.ConfigMap
	KindSecret                = kinds.Secret
)

// Meta fills the columns every state row starts with.
func Meta(obj metav1.Object, kind, op string, ts time.Time) lake.Meta {
	m := lake.Meta{
		TS:              ts.UTC(),
		Op:              op,
		Kind:            kind,
		Namespace:       obj.GetNamespace(),
		Name:            obj.GetName(),
		UID:             string(obj.GetUID()),
		ResourceVersion: obj.GetResourceVersion(),
		CreatedAt:       timePtr(obj.GetCreationTimestamp()),
	}
	if l := obj.GetLabels(); len(l) > 0 {
		m.Labels = l
	}
	if ref := controllerOf(obj.GetOwnerReferences()); ref != nil {
		m.OwnerKind, m.OwnerName = ref.Kind, ref.Name
	}
	return m
}

// controllerOf returns the controlling owner, or the first owner.
func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	if len(refs) > 0 {
		return &refs[0]
	}
	return nil
}

var timeType = reflect.TypeOf(time.Time{})

func timePtr(t metav1.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timePtrP(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	return timePtr(*t)
}

func milli(q resource.Quantity) int64   { return q.MilliValue() }
func bytesOf(q resource.Quantity) int64 { return q.Value() }

// Resources are one container's CPU and memory requests and limits.
type Resources struct {
	CPURequestMilli, CPULimitMilli, MemRequestBytes, MemLimitBytes int64
}

// ContainerResources reads a container's resources.
func ContainerResources(c *corev1.Container) Resources {
	return Resources{
		CPURequestMilli: milli(c.Resources.Requests[corev1.ResourceCPU]),
		CPULimitMilli:   milli(c.Resources.Limits[corev1.ResourceCPU]),
		MemRequestBytes: bytesOf(c.Resources.Requests[corev1.ResourceMemory]),
		MemLimitBytes:   bytesOf(c.Resources.Limits[corev1.ResourceMemory]),
	}
}

// PodResources reads the resources of a pod's init containers, then its
// containers, in spec order.
func PodResources(p *corev1.Pod) []Resources {
	out := make([]Resources, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	for i := range p.Spec.InitContainers {
		out = append(out, ContainerResources(&p.Spec.InitContainers[i]))
	}
	for i := range p.Spec.Containers {
		out = append(out, ContainerResources(&p.Spec.Containers[i]))
	}
	return out
}

// Pod converts a pod.
func Pod(p *corev1.Pod, m lake.Meta) lake.Pod { return PodWith(p, m, nil) }

// PodWith converts a pod whose container resources were read before (by
// PodResources, init containers first) and are no longer in its spec; nil
// reads them from the spec.
func PodWith(p *corev1.Pod, m lake.Meta, res []Resources) lake.Pod {
	r := lake.Pod{
		Meta:           m,
		Phase:          string(p.Status.Phase),
		Reason:         p.Status.Reason,
		Node:           p.Spec.NodeName,
		QOSClass:       string(p.Status.QOSClass),
		PodIP:          p.Status.PodIP,
		Terminating:    p.DeletionTimestamp != nil,
		StartTime:      timePtrP(p.Status.StartTime),
		PriorityClass:  p.Spec.PriorityClassName,
		ServiceAccount: p.Spec.ServiceAccountName,
	}
	for _, c := range p.Status.Conditions {
		switch c.Type {
		case corev1.PodReady:
			r.Ready = c.Status == corev1.ConditionTrue
		case corev1.PodScheduled:
			r.Scheduled = c.Status == corev1.ConditionTrue
		}
	}
	var lastFinished time.Time
	next := 0
	add := func(specs []corev1.Container, statuses []corev1.ContainerStatus, init bool) {
		byName := make(map[string]*corev1.ContainerStatus, len(statuses))
		for i := range statuses {
			byName[statuses[i].Name] = &statuses[i]
		}
		for i := range specs {
			c := &specs[i]
			var cr Resources
			if res != nil && next < len(res) {
				cr = res[next]
			} else {
				cr = ContainerResources(c)
			}
			next++
			row := lake.Container{
				Name: c.Name, Image: c.Image, Init: init,
				CPURequestMilli: cr.CPURequestMilli, CPULimitMilli: cr.CPULimitMilli,
				MemRequestBytes: cr.MemRequestBytes, MemLimitBytes: cr.MemLimitBytes,
			}
			// Sidecars (restartable init containers) run beside the
			// regular containers and count towards the pod's resources.
			sidecar := init && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
			if !init || sidecar {
				r.CPURequestMilli += row.CPURequestMilli
				r.CPULimitMilli += row.CPULimitMilli
				r.MemRequestBytes += row.MemRequestBytes
				r.MemLimitBytes += row.MemLimitBytes
			}
			if s := byName[c.Name]; s != nil {
				if s.Image != "" {
					row.Image = s.Image
				}
				row.Ready = s.Ready
				row.Restarts = s.RestartCount
				r.Restarts += s.RestartCount
				switch {
				case s.State.Waiting != nil:
					row.State, row.Reason = "waiting", s.State.Waiting.Reason
					if r.WaitingReason == "" && !init {
						r.WaitingReason = row.Reason
					}
				case s.State.Terminated != nil:
					t := s.State.Terminated
					row.State, row.Reason, row.ExitCode = "terminated", t.Reason, ptr(t.ExitCode)
					row.StartedAt = timePtr(t.StartedAt)
					if r.TerminatedReason == "" && !init {
						r.TerminatedReason = row.Reason
					}
				case s.State.Running != nil:
					row.State = "running"
					row.StartedAt = timePtr(s.State.Running.StartedAt)
				}
				if t := s.LastTerminationState.Terminated; t != nil {
					row.LastReason, row.LastExitCode = t.Reason, ptr(t.ExitCode)
					row.LastFinishedAt = timePtr(t.FinishedAt)
					if !t.FinishedAt.Time.Before(lastFinished) {
						lastFinished = t.FinishedAt.Time
						r.LastTermReason, r.LastExitCode = t.Reason, ptr(t.ExitCode)
					}
				}
			}
			if !init {
				r.TotalContainers++
				if row.Ready {
					r.ReadyContainers++
				}
			}
			r.Containers = append(r.Containers, row)
		}
	}
	add(p.Spec.InitContainers, p.Status.InitContainerStatuses, true)
	add(p.Spec.Containers, p.Status.ContainerStatuses, false)
	return r
}

func ptr[T any](v T) *T { return &v }

// Node converts a node.
func Node(n *corev1.Node, m lake.Meta) lake.Node {
	r := lake.Node{
		Meta:             m,
		Unschedulable:    n.Spec.Unschedulable,
		ReadyStatus:      string(corev1.ConditionUnknown),
		CPUCapacityMilli: milli(n.Status.Capacity[corev1.ResourceCPU]),
		MemCapacityBytes: bytesOf(n.Status.Capacity[corev1.ResourceMemory]),
		PodsCapacity:     n.Status.Capacity.Pods().Value(),
		CPUAllocMilli:    milli(n.Status.Allocatable[corev1.ResourceCPU]),
		MemAllocBytes:    bytesOf(n.Status.Allocatable[corev1.ResourceMemory]),
		PodsAlloc:        n.Status.Allocatable.Pods().Value(),
		KubeletVersion:   n.Status.NodeInfo.KubeletVersion,
		OSImage:          n.Status.NodeInfo.OSImage,
		KernelVersion:    n.Status.NodeInfo.KernelVersion,
		ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion,
		Architecture:     n.Status.NodeInfo.Architecture,
		Zone:             n.Labels[corev1.LabelTopologyZone],
		InstanceType:     n.Labels[corev1.LabelInstanceTypeStable],
	}
	for _, c := range n.Status.Conditions {
		on := c.Status == corev1.ConditionTrue
		switch c.Type {
		case corev1.NodeReady:
			r.Ready, r.ReadyStatus, r.ReadyReason = on, string(c.Status), c.Reason
		case corev1.NodeMemoryPressure:
			r.MemoryPressure = on
		case corev1.NodeDiskPressure:
			r.DiskPressure = on
		case corev1.NodePIDPressure:
			r.PIDPressure = on
		case corev1.NodeNetworkUnavailable:
			r.NetworkUnavailable = on
		}
	}
	for _, t := range n.Spec.Taints {
		r.Taints = append(r.Taints, lake.Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	for l := range n.Labels {
		if role, ok := strings.CutPrefix(l, "node-role.kubernetes.io/"); ok && role != "" {
			r.Roles = append(r.Roles, role)
		}
	}
	sort.Strings(r.Roles)
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && r.InternalIP == "" {
			r.InternalIP = a.Address
		}
	}
	return r
}

func images(spec *corev1.PodSpec) []string {
	var out []string
	for _, c := range spec.InitContainers {
		out = append(out, c.Image)
	}
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return out
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func selector(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	return metav1.FormatLabelSelector(s)
}

func conditions[C any](cs []C, get func(*C) lake.Condition) []lake.Condition {
	var out []lake.Condition
	for i := range cs {
		out = append(out, get(&cs[i]))
	}
	return out
}

// Deployment converts a Deployment.
func Deployment(d *appsv1.Deployment, m lake.Meta) lake.Workload {
	r := lake.Workload{
		Meta: m, Desired: replicas(d.Spec.Replicas), Current: d.Status.Replicas, Ready: d.Status.ReadyReplicas,
		Available: d.Status.AvailableReplicas, Updated: d.Status.UpdatedReplicas, Unavailable: d.Status.UnavailableReplicas,
		Generation: d.Generation, ObservedGeneration: d.Status.ObservedGeneration, Paused: d.Spec.Paused,
		Strategy: string(d.Spec.Strategy.Type), Selector: selector(d.Spec.Selector), Images: images(&d.Spec.Template.Spec),
		Conditions: conditions(d.Status.Conditions, func(c *appsv1.DeploymentCondition) lake.Condition {
			return lake.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message}
		}),
	}
	r.ProgressDeadlineExceeded = DeploymentProgressDeadlineExceeded(d)
	return r
}

// DeploymentProgressDeadlineExceeded reports the Progressing=False,
// reason ProgressDeadlineExceeded condition.
func DeploymentProgressDeadlineExceeded(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return true
		}
	}
	return false
}

// StatefulSet converts a StatefulSet.
func StatefulSet(s *appsv1.StatefulSet, m lake.Meta) lake.Workload {
	want := replicas(s.Spec.Replicas)
	return lake.Workload{
		Meta: m, Desired: want, Current: s.Status.Replicas, Ready: s.Status.ReadyReplicas,
		Available: s.Status.AvailableReplicas, Updated: s.Status.UpdatedReplicas, Unavailable: max(0, want-s.Status.AvailableReplicas),
		Generation: s.Generation, ObservedGeneration: s.Status.ObservedGeneration,
		Strategy: string(s.Spec.UpdateStrategy.Type), Selector: selector(s.Spec.Selector), Images: images(&s.Spec.Template.Spec),
		Conditions: conditions(s.Status.Conditions, func(c *appsv1.StatefulSetCondition) lake.Condition {
			return lake.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message}
		}),
	}
}

// DaemonSet converts a DaemonSet.
func DaemonSet(d *appsv1.DaemonSet, m lake.Meta) lake.Workload {
	return lake.Workload{
		Meta: m, Desired: d.Status.DesiredNumberScheduled, Current: d.Status.CurrentNumberScheduled, Ready: d.Status.NumberReady,
		Available: d.Status.NumberAvailable, Updated: d.Status.UpdatedNumberScheduled, Unavailable: d.Status.NumberUnavailable,
		Generation: d.Generation, ObservedGeneration: d.Status.ObservedGeneration,
		Strategy: string(d.Spec.UpdateStrategy.Type), Selector: selector(d.Spec.Selector), Images: images(&d.Spec.Template.Spec),
		Conditions: conditions(d.Status.Conditions, func(c *appsv1.DaemonSetCondition) lake.Condition {
			return lake.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message}
		}),
	}
}

// ReplicaSet converts a ReplicaSet.
func ReplicaSet(s *appsv1.ReplicaSet, m lake.Meta) lake.Workload {
	want := replicas(s.Spec.Replicas)
	return lake.Workload{
		Meta: m, Desired: want, Current: s.Status.Replicas, Ready: s.Status.ReadyReplicas,
		Available: s.Status.AvailableReplicas, Unavailable: max(0, want-s.Status.AvailableReplicas),
		Generation: s.Generation, ObservedGeneration: s.Status.ObservedGeneration,
		Selector: selector(s.Spec.Selector), Images: images(&s.Spec.Template.Spec),
		Conditions: conditions(s.Status.Conditions, func(c *appsv1.ReplicaSetCondition) lake.Condition {
			return lake.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message}
		}),
	}
}

// JobStatus is Running, Complete, Failed or Suspended.
func JobStatus(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobFailed:
			return "Failed"
		case batchv1.JobComplete:
			return "Complete"
		}
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobSuspended && c.Status == corev1.ConditionTrue {
			return "Suspended"
		}
	}
	return "Running"
}

// Job converts a Job.
func Job(j *batchv1.Job, m lake.Meta) lake.Workload {
	r := lake.Workload{
		Meta: m, Desired: replicas(j.Spec.Completions), Current: j.Status.Active, Ready: ptrOr(j.Status.Ready),
		Generation: j.Generation, Selector: selector(j.Spec.Selector), Images: images(&j.Spec.Template.Spec),
		Active: ptr(j.Status.Active), Succeeded: ptr(j.Status.Succeeded), Failed: ptr(j.Status.Failed),
		Completions: j.Spec.Completions, JobStatus: JobStatus(j),
		StartTime: timePtrP(j.Status.StartTime), CompletionTime: timePtrP(j.Status.CompletionTime),
		Conditions: conditions(j.Status.Conditions, func(c *batchv1.JobCondition) lake.Condition {
			return lake.Condition{Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message}
		}),
	}
	if j.Spec.Suspend != nil {
		r.Paused = *j.Spec.Suspend
	}
	return r
}

func ptrOr(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// CronJob converts a CronJob. lastJobStatus is the status of its most
// recent finished Job (from the jobs cache), or "".
func CronJob(c *batchv1.CronJob, m lake.Meta, lastJobStatus string) lake.Workload {
	return lake.Workload{
		Meta: m, Generation: c.Generation, Images: images(&c.Spec.JobTemplate.Spec.Template.Spec),
		Active: ptr(int32(len(c.Status.Active))), Current: int32(len(c.Status.Active)),
		Schedule: c.Spec.Schedule, Suspend: c.Spec.Suspend, Paused: c.Spec.Suspend != nil && *c.Spec.Suspend,
		LastScheduleTime: timePtrP(c.Status.LastScheduleTime), LastSuccessfulTime: timePtrP(c.Status.LastSuccessfulTime),
		LastJobStatus: lastJobStatus,
	}
}

// Namespace converts a Namespace.
func Namespace(n *corev1.Namespace, m lake.Meta) lake.Object {
	return lake.Object{Meta: m, Phase: string(n.Status.Phase)}
}

// MapSelector renders a map selector as "k=v,k2=v2" (sorted).
func MapSelector(sel map[string]string) string {
	if len(sel) == 0 {
		return ""
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + sel[k])
	}
	return b.String()
}

// Service converts a Service. Ports read "name:port/PROTO->target".
func Service(s *corev1.Service, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Type: string(s.Spec.Type), ClusterIP: s.Spec.ClusterIP, Selector: MapSelector(s.Spec.Selector)}
	for _, p := range s.Spec.Ports {
		port := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.Name != "" {
			port = p.Name + ":" + port
		}
		if t := p.TargetPort.String(); t != "" && t != "0" {
			port += "->" + t
		}
		if p.NodePort != 0 {
			port += fmt.Sprintf(" (node %d)", p.NodePort)
		}
		r.Ports = append(r.Ports, port)
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		r.ClusterIP = s.Spec.ExternalName
	}
	return r
}

// EndpointCounts counts an EndpointSlice's ready and not-ready endpoints
// (terminating endpoints count as neither).
func EndpointCounts(s *discoveryv1.EndpointSlice) (ready, notReady int32) {
	for _, e := range s.Endpoints {
		if e.Conditions.Terminating != nil && *e.Conditions.Terminating {
			continue
		}
		if e.Conditions.Ready == nil || *e.Conditions.Ready {
			ready++
		} else {
			notReady++
		}
	}
	return ready, notReady
}

// EndpointSlice converts an EndpointSlice.
func EndpointSlice(s *discoveryv1.EndpointSlice, m lake.Meta) lake.Object {
	ready, notReady := EndpointCounts(s)
	r := lake.Object{Meta: m, Type: string(s.AddressType), ServiceName: s.Labels[discoveryv1.LabelServiceName],
		ReadyEndpoints: &ready, NotReadyEndpoints: &notReady}
	for _, p := range s.Ports {
		var port string
		if p.Port != nil {
			port = fmt.Sprint(*p.Port)
		}
		if p.Protocol != nil {
			port += "/" + string(*p.Protocol)
		}
		if p.Name != nil && *p.Name != "" {
			port = *p.Name + ":" + port
		}
		r.Ports = append(r.Ports, port)
	}
	return r
}

func backend(b *networkingv1.IngressBackend) string {
	switch {
	case b == nil:
		return ""
	case b.Service != nil:
		if b.Service.Port.Name != "" {
			return b.Service.Name + ":" + b.Service.Port.Name
		}
		return fmt.Sprintf("%s:%d", b.Service.Name, b.Service.Port.Number)
	case b.Resource != nil:
		return b.Resource.Kind + "/" + b.Resource.Name
	}
	return ""
}

// ingressClassAnnotation names an Ingress's class before spec.ingressClassName.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// Ingress converts an Ingress. Backends read "host/path->service:port".
func Ingress(in *networkingv1.Ingress, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m}
	if in.Spec.IngressClassName != nil {
		r.IngressClass = *in.Spec.IngressClassName
	} else {
		r.IngressClass = in.Annotations[ingressClassAnnotation]
	}
	if d := backend(in.Spec.DefaultBackend); d != "" {
		r.Backends = append(r.Backends, "*->"+d)
	}
	for _, rule := range in.Spec.Rules {
		if rule.Host != "" && !contains(r.Hosts, rule.Host) {
			r.Hosts = append(r.Hosts, rule.Host)
		}
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			r.Backends = append(r.Backends, rule.Host+p.Path+"->"+backend(&p.Backend))
		}
	}
	return r
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func accessModes(ms []corev1.PersistentVolumeAccessMode) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m))
	}
	return out
}

// PersistentVolume converts a PersistentVolume.
func PersistentVolume(pv *corev1.PersistentVolume, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Phase: string(pv.Status.Phase), StorageClass: pv.Spec.StorageClassName,
		AccessModes: accessModes(pv.Spec.AccessModes)}
	if q, ok := pv.Spec.Capacity[corev1.ResourceStorage]; ok {
		r.CapacityBytes = ptr(q.Value())
	}
	if c := pv.Spec.ClaimRef; c != nil {
		r.ClaimRef = c.Namespace + "/" + c.Name
	}
	return r
}

// PersistentVolumeClaim converts a PersistentVolumeClaim. Capacity is the
// bound capacity, or the request while unbound.
func PersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Phase: string(pvc.Status.Phase), VolumeName: pvc.Spec.VolumeName,
		AccessModes: accessModes(pvc.Spec.AccessModes)}
	if pvc.Spec.StorageClassName != nil {
		r.StorageClass = *pvc.Spec.StorageClassName
	}
	if q, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok {
		r.CapacityBytes = ptr(q.Value())
	} else if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		r.CapacityBytes = ptr(q.Value())
	}
	return r
}

func quantities(l corev1.ResourceList) map[string]string {
	if len(l) == 0 {
		return nil
	}
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[string(k)] = v.String()
	}
	return out
}

// ResourceQuota converts a ResourceQuota.
func ResourceQuota(q *corev1.ResourceQuota, m lake.Meta) lake.Object {
	return lake.Object{Meta: m, Hard: quantities(q.Status.Hard), Used: quantities(q.Status.Used)}
}

// LimitRange converts a LimitRange; Hard holds "<Type>.<limit>.<resource>"
// (e.g. "Container.max.cpu") entries.
func LimitRange(l *corev1.LimitRange, m lake.Meta) lake.Object {
	hard := map[string]string{}
	for _, item := range l.Spec.Limits {
		for name, list := range map[string]corev1.ResourceList{"max": item.Max, "min": item.Min, "default": item.Default,
			"defaultRequest": item.DefaultRequest, "maxLimitRequestRatio": item.MaxLimitRequestRatio} {
			for res, q := range list {
				hard[string(item.Type)+"."+name+"."+string(res)] = q.String()
			}
		}
	}
	r := lake.Object{Meta: m}
	if len(hard) > 0 {
		r.Hard = hard
	}
	return r
}

// NetworkPolicy converts a NetworkPolicy.
func NetworkPolicy(np *networkingv1.NetworkPolicy, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Selector: selector(&np.Spec.PodSelector)}
	for _, t := range np.Spec.PolicyTypes {
		r.PolicyTypes = append(r.PolicyTypes, string(t))
	}
	return r
}

// HPA converts a HorizontalPodAutoscaler (autoscaling/v2).
func HPA(h *autoscalingv2.HorizontalPodAutoscaler, m lake.Meta) lake.Object {
	return lake.Object{Meta: m, MinReplicas: ptr(replicas(h.Spec.MinReplicas)), MaxReplicas: ptr(h.Spec.MaxReplicas),
		CurrentReplicas: ptr(h.Status.CurrentReplicas), DesiredReplicas: ptr(h.Status.DesiredReplicas),
		ScaleTarget: h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name}
}

// Plain converts a kind that has no columns of its own (ServiceAccount,
// ConfigMap and Secret metadata).
func Plain(m lake.Meta) lake.Object { return lake.Object{Meta: m} }

// EventTime is when an event was last seen.
func EventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// EventCount is how often an event has occurred (at least 1).
func EventCount(e *corev1.Event) int32 {
	n := e.Count
	if e.Series != nil && e.Series.Count > n {
		n = e.Series.Count
	}
	return max(n, 1)
}

// Event converts an Event. Its row time is when it was last seen.
func Event(e *corev1.Event) lake.Event {
	first := timePtr(e.FirstTimestamp)
	if first == nil {
		if !e.EventTime.IsZero() {
			first = ptr(e.EventTime.UTC())
		} else {
			first = timePtr(e.CreationTimestamp)
		}
	}
	src := e.Source.Component
	if src == "" {
		src = e.ReportingController
	}
	if host := e.Source.Host; host != "" {
		src += "/" + host
	} else if e.ReportingInstance != "" && e.ReportingInstance != src {
		src += "/" + e.ReportingInstance
	}
	ev := lake.Event{
		TS: EventTime(e).UTC(), FirstSeen: first, Namespace: e.Namespace, Name: e.Name, UID: string(e.UID),
		Type: e.Type, Reason: e.Reason, Message: e.Message, Count: EventCount(e),
		InvolvedKind: e.InvolvedObject.Kind, InvolvedNamespace: e.InvolvedObject.Namespace,
		InvolvedName: e.InvolvedObject.Name, InvolvedUID: string(e.InvolvedObject.UID), Source: src,
	}
	Clean(&ev)
	return ev
}
