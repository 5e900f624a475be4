package sim

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The platform around the apps: the classes, volumes, quotas, limits,
// network policies, autoscalers and disruption budgets a real cluster
// has, so every collected kind has objects (the dashboard shows every
// kind; its end-to-end walk compares one object of each with the API).

// storageClass is the class the simulated claims use.
const storageClass = "gp3"

func (c *cluster) platform() []runtime.Object {
	sc := &storagev1.StorageClass{ObjectMeta: c.objMeta("", storageClass, nil), Provisioner: "ebs.csi.aws.com",
		ReclaimPolicy: ptr(corev1.PersistentVolumeReclaimDelete), AllowVolumeExpansion: ptr(true),
		VolumeBindingMode: ptr(storagev1.VolumeBindingWaitForFirstConsumer), Parameters: map[string]string{"type": "gp3"}}
	sc.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
	ic := &networkingv1.IngressClass{ObjectMeta: c.objMeta("", "nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx"}),
		Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}
	ic.Annotations = map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}
	objs := []runtime.Object{sc, ic}
	for _, ns := range []string{"shop", "payments"} {
		objs = append(objs, c.quota(ns), c.limits(ns))
	}
	objs = append(objs, c.denyAll("payments"))
	hpas, ingresses := 0, 0
	for _, a := range c.apps {
		switch {
		case a.kind == "StatefulSet":
			objs = append(objs, c.budget(a, intstr.FromInt32(int32(a.replicas-1)), nil))
		case a.kind != "Deployment":
		case a.replicas >= 4 && hpas < 3:
			hpas++
			objs = append(objs, c.autoscaler(a), c.budget(a, intstr.IntOrString{}, ptr(intstr.FromString("25%"))))
		case ingresses < 3:
			ingresses++
			objs = append(objs, c.ingress(a), c.allowIngress(a))
		}
	}
	return objs
}

// volume is the PersistentVolume bound to a claim.
func (c *cluster) volume(pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{ObjectMeta: c.objMeta("", pvc.Spec.VolumeName, nil),
		Spec: corev1.PersistentVolumeSpec{Capacity: pvc.Status.Capacity, AccessModes: pvc.Spec.AccessModes,
			StorageClassName: *pvc.Spec.StorageClassName, PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "ebs.csi.aws.com",
				VolumeHandle: fmt.Sprintf("vol-%017x", c.rng.Uint64()&0xfffffffffffffff)}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}
	return pv
}

func (c *cluster) quota(ns string) *corev1.ResourceQuota {
	hard := corev1.ResourceList{corev1.ResourceRequestsCPU: q("40"), corev1.ResourceRequestsMemory: q("80Gi"), corev1.ResourcePods: q("200")}
	used := corev1.ResourceList{corev1.ResourceRequestsCPU: q(fmt.Sprintf("%d", 4+c.rng.IntN(20))),
		corev1.ResourceRequestsMemory: q(fmt.Sprintf("%dGi", 8+c.rng.IntN(40))), corev1.ResourcePods: q(fmt.Sprintf("%d", 10+c.rng.IntN(60)))}
	return &corev1.ResourceQuota{ObjectMeta: c.objMeta(ns, ns+"-quota", nil), Spec: corev1.ResourceQuotaSpec{Hard: hard},
		Status: corev1.ResourceQuotaStatus{Hard: hard, Used: used}}
}

func (c *cluster) limits(ns string) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: c.objMeta(ns, "container-defaults", nil), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type:           corev1.LimitTypeContainer,
		Max:            corev1.ResourceList{corev1.ResourceCPU: q("4"), corev1.ResourceMemory: q("8Gi")},
		Default:        corev1.ResourceList{corev1.ResourceCPU: q("500m"), corev1.ResourceMemory: q("512Mi")},
		DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: q("100m"), corev1.ResourceMemory: q("128Mi")}}}}}
}

func (c *cluster) denyAll(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: c.objMeta(ns, "default-deny-ingress", nil),
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
}

func appSelector(a *app) metav1.LabelSelector {
	return metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": a.name}}
}

func (c *cluster) allowIngress(a *app) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{ObjectMeta: c.objMeta(a.ns, "allow-"+a.name, nil),
		Spec: networkingv1.NetworkPolicySpec{PodSelector: appSelector(a),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}}}}}}}
}

func (c *cluster) ingress(a *app) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	host := fmt.Sprintf("%s.%s.example.com", a.name, a.ns)
	return &networkingv1.Ingress{ObjectMeta: c.objMeta(a.ns, a.name, map[string]string{"app.kubernetes.io/name": a.name}),
		Spec: networkingv1.IngressSpec{IngressClassName: ptr("nginx"), Rules: []networkingv1.IngressRule{{Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: a.name, Port: networkingv1.ServiceBackendPort{Name: "http"}}}}}}}}}}}
}

func (c *cluster) autoscaler(a *app) *autoscalingv2.HorizontalPodAutoscaler {
	n := int32(a.replicas)
	h := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: c.objMeta(a.ns, a.name, nil),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr(max(1, n/2)), MaxReplicas: 2 * n,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: a.name},
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(70))}}}}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: n, DesiredReplicas: n}}
	now := metav1.NewTime(c.clock.Now())
	h.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{
		{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale", LastTransitionTime: now},
		{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionTrue, Reason: "ValidMetricFound", LastTransitionTime: now}}
	return h
}

// budget is a PodDisruptionBudget over an app's pods: minAvailable, or
// maxUnavailable when given.
func (c *cluster) budget(a *app, minAvailable intstr.IntOrString, maxUnavailable *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	sel := appSelector(a)
	p := &policyv1.PodDisruptionBudget{ObjectMeta: c.objMeta(a.ns, a.name, nil), Spec: policyv1.PodDisruptionBudgetSpec{Selector: &sel}}
	n := int32(a.replicas)
	allowed := int32(1)
	if maxUnavailable != nil {
		p.Spec.MaxUnavailable = maxUnavailable
		allowed = max(1, n/4)
	} else {
		p.Spec.MinAvailable = &minAvailable
		allowed = n - minAvailable.IntVal
	}
	p.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: n, DesiredHealthy: n - allowed,
		ExpectedPods: n, DisruptionsAllowed: allowed, Conditions: []metav1.Condition{{Type: policyv1.DisruptionAllowedCondition,
			Status: metav1.ConditionTrue, Reason: policyv1.SufficientPodsReason, LastTransitionTime: metav1.NewTime(c.clock.Now())}}}
	return p
}
