package sim

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Object builders: realistic shapes (resources, probes, env with literal
// values and references, the service-account token volume, owner
// references), so the agent's transforms and rows do real work.

func ptr[T any](v T) *T { return &v }

func q(s string) resource.Quantity { return resource.MustParse(s) }

func (c *cluster) uid() types.UID {
	return types.UID(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", c.rng.Uint32(), c.rng.Uint32()&0xffff,
		c.rng.Uint32()&0xfff, c.rng.Uint32()&0xfff, c.rng.Uint64()&0xffffffffffff))
}

func (c *cluster) objMeta(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: c.uid(), Labels: labels,
		CreationTimestamp: metav1.NewTime(c.clock.Now().Truncate(time.Second))}
}

func owner(kind, apiVersion, name string, uid types.UID) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr(true),
		BlockOwnerDeletion: ptr(true)}}
}

func (c *cluster) node(i int) *corev1.Node {
	name := fmt.Sprintf("node-%03d", i)
	zones := []string{"a", "b", "c"}
	n := &corev1.Node{ObjectMeta: c.objMeta("", name, map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		corev1.LabelTopologyZone: "zone-" + zones[i%3], corev1.LabelInstanceTypeStable: "m6i.2xlarge"})}
	if i < 3 {
		n.Labels["node-role.kubernetes.io/control-plane"] = ""
		n.Spec.Taints = []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: q("8"), corev1.ResourceMemory: q("32Gi"), corev1.ResourcePods: q("110"),
		corev1.ResourceEphemeralStorage: q("100Gi")}
	alloc := corev1.ResourceList{corev1.ResourceCPU: q("7800m"), corev1.ResourceMemory: q("30Gi"), corev1.ResourcePods: q("110"),
		corev1.ResourceEphemeralStorage: q("90Gi")}
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	n.Status = corev1.NodeStatus{Capacity: capacity, Allocatable: alloc,
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)},
			{Type: corev1.NodeHostName, Address: name}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", KernelVersion: "6.12.0-1-amd64", OSImage: "Debian GNU/Linux 13",
			ContainerRuntimeVersion: "containerd://2.1.4", Architecture: "amd64", OperatingSystem: "linux"},
		Conditions: nodeConditions(true, now),
		Images:     []corev1.ContainerImage{{Names: []string{"registry.k8s.io/pause:3.10"}, SizeBytes: 320368}},
	}
	return n
}

// hostNode is this machine as a node: real capacity is unknown to the
// simulator, so it reports what the collector will show in detail.
func (c *cluster) hostNode(name string) *corev1.Node {
	n := c.node(len(c.nodes))
	n.Name = name
	n.Labels["kubernetes.io/hostname"] = name
	n.Labels["atlhyper.io/host"] = "true"
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}}
	return n
}

func nodeConditions(ready bool, now metav1.Time) []corev1.NodeCondition {
	st, reason, msg := corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"
	if !ready {
		st, reason, msg = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
	}
	out := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastTransitionTime: now, LastHeartbeatTime: now},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastTransitionTime: now, LastHeartbeatTime: now},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastTransitionTime: now, LastHeartbeatTime: now},
		{Type: corev1.NodeReady, Status: st, Reason: reason, Message: msg, LastTransitionTime: now, LastHeartbeatTime: now},
	}
	return out
}

// app is one simulated workload.
type app struct {
	ns, name, kind string // Deployment | StatefulSet | DaemonSet
	uid            types.UID
	rsName         string // current ReplicaSet (Deployments)
	rsUID          types.UID
	image          string
	version        int
	replicas       int
	pods           []string
	cpu, mem       string
	sidecar        bool
	restartedAt    string // the pod template's restartedAt annotation (a rollout restart)
}

func (c *cluster) podSpec(a *app, node string) corev1.PodSpec {
	spec := corev1.PodSpec{
		NodeName: node, ServiceAccountName: "default", RestartPolicy: corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr(int64(30)), DNSPolicy: corev1.DNSClusterFirst, SchedulerName: "default-scheduler",
		Containers: []corev1.Container{{
			Name: a.name, Image: a.image,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "DB_PASSWORD", Value: "not-so-secret-" + a.name},
				{Name: "API_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: a.name + "-secrets"}, Key: "token"}}},
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: q(a.cpu), corev1.ResourceMemory: q(a.mem)},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: q(a.mem)}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
				PeriodSeconds: 10, FailureThreshold: 3},
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez", Port: intstr.FromString("http")}},
				PeriodSeconds: 10, FailureThreshold: 3},
			VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/" + a.name},
				{Name: "kube-api-access-x7k2p", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			ImagePullPolicy: corev1.PullIfNotPresent,
		}},
		Volumes: []corev1.Volume{
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: a.name + "-config"}}}},
			{Name: "kube-api-access-x7k2p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr(int64(3607))}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
				}, DefaultMode: ptr(int32(420))}}},
		},
		Tolerations: []corev1.Toleration{
			{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
			{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))}},
	}
	if a.sidecar {
		spec.Containers = append(spec.Containers, corev1.Container{Name: "envoy", Image: "envoyproxy/envoy:v1.34.1",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("50m"), corev1.ResourceMemory: q("64Mi")}},
			Ports:     []corev1.ContainerPort{{Name: "admin", ContainerPort: 9901}}})
	}
	return spec
}

func (c *cluster) newPod(a *app, name, node string) *corev1.Pod {
	labels := map[string]string{"app.kubernetes.io/name": a.name, "app.kubernetes.io/part-of": a.ns}
	var own []metav1.OwnerReference
	switch a.kind {
	case "Deployment":
		labels["pod-template-hash"] = a.rsName[len(a.name)+1:]
		own = owner("ReplicaSet", "apps/v1", a.rsName, a.rsUID)
	case "StatefulSet":
		own = owner("StatefulSet", "apps/v1", a.name, a.uid)
		labels["apps.kubernetes.io/pod-index"] = name[len(a.name)+1:]
	case "DaemonSet":
		own = owner("DaemonSet", "apps/v1", a.name, a.uid)
	}
	p := &corev1.Pod{ObjectMeta: c.objMeta(a.ns, name, labels), Spec: c.podSpec(a, node)}
	p.OwnerReferences = own
	p.Annotations = map[string]string{restartedAtAnnotation: "2026-01-01T00:00:00Z"}
	if a.restartedAt != "" {
		p.Annotations[restartedAtAnnotation] = a.restartedAt
	}
	c.setRunning(p)
	return p
}

func (c *cluster) setRunning(p *corev1.Pod) {
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	p.Status.Phase = corev1.PodRunning
	p.Status.Reason, p.Status.Message = "", ""
	p.Status.QOSClass = corev1.PodQOSBurstable
	p.Status.HostIP = "10.0.0.1"
	p.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", 100+c.rng.IntN(50), c.rng.IntN(250), 1+c.rng.IntN(250))
	p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
	if p.Status.StartTime == nil {
		p.Status.StartTime = &now
	}
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	var restarts = map[string]corev1.ContainerStatus{}
	for _, s := range p.Status.ContainerStatuses {
		restarts[s.Name] = s
	}
	p.Status.ContainerStatuses = nil
	for _, ctr := range p.Spec.Containers {
		prev := restarts[ctr.Name]
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: "sha256:" + fmt.Sprintf("%064x", c.rng.Uint64()), Ready: true, Started: ptr(true),
			RestartCount: prev.RestartCount, LastTerminationState: prev.LastTerminationState,
			ContainerID: fmt.Sprintf("containerd://%016x", c.rng.Uint64()),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
}

func (c *cluster) deployment(a *app) (*appsv1.Deployment, *appsv1.ReplicaSet) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": a.name}}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": a.name}},
		Spec: c.podSpec(a, "")}
	if a.restartedAt != "" {
		tmpl.Annotations = map[string]string{restartedAtAnnotation: a.restartedAt}
	}
	d := &appsv1.Deployment{ObjectMeta: c.objMeta(a.ns, a.name, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(a.replicas)), Selector: sel, Template: tmpl,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}}}
	d.UID = a.uid
	d.Generation = int64(a.version)
	// The revision the deployment controller stamps on both (rollout history).
	revision := map[string]string{revisionAnnotation: fmt.Sprint(a.version)}
	d.Annotations = revision
	c.deploymentHealthy(d, a.replicas)
	rs := &appsv1.ReplicaSet{ObjectMeta: c.objMeta(a.ns, a.rsName, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr(int32(a.replicas)), Selector: sel, Template: tmpl}}
	rs.Annotations = revision
	rs.UID = a.rsUID
	rs.OwnerReferences = owner("Deployment", "apps/v1", a.name, a.uid)
	rs.Status = appsv1.ReplicaSetStatus{Replicas: int32(a.replicas), ReadyReplicas: int32(a.replicas),
		AvailableReplicas: int32(a.replicas), FullyLabeledReplicas: int32(a.replicas), ObservedGeneration: 1}
	return d, rs
}

const (
	revisionAnnotation    = "deployment.kubernetes.io/revision"
	restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
)

func (c *cluster) deploymentHealthy(d *appsv1.Deployment, avail int) {
	want := int(*d.Spec.Replicas)
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: int32(want), UpdatedReplicas: int32(want),
		ReadyReplicas: int32(avail), AvailableReplicas: int32(avail), UnavailableReplicas: int32(max(0, want-avail)),
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: boolCond(avail >= want), Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: now, LastTransitionTime: now}}}
}

func boolCond(b bool) corev1.ConditionStatus {
	if b {
		return corev1.ConditionTrue
	}
	return corev1.ConditionFalse
}

func (c *cluster) statefulSet(a *app) *appsv1.StatefulSet {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": a.name}}
	s := &appsv1.StatefulSet{ObjectMeta: c.objMeta(a.ns, a.name, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(a.replicas)), Selector: sel, ServiceName: a.name,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels}, Spec: c.podSpec(a, "")}},
		Status: appsv1.StatefulSetStatus{Replicas: int32(a.replicas), ReadyReplicas: int32(a.replicas), AvailableReplicas: int32(a.replicas),
			CurrentReplicas: int32(a.replicas), UpdatedReplicas: int32(a.replicas), ObservedGeneration: 1}}
	s.UID = a.uid
	return s
}

func (c *cluster) daemonSet(a *app) *appsv1.DaemonSet {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": a.name}}
	n := int32(a.replicas)
	d := &appsv1.DaemonSet{ObjectMeta: c.objMeta(a.ns, a.name, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: appsv1.DaemonSetSpec{Selector: sel, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels},
			Spec: c.podSpec(a, "")}},
		Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: n, CurrentNumberScheduled: n, NumberReady: n, NumberAvailable: n,
			UpdatedNumberScheduled: n, ObservedGeneration: 1}}
	d.UID = a.uid
	return d
}

func (c *cluster) service(a *app) (*corev1.Service, *discoveryv1.EndpointSlice) {
	svc := &corev1.Service{ObjectMeta: c.objMeta(a.ns, a.name, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: fmt.Sprintf("10.96.%d.%d", c.rng.IntN(250), 1+c.rng.IntN(250)),
			Selector: map[string]string{"app.kubernetes.io/name": a.name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}}}
	return svc, c.endpointSlice(a, a.replicas)
}

func (c *cluster) endpointSlice(a *app, ready int) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{ObjectMeta: c.objMeta(a.ns, a.name+"-ep", map[string]string{discoveryv1.LabelServiceName: a.name}),
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}}}
	for i, p := range a.pods {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.200.%d.%d", i/250, i%250+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(i < ready)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: a.ns, Name: p}})
	}
	return es
}

func (c *cluster) cronJob(ns, name string) *batchv1.CronJob {
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure,
		Containers: []corev1.Container{{Name: name, Image: "registry.example/" + name + ":1.0",
			Env: []corev1.EnvVar{{Name: "S3_SECRET", Value: "literal-secret-value"}}}}}}
	cj := &batchv1.CronJob{ObjectMeta: c.objMeta(ns, name, nil), Spec: batchv1.CronJobSpec{Schedule: "0 * * * *",
		JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{BackoffLimit: ptr(int32(2)), Template: tmpl}}}}
	return cj
}

func (c *cluster) job(cj *batchv1.CronJob, name string) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: c.objMeta(cj.Namespace, name, map[string]string{"batch.kubernetes.io/job-name": name}),
		Spec: cj.Spec.JobTemplate.Spec}
	j.OwnerReferences = owner("CronJob", "batch/v1", cj.Name, cj.UID)
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	j.Status = batchv1.JobStatus{Active: 1, StartTime: &now}
	return j
}

func (c *cluster) pvc(ns, name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: c.objMeta(ns, name, nil),
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr("gp3"), VolumeName: "pvc-" + string(c.uid()),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q("50Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: q("50Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}}}
}

func (c *cluster) event(ns, kind, name, reason, msg, typ string, count int32) *corev1.Event {
	now := metav1.NewTime(c.clock.Now().Truncate(time.Second))
	return &corev1.Event{ObjectMeta: c.objMeta(ns, fmt.Sprintf("%s.%x", name, c.rng.Uint64()), nil),
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name, APIVersion: "v1"},
		Reason:         reason, Message: msg, Type: typ, Count: count, FirstTimestamp: now, LastTimestamp: now,
		Source: corev1.EventSource{Component: "kubelet"}}
}
