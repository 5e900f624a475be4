package redact

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object applies the policy to a watched object, in place: its
// annotations, the containers of a pod or of a workload's pod template, an
// Event's message. Objects of other kinds keep everything but their
// annotations' secrets.
func Object(obj any) {
	if !Enabled() {
		return
	}
	if m, ok := obj.(metav1.Object); ok {
		if a := m.GetAnnotations(); len(a) > 0 {
			m.SetAnnotations(Annotations(a))
		}
	}
	var spec *corev1.PodSpec
	switch o := obj.(type) {
	case *corev1.Pod:
		spec = &o.Spec
	case *appsv1.Deployment:
		spec = &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		spec = &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		spec = &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		spec = &o.Spec.Template.Spec
	case *batchv1.Job:
		spec = &o.Spec.Template.Spec
	case *batchv1.CronJob:
		spec = &o.Spec.JobTemplate.Spec.Template.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			spec = &o.Spec.Template.Spec
		}
	case *corev1.PodTemplate:
		spec = &o.Template.Spec
	case *corev1.Event:
		// A failing probe's or hook's output lands in its Event.
		o.Message = Text(o.Message)
	}
	if spec != nil {
		PodSpec(spec)
	}
}

// PodSpec masks every container's args, command, probe and lifecycle
// headers and commands, in place.
func PodSpec(s *corev1.PodSpec) {
	if !Enabled() {
		return
	}
	for i := range s.Containers {
		container(&s.Containers[i].Command, &s.Containers[i].Args,
			s.Containers[i].LivenessProbe, s.Containers[i].ReadinessProbe, s.Containers[i].StartupProbe, s.Containers[i].Lifecycle)
	}
	for i := range s.InitContainers {
		container(&s.InitContainers[i].Command, &s.InitContainers[i].Args,
			s.InitContainers[i].LivenessProbe, s.InitContainers[i].ReadinessProbe, s.InitContainers[i].StartupProbe, s.InitContainers[i].Lifecycle)
	}
	for i := range s.EphemeralContainers {
		c := &s.EphemeralContainers[i].EphemeralContainerCommon
		container(&c.Command, &c.Args, c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle)
	}
}

func container(command, args *[]string, liveness, readiness, startup *corev1.Probe, life *corev1.Lifecycle) {
	Args(*command)
	Args(*args)
	for _, p := range []*corev1.Probe{liveness, readiness, startup} {
		if p != nil {
			handler(&p.ProbeHandler)
		}
	}
	if life != nil {
		for _, h := range []*corev1.LifecycleHandler{life.PostStart, life.PreStop} {
			if h == nil {
				continue
			}
			if h.Exec != nil {
				Args(h.Exec.Command)
			}
			if h.HTTPGet != nil {
				headers(h.HTTPGet.HTTPHeaders)
			}
		}
	}
}

func handler(h *corev1.ProbeHandler) {
	if h.Exec != nil {
		Args(h.Exec.Command)
	}
	if h.HTTPGet != nil {
		headers(h.HTTPGet.HTTPHeaders)
	}
}

func headers(hs []corev1.HTTPHeader) {
	for i := range hs {
		hs[i].Value = Header(hs[i].Name, hs[i].Value)
	}
}
