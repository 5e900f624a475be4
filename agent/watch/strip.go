package watch

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/atlhyper/atlhyper/agent/redact"
	"github.com/atlhyper/atlhyper/agent/rows"
)

// Redacted replaces every literal env value. Names and valueFrom
// references stay, so a detail view still shows which variables exist and
// where referenced values come from.
const Redacted = "<redacted>"

// Annotations dropped from every object: the last-applied configuration
// holds a full copy of the manifest (literal env values, a Secret's data);
// the old-style leader-election record is rewritten every few seconds by
// whoever holds it and would make its object churn.
var droppedAnnotations = []string{
	corev1.LastAppliedConfigAnnotation,
	"control-plane.alpha.kubernetes.io/leader",
}

// Strip is the informer transform of every watched kind. It runs on each
// object the API server sends, before the object enters the cache, so what
// it removes costs no memory and can never reach the lake:
//
//   - metadata.managedFields and the annotations above, everywhere;
//   - literal env values of every container, init container and ephemeral
//     container, in pods and in the pod templates of workloads (the
//     Template of their binding in agent/rows);
//   - the projected service-account token volume every pod carries
//     (kube-api-access-*) and its mounts: identical noise on every pod;
//   - volatile status that changes without anything happening: node
//     condition heartbeat times and the node's image list, HPA current
//     metric readings.
//
// Strip mutates obj, which the reflector has just decoded and owns.
func Strip(obj any) (any, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		if _, err := Strip(d.Obj); err != nil {
			return nil, err
		}
		return d, nil
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); len(a) > 0 {
		for _, k := range droppedAnnotations {
			delete(a, k)
		}
		if len(a) == 0 {
			m.SetAnnotations(nil)
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		stripPod(o)
	case *corev1.Node:
		o.Status.Images = nil
		for i := range o.Status.Conditions {
			o.Status.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		o.Status.CurrentMetrics = nil
	}
	// Workloads: the pod template their binding names (agent/rows).
	if b, ok := rows.BindingFor(obj); ok && b.Template != nil {
		if t := b.Template(m); t != nil {
			redactPodSpec(&t.Spec)
		}
	}
	redact.Object(obj) // the redaction policy: manifest annotations, args, probe headers, secret-shaped values
	return obj, nil
}

// RedactEnv replaces literal env values in containers.
func RedactEnv(cs []corev1.Container) {
	for i := range cs {
		redactVars(cs[i].Env)
	}
}

func redactVars(env []corev1.EnvVar) {
	for j := range env {
		if env[j].Value != "" {
			env[j].Value = Redacted
		}
	}
}

func redactPodSpec(s *corev1.PodSpec) {
	RedactEnv(s.Containers)
	RedactEnv(s.InitContainers)
	for i := range s.EphemeralContainers {
		redactVars(s.EphemeralContainers[i].Env)
	}
}

const tokenVolumePrefix = "kube-api-access-"

func stripPod(p *corev1.Pod) {
	redactPodSpec(&p.Spec)
	var token string
	vols := p.Spec.Volumes[:0]
	for _, v := range p.Spec.Volumes {
		if v.Projected != nil && len(v.Name) > len(tokenVolumePrefix) && v.Name[:len(tokenVolumePrefix)] == tokenVolumePrefix {
			token = v.Name
			continue
		}
		vols = append(vols, v)
	}
	if token == "" {
		return
	}
	clear(p.Spec.Volumes[len(vols):])
	p.Spec.Volumes = vols
	drop := func(ms []corev1.VolumeMount) []corev1.VolumeMount {
		out := ms[:0]
		for _, m := range ms {
			if m.Name != token {
				out = append(out, m)
			}
		}
		clear(ms[len(out):])
		if len(out) == 0 {
			return nil
		}
		return out
	}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].VolumeMounts = drop(p.Spec.Containers[i].VolumeMounts)
	}
	for i := range p.Spec.InitContainers {
		p.Spec.InitContainers[i].VolumeMounts = drop(p.Spec.InitContainers[i].VolumeMounts)
	}
	for i := range p.Spec.EphemeralContainers {
		p.Spec.EphemeralContainers[i].VolumeMounts = drop(p.Spec.EphemeralContainers[i].VolumeMounts)
	}
}
