package rows_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// TestEveryKindBound: every registry kind has exactly one binding, in
// registry order, and each binding is consistent with its kind.
func TestEveryKindBound(t *testing.T) {
	var reg, bound []string
	for _, k := range kinds.All() {
		reg = append(reg, k.Name)
	}
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		bound = append(bound, b.Name)
		if got, ok := rows.BindingOf(b.Name); !ok || got != b {
			t.Errorf("BindingOf(%s) does not return its binding", b.Name)
		}
		k, _ := kinds.ByName(b.Name)
		if !reflect.DeepEqual(k, b.Kind) {
			t.Errorf("%s: binding carries %+v, registry has %+v", b.Name, b.Kind, k)
		}
		switch {
		case (b.Row == nil) != (b.Table == kinds.TableEvents):
			t.Errorf("%s: a converter is needed exactly for kinds of state tables", b.Name)
		case (b.Object == nil) != (b.List == nil):
			t.Errorf("%s: Object and List go together", b.Name)
		case b.Object == nil && !b.MetadataOnly && !b.Optional:
			t.Errorf("%s: a built-in kind needs its Go type", b.Name)
		case b.Object != nil && b.MetadataOnly:
			t.Errorf("%s: metadata-only kinds are read as PartialObjectMetadata", b.Name)
		case b.Object != nil && reflect.TypeOf(b.Object).Elem().Name() != b.Name:
			t.Errorf("%s: bound to %T", b.Name, b.Object)
		case b.List != nil && reflect.TypeOf(b.List).Elem().Name() != b.Name+"List":
			t.Errorf("%s: list bound to %T", b.Name, b.List)
		case (b.Template != nil) != (b.Table == kinds.TableWorkloads):
			t.Errorf("%s: workloads, and only they, name their pod template", b.Name)
		}
		if b.Object != nil {
			if got, ok := rows.BindingFor(b.Object); !ok || got != b {
				t.Errorf("BindingFor(%T) does not return the %s binding", b.Object, b.Name)
			}
		}
		if got := rows.APIVersion(b.Name); got != k.APIVersion() {
			t.Errorf("APIVersion(%s) = %q", b.Name, got)
		}
	}
	if !slices.Equal(reg, bound) {
		t.Fatalf("registry %v\nbindings %v", reg, bound)
	}
}

// samples are objects of every objects-table kind, with every field its
// row reads set, so that TestObjectColumns sees every column it fills.
var samples = map[string]metav1.Object{
	kinds.Namespace: &corev1.Namespace{Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
	kinds.Service: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.1",
		Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080, Protocol: "TCP"}}}},
	kinds.EndpointSlice: &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}}},
		Ports: []discoveryv1.EndpointPort{{Port: ptr(int32(80))}}},
	kinds.Ingress: &networkingv1.Ingress{Spec: networkingv1.IngressSpec{IngressClassName: ptr("nginx"), Rules: []networkingv1.IngressRule{{
		Host: "shop.example", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
			Path: "/", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web",
				Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}},
	kinds.PersistentVolume: &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{StorageClassName: "fast",
		Capacity: corev1.ResourceList{corev1.ResourceStorage: resourceMust("10Gi")}, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		ClaimRef: &corev1.ObjectReference{Namespace: "shop", Name: "data"}}, Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
	kinds.PersistentVolumeClaim: &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr("fast"),
		VolumeName: "pv-1", AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: resourceMust("10Gi")}}},
	kinds.ResourceQuota: &corev1.ResourceQuota{Status: corev1.ResourceQuotaStatus{Hard: corev1.ResourceList{corev1.ResourcePods: resourceMust("10")},
		Used: corev1.ResourceList{corev1.ResourcePods: resourceMust("3")}}},
	kinds.LimitRange: &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
		Max: corev1.ResourceList{corev1.ResourceCPU: resourceMust("2")}}}}},
	kinds.NetworkPolicy: &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
	kinds.ServiceAccount: &corev1.ServiceAccount{},
	kinds.HorizontalPodAutoscaler: &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}, MinReplicas: ptr(int32(2)), MaxReplicas: 5},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, DesiredReplicas: 4}},
	kinds.HTTPRoute: &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"hostnames": []any{"shop.example"}, "rules": []any{map[string]any{"backendRefs": []any{
			map[string]any{"name": "web", "port": int64(80)}, map[string]any{"name": "canary", "namespace": "beta"}}}}}}},
	kinds.PodDisruptionBudget: &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{
		MinAvailable: ptr(intstr.FromString("50%")), MaxUnavailable: ptr(intstr.FromInt32(1)),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1, CurrentHealthy: 3, DesiredHealthy: 2, ExpectedPods: 3}},
	kinds.StorageClass: &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "ebs.csi.aws.com",
		ReclaimPolicy: ptr(corev1.PersistentVolumeReclaimRetain), VolumeBindingMode: ptr(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr(true)},
	kinds.IngressClass: &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		networkingv1.AnnotationIsDefaultIngressClass: "true"}}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
	kinds.ConfigMap: &metav1.PartialObjectMetadata{},
	kinds.Secret:    &metav1.PartialObjectMetadata{},
}

// TestObjectColumns: the columns a kind's converter fills are exactly the
// ones its registry entry declares (the web lists them, the docs print
// them). A new kind of the objects table needs a sample here.
func TestObjectColumns(t *testing.T) {
	meta := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[lake.Meta]()) {
		meta[column(f)] = true
	}
	for i := range rows.Bindings {
		b := &rows.Bindings[i]
		if b.Table != kinds.TableObjects {
			continue
		}
		obj, ok := samples[b.Name]
		if !ok {
			t.Errorf("%s: no sample object in TestObjectColumns", b.Name)
			continue
		}
		obj.SetName("x")
		var batch rows.Batch
		m := rows.Meta(obj, b.Name, lake.OpAdd, time.Unix(0, 0))
		if err := batch.State(obj, m, rows.Lookups{}); err != nil {
			t.Errorf("%s: %v", b.Name, err)
			continue
		}
		if len(batch.Objects) != 1 {
			t.Fatalf("%s: %d rows", b.Name, batch.Len())
		}
		var set []string
		v := reflect.ValueOf(batch.Objects[0])
		for _, f := range reflect.VisibleFields(v.Type()) {
			if c := column(f); c != "" && !meta[c] && len(f.Index) == 1 && !v.FieldByIndex(f.Index).IsZero() {
				set = append(set, c)
			}
		}
		slices.Sort(set)
		want := slices.Sorted(slices.Values(b.Columns))
		if !slices.Equal(set, want) {
			t.Errorf("%s fills %v, its registry entry declares %v", b.Name, set, want)
		}
	}
}

func TestHTTPRouteRow(t *testing.T) {
	u := samples[kinds.HTTPRoute].(*unstructured.Unstructured).DeepCopy()
	u.SetNamespace("shop")
	r := rows.HTTPRoute(u, lake.Meta{Namespace: "shop"})
	if !slices.Equal(r.Hosts, []string{"shop.example"}) || !slices.Equal(r.Backends, []string{"web:80", "beta/canary"}) {
		t.Fatalf("hosts %v backends %v", r.Hosts, r.Backends)
	}
}

func TestPodDisruptionBudgetRow(t *testing.T) {
	p := samples[kinds.PodDisruptionBudget].(*policyv1.PodDisruptionBudget)
	r := rows.PodDisruptionBudget(p, lake.Meta{})
	if r.MinAvailable != "50%" || r.MaxUnavailable != "1" || *r.DisruptionsAllowed != 1 || *r.CurrentHealthy != 3 ||
		*r.DesiredHealthy != 2 || *r.ExpectedPods != 3 || r.Selector != "app=web" {
		t.Fatalf("row %+v", r)
	}
}

func TestStorageClassRow(t *testing.T) {
	s := samples[kinds.StorageClass].(*storagev1.StorageClass).DeepCopy()
	r := rows.StorageClass(s, lake.Meta{})
	if r.Provisioner != "ebs.csi.aws.com" || r.ReclaimPolicy != "Retain" || r.VolumeBindingMode != "WaitForFirstConsumer" ||
		!*r.AllowVolumeExpansion || !*r.DefaultClass {
		t.Fatalf("row %+v", r)
	}
	delete(s.Annotations, "storageclass.kubernetes.io/is-default-class")
	if r := rows.StorageClass(s, lake.Meta{}); *r.DefaultClass {
		t.Error("a class without the annotation is the default")
	}
}

func TestIngressClassRow(t *testing.T) {
	c := samples[kinds.IngressClass].(*networkingv1.IngressClass).DeepCopy()
	if r := rows.IngressClass(c, lake.Meta{}); r.Controller != "k8s.io/ingress-nginx" || !*r.DefaultClass {
		t.Fatalf("row %+v", r)
	}
	c.Annotations = nil
	if r := rows.IngressClass(c, lake.Meta{}); *r.DefaultClass {
		t.Error("a class without the annotation is the default")
	}
}

func column(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("lake"), ",")
	return name
}
