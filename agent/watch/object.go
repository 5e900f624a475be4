package watch

import (
	"encoding/json"
	"fmt"
	"sync"
	"unique"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/s2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/rows"
)

// Object is what the informer caches hold for every kind: the typed object
// slimmed to what rows and rules read, with the content hash of the whole
// stripped object, computed once as the object arrives.
//
// The detail JSON of the whole object rides along only until the handler
// has taken it (TakeDetail): details of everything, for checkpoints, are
// read afresh from the API server page by page (ListDetails). So the cache
// costs what rows and rules need — a pod's typed form with probes, volumes,
// env and tolerations costs several kilobytes; slimmed, about one.
type Object struct {
	metav1.Object // *corev1.Pod, *appsv1.Deployment, …, *metav1.PartialObjectMetadata
	hash          uint64
	truncated     int // original JSON size when the detail is a stub
	resources     []rows.Resources

	mu     sync.Mutex
	detail []byte // s2-compressed
}

// Hash is the content hash of the stripped object, resourceVersion
// excluded: equal hashes mean nothing the lake stores changed.
func (o *Object) Hash() uint64 { return o.hash }

// TakeDetail returns the detail JSON and forgets it; later calls return
// nil.
func (o *Object) TakeDetail() []byte {
	o.mu.Lock()
	d := o.detail
	o.detail = nil
	o.mu.Unlock()
	if d == nil {
		return nil
	}
	data, err := s2.Decode(nil, d)
	if err != nil { // cannot happen: wrap encoded it
		panic(fmt.Sprintf("watch: cached detail: %v", err))
	}
	return data
}

// Truncated reports the size of a detail too large to keep (0 if kept).
func (o *Object) Truncated() int { return o.truncated }

// PodResources are a pod's container resources (init containers first),
// read before its spec was slimmed; nil for other kinds.
func (o *Object) PodResources() []rows.Resources { return o.resources }

// Unwrap returns the typed object inside a cached object (or obj itself).
func Unwrap(obj any) any {
	if o, ok := obj.(*Object); ok {
		return o.Object
	}
	return obj
}

// wrap turns a stripped object into its cache form: hash and detail from
// the whole object, then the object slimmed. maxDetail bounds the detail
// JSON; a larger one becomes a stub that says so. It never fails: an
// informer transform that fails makes the reflector retry the same
// object forever, so an object that cannot be encoded (it should not
// happen) is cached with a stub detail and a hash that changes with its
// resourceVersion, and the error is returned for logging.
func wrap(kind string, obj metav1.Object, maxDetail int) (*Object, error) {
	o := &Object{Object: obj}
	var encErr error
	if kind != rows.KindEvent { // events have no detail rows; their rows hold everything
		data, hash, err := rows.Encode(kind, obj)
		if err != nil {
			encErr = err
			data = stub(kind, obj, 0, maxDetail)
			hash = xxhash.Sum64String(obj.GetResourceVersion())
		}
		o.hash = hash
		if maxDetail > 0 && len(data) > maxDetail {
			o.truncated = len(data)
			data = stub(kind, obj, len(data), maxDetail)
		}
		// Compressed while it waits for the handler (a third of the
		// size): at start every object of the initial list holds its
		// detail until the list is complete, the agent's peak.
		o.detail = s2.EncodeBetter(nil, data)
	}
	if p, ok := obj.(*corev1.Pod); ok {
		o.resources = rows.PodResources(p)
	}
	slim(obj)
	return o, encErr
}

// Detail encodes an object for a detail row as wrap does: stripped, and
// replaced by a stub above maxDetail.
func Detail(kind string, obj metav1.Object, maxDetail int) ([]byte, error) {
	if _, err := Strip(obj); err != nil {
		return nil, err
	}
	data, _, err := rows.Encode(kind, obj)
	if err != nil {
		return nil, err
	}
	if maxDetail > 0 && len(data) > maxDetail {
		data = stub(kind, obj, len(data), maxDetail)
	}
	return data, nil
}

// stub stands in for a detail larger than max.
func stub(kind string, obj metav1.Object, size, max int) []byte {
	out, _ := json.Marshal(map[string]any{
		"apiVersion": rows.APIVersion(kind), "kind": kind,
		"metadata": map[string]any{"name": obj.GetName(), "namespace": obj.GetNamespace(), "uid": obj.GetUID(),
			"resourceVersion": obj.GetResourceVersion(), "labels": obj.GetLabels()},
		"atlhyper": map[string]any{"truncated": true, "bytes": size,
			"reason": fmt.Sprintf("detail larger than %d bytes", max)},
	})
	return out
}

// slim drops from the cached object what neither rows nor rules read; the
// detail JSON keeps all of it.
func slim(obj metav1.Object) {
	b, _ := rows.BindingFor(obj)
	keepAnnotations(obj, b)
	internMeta(obj)
	switch o := obj.(type) {
	case *corev1.Pod:
		o.GenerateName = ""
		s := &o.Spec
		*s = corev1.PodSpec{NodeName: s.NodeName, ServiceAccountName: s.ServiceAccountName,
			PriorityClassName: s.PriorityClassName, RestartPolicy: s.RestartPolicy,
			Containers: slimContainers(s.Containers), InitContainers: slimContainers(s.InitContainers)}
		s.NodeName, s.ServiceAccountName = intern(s.NodeName), intern(s.ServiceAccountName)
		st := &o.Status
		st.PodIPs, st.HostIPs, st.HostIP, st.NominatedNodeName, st.Resize = nil, nil, "", "", ""
		st.EphemeralContainerStatuses, st.ResourceClaimStatuses = nil, nil
		st.Phase, st.QOSClass, st.Reason = corev1.PodPhase(intern(string(st.Phase))), corev1.PodQOSClass(intern(string(st.QOSClass))), intern(st.Reason)
		var conds []corev1.PodCondition // a new array: the old one holds the dropped conditions
		for _, c := range st.Conditions {
			if c.Type == corev1.PodReady || c.Type == corev1.PodScheduled {
				c.Type, c.Status, c.Reason = corev1.PodConditionType(intern(string(c.Type))), corev1.ConditionStatus(intern(string(c.Status))), intern(c.Reason)
				c.ObservedGeneration = 0
				conds = append(conds, c)
			}
		}
		st.Conditions = conds
		slimStatuses(st.InitContainerStatuses)
		slimStatuses(st.ContainerStatuses)
	case *appsv1.StatefulSet:
		o.Spec.VolumeClaimTemplates = nil
	case *discoveryv1.EndpointSlice:
		for i := range o.Endpoints {
			o.Endpoints[i] = discoveryv1.Endpoint{Conditions: o.Endpoints[i].Conditions}
		}
	case *corev1.Node:
		// Image lists are a kilobyte or more per node; rows read none.
		o.Status.VolumesInUse, o.Status.VolumesAttached, o.Status.Images = nil, nil, nil
	}
	if b != nil && b.Template != nil {
		slimTemplate(b.Template(obj))
	}
}

// keepAnnotations keeps the annotations the kind's row reads (its
// binding's Annotations) and drops the rest.
func keepAnnotations(obj metav1.Object, b *rows.Binding) {
	a := obj.GetAnnotations()
	if len(a) == 0 {
		return
	}
	var kept map[string]string
	if b != nil {
		for _, k := range b.Annotations {
			if v, ok := a[k]; ok {
				if kept == nil {
					kept = map[string]string{}
				}
				kept[intern(k)] = intern(v)
			}
		}
	}
	obj.SetAnnotations(kept)
}

// slimContainers keeps name, image and restart policy (a pod's resources
// are kept apart, as rows.Resources).
func slimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: intern(c.Name), Image: intern(c.Image), RestartPolicy: c.RestartPolicy}
	}
	return out
}

// slimStatuses keeps what rows and rules read of container statuses.
func slimStatuses(ss []corev1.ContainerStatus) {
	for i := range ss {
		s := &ss[i]
		s.ImageID, s.ContainerID, s.AllocatedResources, s.Resources, s.VolumeMounts, s.User = "", "", nil, nil, nil, nil
		s.AllocatedResourcesStatus, s.StopSignal = nil, nil
		s.Name, s.Image = intern(s.Name), intern(s.Image)
		for _, st := range []*corev1.ContainerState{&s.State, &s.LastTerminationState} {
			if st.Waiting != nil {
				st.Waiting.Reason = intern(st.Waiting.Reason)
			}
			if st.Terminated != nil {
				st.Terminated.Reason = intern(st.Terminated.Reason)
			}
		}
	}
}

// intern returns the canonical copy of s: the cache holds thousands of
// copies of the same namespaces, label values, image names, node names
// and reasons, each decoded into its own allocation.
func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// internMeta interns an object's namespace, labels and owner references.
func internMeta(obj metav1.Object) {
	obj.SetNamespace(intern(obj.GetNamespace()))
	if l := obj.GetLabels(); len(l) > 0 {
		m := make(map[string]string, len(l))
		for k, v := range l {
			m[intern(k)] = intern(v)
		}
		obj.SetLabels(m)
	}
	refs := obj.GetOwnerReferences()
	for i := range refs {
		refs[i].APIVersion, refs[i].Kind, refs[i].Name = intern(refs[i].APIVersion), intern(refs[i].Kind), intern(refs[i].Name)
	}
	obj.SetGenerateName("")
}

func slimTemplate(t *corev1.PodTemplateSpec) {
	t.Annotations = nil
	t.Spec = corev1.PodSpec{Containers: slimContainers(t.Spec.Containers),
		InitContainers: slimContainers(t.Spec.InitContainers), RestartPolicy: t.Spec.RestartPolicy}
}
