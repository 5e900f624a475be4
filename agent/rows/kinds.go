package rows

import (
	"fmt"
	"reflect"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/atlhyper/atlhyper/query/kinds"
	"github.com/atlhyper/atlhyper/query/lake"
)

// Binding is how the agent handles one kind of the registry
// (query/kinds): the Go type the API server's objects decode into, the
// state row they become, and the pod template the informer transform
// redacts. Every registry kind has exactly one binding (a test checks).
type Binding struct {
	kinds.Kind
	// Object and List are empty values of the kind's Go types (the watch
	// registers them in its scheme and builds informers for them). Both
	// are nil for metadata-only kinds (PartialObjectMetadata) and for
	// kinds without Go types here (CRDs, read as unstructured JSON).
	Object, List runtime.Object
	// Row appends the object's state row; nil for Event, whose rows the
	// agent writes apart (the events table).
	Row Converter
	// Template returns the pod template inside an object of the kind
	// (workloads): the informer transform redacts its env values and the
	// cache keeps only what rows read of it. Nil: none.
	Template func(metav1.Object) *corev1.PodTemplateSpec
	// Annotations are the annotations Row reads; the cache keeps only
	// these (the detail JSON keeps all).
	Annotations []string
}

// GVR is the kind's group, version and resource.
func (b *Binding) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: b.Group, Version: b.Version, Resource: b.Resource}
}

// Converter appends obj's state row, with meta m, to b.
type Converter func(b *Batch, obj metav1.Object, m lake.Meta, lk Lookups) error

// ToObjects converts kinds of the objects table.
func ToObjects[T metav1.Object](f func(T, lake.Meta) lake.Object) Converter {
	return func(b *Batch, obj metav1.Object, m lake.Meta, _ Lookups) error {
		o, ok := obj.(T)
		if !ok {
			return fmt.Errorf("%w: %T as %s", ErrUnknownKind, obj, m.Kind)
		}
		r := f(o, m)
		Clean(&r)
		b.Objects = append(b.Objects, r)
		return nil
	}
}

// ToWorkloads converts kinds of the workloads table.
func ToWorkloads[T metav1.Object](f func(T, lake.Meta, Lookups) lake.Workload) Converter {
	return func(b *Batch, obj metav1.Object, m lake.Meta, lk Lookups) error {
		o, ok := obj.(T)
		if !ok {
			return fmt.Errorf("%w: %T as %s", ErrUnknownKind, obj, m.Kind)
		}
		r := f(o, m, lk)
		Clean(&r)
		b.Workloads = append(b.Workloads, r)
		return nil
	}
}

// Bindings lists every kind's binding, in registry order.
var Bindings = bind(
	Binding{Kind: kind(kinds.Pod), Object: &corev1.Pod{}, List: &corev1.PodList{},
		Row: func(b *Batch, obj metav1.Object, m lake.Meta, lk Lookups) error {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return fmt.Errorf("%w: %T as Pod", ErrUnknownKind, obj)
			}
			r := PodWith(p, m, lk.PodResources)
			Clean(&r)
			b.Pods = append(b.Pods, r)
			return nil
		}},
	Binding{Kind: kind(kinds.Node), Object: &corev1.Node{}, List: &corev1.NodeList{},
		Row: func(b *Batch, obj metav1.Object, m lake.Meta, _ Lookups) error {
			n, ok := obj.(*corev1.Node)
			if !ok {
				return fmt.Errorf("%w: %T as Node", ErrUnknownKind, obj)
			}
			r := Node(n, m)
			Clean(&r)
			b.Nodes = append(b.Nodes, r)
			return nil
		}},
	Binding{Kind: kind(kinds.Namespace), Object: &corev1.Namespace{}, List: &corev1.NamespaceList{}, Row: ToObjects(Namespace)},
	Binding{Kind: kind(kinds.Deployment), Object: &appsv1.Deployment{}, List: &appsv1.DeploymentList{},
		Row:      ToWorkloads(func(d *appsv1.Deployment, m lake.Meta, _ Lookups) lake.Workload { return Deployment(d, m) }),
		Template: template(func(d *appsv1.Deployment) *corev1.PodTemplateSpec { return &d.Spec.Template })},
	Binding{Kind: kind(kinds.StatefulSet), Object: &appsv1.StatefulSet{}, List: &appsv1.StatefulSetList{},
		Row:      ToWorkloads(func(s *appsv1.StatefulSet, m lake.Meta, _ Lookups) lake.Workload { return StatefulSet(s, m) }),
		Template: template(func(s *appsv1.StatefulSet) *corev1.PodTemplateSpec { return &s.Spec.Template })},
	Binding{Kind: kind(kinds.DaemonSet), Object: &appsv1.DaemonSet{}, List: &appsv1.DaemonSetList{},
		Row:      ToWorkloads(func(d *appsv1.DaemonSet, m lake.Meta, _ Lookups) lake.Workload { return DaemonSet(d, m) }),
		Template: template(func(d *appsv1.DaemonSet) *corev1.PodTemplateSpec { return &d.Spec.Template })},
	Binding{Kind: kind(kinds.ReplicaSet), Object: &appsv1.ReplicaSet{}, List: &appsv1.ReplicaSetList{},
		Row:      ToWorkloads(func(s *appsv1.ReplicaSet, m lake.Meta, _ Lookups) lake.Workload { return ReplicaSet(s, m) }),
		Template: template(func(s *appsv1.ReplicaSet) *corev1.PodTemplateSpec { return &s.Spec.Template })},
	Binding{Kind: kind(kinds.Job), Object: &batchv1.Job{}, List: &batchv1.JobList{},
		Row:      ToWorkloads(func(j *batchv1.Job, m lake.Meta, _ Lookups) lake.Workload { return Job(j, m) }),
		Template: template(func(j *batchv1.Job) *corev1.PodTemplateSpec { return &j.Spec.Template })},
	Binding{Kind: kind(kinds.CronJob), Object: &batchv1.CronJob{}, List: &batchv1.CronJobList{},
		Row: ToWorkloads(func(c *batchv1.CronJob, m lake.Meta, lk Lookups) lake.Workload {
			last := ""
			if lk.CronJobLastStatus != nil {
				last = lk.CronJobLastStatus(c)
			}
			return CronJob(c, m, last)
		}),
		Template: template(func(c *batchv1.CronJob) *corev1.PodTemplateSpec { return &c.Spec.JobTemplate.Spec.Template })},
	Binding{Kind: kind(kinds.Service), Object: &corev1.Service{}, List: &corev1.ServiceList{}, Row: ToObjects(Service)},
	Binding{Kind: kind(kinds.EndpointSlice), Object: &discoveryv1.EndpointSlice{}, List: &discoveryv1.EndpointSliceList{},
		Row: ToObjects(EndpointSlice)},
	Binding{Kind: kind(kinds.Ingress), Object: &networkingv1.Ingress{}, List: &networkingv1.IngressList{}, Row: ToObjects(Ingress),
		Annotations: []string{ingressClassAnnotation}},
	Binding{Kind: kind(kinds.IngressClass), Object: &networkingv1.IngressClass{}, List: &networkingv1.IngressClassList{},
		Row: ToObjects(IngressClass), Annotations: []string{networkingv1.AnnotationIsDefaultIngressClass}},
	Binding{Kind: kind(kinds.PersistentVolume), Object: &corev1.PersistentVolume{}, List: &corev1.PersistentVolumeList{},
		Row: ToObjects(PersistentVolume)},
	Binding{Kind: kind(kinds.PersistentVolumeClaim), Object: &corev1.PersistentVolumeClaim{}, List: &corev1.PersistentVolumeClaimList{},
		Row: ToObjects(PersistentVolumeClaim)},
	Binding{Kind: kind(kinds.StorageClass), Object: &storagev1.StorageClass{}, List: &storagev1.StorageClassList{},
		Row: ToObjects(StorageClass), Annotations: []string{defaultStorageClass}},
	Binding{Kind: kind(kinds.ResourceQuota), Object: &corev1.ResourceQuota{}, List: &corev1.ResourceQuotaList{},
		Row: ToObjects(ResourceQuota)},
	Binding{Kind: kind(kinds.LimitRange), Object: &corev1.LimitRange{}, List: &corev1.LimitRangeList{}, Row: ToObjects(LimitRange)},
	Binding{Kind: kind(kinds.NetworkPolicy), Object: &networkingv1.NetworkPolicy{}, List: &networkingv1.NetworkPolicyList{},
		Row: ToObjects(NetworkPolicy)},
	Binding{Kind: kind(kinds.ServiceAccount), Object: &corev1.ServiceAccount{}, List: &corev1.ServiceAccountList{},
		Row: ToObjects(func(_ *corev1.ServiceAccount, m lake.Meta) lake.Object { return Plain(m) })},
	Binding{Kind: kind(kinds.HorizontalPodAutoscaler), Object: &autoscalingv2.HorizontalPodAutoscaler{},
		List: &autoscalingv2.HorizontalPodAutoscalerList{}, Row: ToObjects(HPA)},
	Binding{Kind: kind(kinds.PodDisruptionBudget), Object: &policyv1.PodDisruptionBudget{}, List: &policyv1.PodDisruptionBudgetList{},
		Row: ToObjects(PodDisruptionBudget)},
	Binding{Kind: kind(kinds.ConfigMap), Row: ToObjects(metadataOnly)},
	Binding{Kind: kind(kinds.Secret), Row: ToObjects(metadataOnly)},
	Binding{Kind: kind(kinds.Event), Object: &corev1.Event{}, List: &corev1.EventList{}},
	Binding{Kind: kind(kinds.HTTPRoute), Row: ToObjects(HTTPRoute)},
)

// PodDisruptionBudget converts a PodDisruptionBudget: its budget and how
// many of its pods may be disrupted now (what a drain waits on).
func PodDisruptionBudget(p *policyv1.PodDisruptionBudget, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Selector: selector(p.Spec.Selector), DisruptionsAllowed: ptr(p.Status.DisruptionsAllowed),
		CurrentHealthy: ptr(p.Status.CurrentHealthy), DesiredHealthy: ptr(p.Status.DesiredHealthy), ExpectedPods: ptr(p.Status.ExpectedPods)}
	if v := p.Spec.MinAvailable; v != nil {
		r.MinAvailable = v.String()
	}
	if v := p.Spec.MaxUnavailable; v != nil {
		r.MaxUnavailable = v.String()
	}
	return r
}

// defaultStorageClass marks the class claims without one get.
const defaultStorageClass = "storageclass.kubernetes.io/is-default-class"

// StorageClass converts a StorageClass.
func StorageClass(s *storagev1.StorageClass, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m, Provisioner: s.Provisioner, AllowVolumeExpansion: s.AllowVolumeExpansion,
		DefaultClass: ptr(s.Annotations[defaultStorageClass] == "true")}
	if s.ReclaimPolicy != nil {
		r.ReclaimPolicy = string(*s.ReclaimPolicy)
	}
	if s.VolumeBindingMode != nil {
		r.VolumeBindingMode = string(*s.VolumeBindingMode)
	}
	return r
}

// IngressClass converts an IngressClass.
func IngressClass(c *networkingv1.IngressClass, m lake.Meta) lake.Object {
	return lake.Object{Meta: m, Controller: c.Spec.Controller,
		DefaultClass: ptr(c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true")}
}

// HTTPRoute converts a Gateway API HTTPRoute, read as unstructured JSON
// (no Go types for CRDs here). Backends read "namespace/name:port" (the
// namespace only when it is not the route's).
func HTTPRoute(u *unstructured.Unstructured, m lake.Meta) lake.Object {
	r := lake.Object{Meta: m}
	r.Hosts, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "hostnames")
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	for _, rule := range rules {
		refs, _, _ := unstructured.NestedSlice(asMap(rule), "backendRefs")
		for _, ref := range refs {
			ref := asMap(ref)
			name, _, _ := unstructured.NestedString(ref, "name")
			if ns, _, _ := unstructured.NestedString(ref, "namespace"); ns != "" && ns != m.Namespace {
				name = ns + "/" + name
			}
			if port, ok, _ := unstructured.NestedInt64(ref, "port"); ok {
				name += fmt.Sprintf(":%d", port)
			}
			if !slices.Contains(r.Backends, name) {
				r.Backends = append(r.Backends, name)
			}
		}
	}
	return r
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// metadataOnly converts what the metadata API returns.
func metadataOnly(_ *metav1.PartialObjectMetadata, m lake.Meta) lake.Object { return Plain(m) }

// kind returns a registered kind; an unregistered name is a programming
// error caught by every test of this package.
func kind(name string) kinds.Kind {
	k, ok := kinds.ByName(name)
	if !ok {
		panic("rows: kind " + name + " is not in query/kinds")
	}
	return k
}

func template[T metav1.Object](f func(T) *corev1.PodTemplateSpec) func(metav1.Object) *corev1.PodTemplateSpec {
	return func(obj metav1.Object) *corev1.PodTemplateSpec {
		if o, ok := obj.(T); ok {
			return f(o)
		}
		return nil
	}
}

var (
	byName = map[string]*Binding{}
	byType = map[reflect.Type]*Binding{}
)

func bind(bs ...Binding) []Binding {
	for i := range bs {
		b := &bs[i]
		byName[b.Name] = b
		if b.Object != nil {
			byType[reflect.TypeOf(b.Object)] = b
		}
	}
	return bs
}

// BindingOf returns the binding of a kind by name.
func BindingOf(kind string) (*Binding, bool) {
	b, ok := byName[kind]
	return b, ok
}

// BindingFor returns the binding of a typed object's kind (false for
// metadata-only and unstructured objects, which carry no Go type of ours).
func BindingFor(obj any) (*Binding, bool) {
	b, ok := byType[reflect.TypeOf(obj)]
	return b, ok
}
