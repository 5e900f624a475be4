package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/kinds"
)

// opsAPI serves agent/ops's raw requests from a simulated cluster's fake
// API server: objects by path through the fake clientset's reactors (its
// object tracker applies JSON, merge and strategic-merge patches), the
// subresources the actions use (scale, eviction, log) modelled here, and
// the label and field selectors the fake does not apply. Every change
// kicks the script's loop, which plays the controllers' part (pods for a
// new replica count, a replacement for a deleted pod).
type opsAPI struct{ c *cluster }

var _ ops.API = opsAPI{}

// apiPath is a parsed request path.
type apiPath struct {
	gvr       schema.GroupVersionResource
	ns, name  string
	sub       string
	namespace bool // the path names a namespace (/namespaces/<ns>/…)
}

func parsePath(p string) (apiPath, error) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	var out apiPath
	switch {
	case len(seg) >= 3 && seg[0] == "api":
		out.gvr.Version, seg = seg[1], seg[2:]
	case len(seg) >= 4 && seg[0] == "apis":
		out.gvr.Group, out.gvr.Version, seg = seg[1], seg[2], seg[3:]
	default:
		return out, apierrors.NewNotFound(schema.GroupResource{}, p)
	}
	if len(seg) >= 3 && seg[0] == "namespaces" {
		out.ns, out.namespace, seg = seg[1], true, seg[2:]
	}
	if len(seg) > 3 {
		return out, apierrors.NewNotFound(schema.GroupResource{}, p)
	}
	out.gvr.Resource = seg[0]
	if len(seg) > 1 {
		out.name = seg[1]
	}
	if len(seg) > 2 {
		out.sub = seg[2]
	}
	return out, nil
}

// kindsByResource maps every resource the scheme knows (ControllerRevisions
// and the rest the kinds registry does not collect) to its kind.
var kindsByResource = sync.OnceValue(func() map[schema.GroupVersionResource]schema.GroupVersionKind {
	out := map[schema.GroupVersionResource]schema.GroupVersionKind{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		if _, ok := out[plural]; !ok {
			out[plural] = gvk
		}
	}
	return out
})

// kindOf is the kind a resource's objects have: the kinds registry's
// name when it knows the resource, the scheme's otherwise.
func kindOf(gvr schema.GroupVersionResource) (schema.GroupVersionKind, bool) {
	if k, ok := kinds.ByResource(gvr.Resource); ok && k.Group == gvr.Group {
		return gvr.GroupVersion().WithKind(k.Name), true
	}
	gvk, ok := kindsByResource()[gvr]
	return gvk, ok
}

func (x opsAPI) Do(ctx context.Context, r ops.Request) ([]byte, error) {
	p, err := parsePath(r.Path)
	if err != nil {
		return nil, err
	}
	gvk, ok := kindOf(p.gvr)
	if !ok {
		return nil, apierrors.NewNotFound(p.gvr.GroupResource(), p.name)
	}
	var obj runtime.Object
	switch {
	case r.Method == http.MethodGet && p.name == "":
		return x.list(p, gvk, r)
	case r.Method == http.MethodGet && p.sub == "scale":
		obj, err = x.getScale(p)
	case r.Method == http.MethodGet && p.sub == "":
		obj, err = x.get(p, gvk)
	case r.Method == http.MethodPatch && p.sub == "scale":
		obj, err = x.patchScale(p, r.Body)
	case r.Method == http.MethodPatch && p.sub == "" && p.name != "":
		obj, err = x.c.kube.Invokes(k8stesting.NewPatchAction(p.gvr, p.ns, p.name, types.PatchType(r.ContentType), r.Body), nil)
	case r.Method == http.MethodPost && p.sub == "eviction":
		obj, err = x.evict(p, r.Body)
	case r.Method == http.MethodPost && p.name == "":
		obj, err = x.create(p, gvk, r.Body)
	case r.Method == http.MethodDelete && p.sub == "" && p.name != "":
		obj, err = x.delete(p, r.Body)
	default:
		return nil, apierrors.NewMethodNotSupported(p.gvr.GroupResource(), strings.ToLower(r.Method)+" "+p.sub)
	}
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet {
		x.c.kickScript()
	}
	return encode(obj, gvk)
}

// encode is obj as JSON with its kind and apiVersion (the fake's objects
// carry none).
func encode(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	if obj == nil {
		return json.Marshal(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess})
	}
	if obj.GetObjectKind().GroupVersionKind().Kind == "" {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return json.Marshal(obj)
}

func (x opsAPI) get(p apiPath, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if k, ok := kinds.ByName(gvk.Kind); ok && k.MetadataOnly {
		// ConfigMaps and Secrets live in the fake metadata client, as the
		// agent's metadata informers see them.
		return x.c.meta.Resource(p.gvr).Namespace(p.ns).Get(context.Background(), p.name, metav1.GetOptions{})
	}
	return x.c.kube.Invokes(k8stesting.NewGetAction(p.gvr, p.ns, p.name), nil)
}

// list lists a collection, applying the label and field selectors (any
// field, by its JSON path) the fake API server ignores.
func (x opsAPI) list(p apiPath, gvk schema.GroupVersionKind, r ops.Request) ([]byte, error) {
	ls, err := labels.Parse(r.Query.Get("labelSelector"))
	if err != nil {
		return nil, apierrors.NewBadRequest("labelSelector: " + err.Error())
	}
	fs, err := fields.ParseSelector(r.Query.Get("fieldSelector"))
	if err != nil {
		return nil, apierrors.NewBadRequest("fieldSelector: " + err.Error())
	}
	obj, err := x.c.kube.Invokes(k8stesting.NewListAction(p.gvr, gvk, p.ns, metav1.ListOptions{}), nil)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var list map[string]any
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	items, _ := list["items"].([]any)
	kept := []any{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		lab := labels.Set{}
		if md, ok := m["metadata"].(map[string]any); ok {
			if l, ok := md["labels"].(map[string]any); ok {
				for k, v := range l {
					lab[k], _ = v.(string)
				}
			}
		}
		set := fields.Set{}
		for _, req := range fs.Requirements() {
			set[req.Field] = fieldValue(m, req.Field)
		}
		if ls.Matches(lab) && fs.Matches(set) {
			kept = append(kept, m)
		}
	}
	list["items"] = kept
	list["kind"], list["apiVersion"] = gvk.Kind+"List", gvk.GroupVersion().String()
	return json.Marshal(list)
}

// fieldValue is the value at a dotted JSON path (spec.nodeName), as text.
func fieldValue(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[k]
	}
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// unstructuredGet reads an object as a JSON map.
func (x opsAPI) unstructuredGet(p apiPath) (map[string]any, error) {
	obj, err := x.c.kube.Invokes(k8stesting.NewGetAction(p.gvr, p.ns, p.name), nil)
	if err != nil {
		return nil, err
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

// getScale is the scale subresource of a Deployment or StatefulSet.
func (x opsAPI) getScale(p apiPath) (runtime.Object, error) {
	if p.gvr.Group != "apps" || (p.gvr.Resource != "deployments" && p.gvr.Resource != "statefulsets" && p.gvr.Resource != "replicasets") {
		return nil, apierrors.NewNotFound(p.gvr.GroupResource(), p.name+"/scale")
	}
	u, err := x.unstructuredGet(p)
	if err != nil {
		return nil, err
	}
	md, _ := u["metadata"].(map[string]any)
	spec, _ := u["spec"].(map[string]any)
	status, _ := u["status"].(map[string]any)
	s := &autoscalingv1.Scale{TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.ns}}
	s.ResourceVersion, _ = md["resourceVersion"].(string)
	uid, _ := md["uid"].(string)
	s.UID = types.UID(uid)
	s.Spec.Replicas = int32(asInt(spec["replicas"], 1))
	s.Status.Replicas = int32(asInt(status["replicas"], 0))
	return s, nil
}

func asInt(v any, def int64) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return def
}

// patchScale sets replicas through the scale subresource; a
// resourceVersion in the patch must be the object's (a compare-and-swap,
// as the API server does).
func (x opsAPI) patchScale(p apiPath, body []byte) (runtime.Object, error) {
	cur, err := x.getScale(p)
	if err != nil {
		return nil, err
	}
	var want autoscalingv1.Scale
	if err := json.Unmarshal(body, &want); err != nil {
		return nil, apierrors.NewBadRequest("scale patch: " + err.Error())
	}
	s := cur.(*autoscalingv1.Scale)
	if want.ResourceVersion != "" && want.ResourceVersion != s.ResourceVersion {
		return nil, apierrors.NewConflict(p.gvr.GroupResource(), p.name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, want.Spec.Replicas)
	if _, err := x.c.kube.Invokes(k8stesting.NewPatchAction(p.gvr, p.ns, p.name, types.MergePatchType, patch), nil); err != nil {
		return nil, err
	}
	return x.getScale(p)
}

// create adds an object posted to a collection, with the fields the API
// server sets (a generated name, uid, creation time).
func (x opsAPI) create(p apiPath, gvk schema.GroupVersionKind, body []byte) (runtime.Object, error) {
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, &gvk, nil)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("decode %s: %v", gvk.Kind, err))
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + strconv.FormatInt(time.Now().UnixNano()%100000, 36))
	}
	m.SetNamespace(p.ns)
	m.SetUID(types.UID(fmt.Sprintf("sim-ops-%d", time.Now().UnixNano())))
	m.SetCreationTimestamp(metav1.NewTime(x.c.clock.Now().Truncate(time.Second)))
	return x.c.kube.Invokes(k8stesting.NewCreateAction(p.gvr, p.ns, obj), nil)
}

// delete deletes an object, honouring a UID precondition (the fake does
// not).
func (x opsAPI) delete(p apiPath, body []byte) (runtime.Object, error) {
	var opts metav1.DeleteOptions
	if len(body) > 0 {
		if err := json.Unmarshal(body, &opts); err != nil {
			return nil, apierrors.NewBadRequest("delete options: " + err.Error())
		}
	}
	if err := x.precondition(p, opts.Preconditions); err != nil {
		return nil, err
	}
	return x.c.kube.Invokes(k8stesting.NewDeleteActionWithOptions(p.gvr, p.ns, p.name, opts), nil)
}

func (x opsAPI) precondition(p apiPath, pre *metav1.Preconditions) error {
	if pre == nil || pre.UID == nil {
		return nil
	}
	u, err := x.unstructuredGet(p)
	if err != nil {
		return err
	}
	md, _ := u["metadata"].(map[string]any)
	if uid, _ := md["uid"].(string); uid != string(*pre.UID) {
		return apierrors.NewConflict(p.gvr.GroupResource(), p.name,
			fmt.Errorf("precondition failed: UID in precondition: %s, UID in object meta: %s", *pre.UID, uid))
	}
	return nil
}

// evict is the Eviction API: the pod is deleted unless a
// PodDisruptionBudget over it allows no disruption now (429, as the API
// server answers); an allowed eviction uses one of the budget's
// disruptions until the script's loop recounts them.
func (x opsAPI) evict(p apiPath, body []byte) (runtime.Object, error) {
	if p.gvr.Resource != "pods" || p.gvr.Group != "" {
		return nil, apierrors.NewNotFound(p.gvr.GroupResource(), p.name+"/eviction")
	}
	var ev policyv1.Eviction
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, apierrors.NewBadRequest("eviction: " + err.Error())
	}
	pod, err := x.c.kube.CoreV1().Pods(p.ns).Get(context.Background(), p.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if ev.DeleteOptions != nil {
		if err := x.precondition(p, ev.DeleteOptions.Preconditions); err != nil {
			return nil, err
		}
	}
	pdbs, err := x.c.kube.PolicyV1().PodDisruptionBudgets(p.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range pdbs.Items {
		b := &pdbs.Items[i]
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		if b.Status.DisruptionsAllowed <= 0 {
			e := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
			e.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: "DisruptionBudget",
				Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", b.Name, b.Status.DesiredHealthy, b.Status.CurrentHealthy)}}
			return nil, e
		}
		b.Status.DisruptionsAllowed--
		b.Status.CurrentHealthy--
		if _, err := x.c.kube.PolicyV1().PodDisruptionBudgets(p.ns).UpdateStatus(context.Background(), b, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	if err := x.c.kube.CoreV1().Pods(p.ns).Delete(context.Background(), p.name, metav1.DeleteOptions{}); err != nil {
		return nil, err
	}
	return nil, nil
}

// Stream serves pod logs: lines the simulated container would have
// written, its crash at the end of a previous instance's log.
func (x opsAPI) Stream(ctx context.Context, r ops.Request) (io.ReadCloser, error) {
	p, err := parsePath(r.Path)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet || p.gvr.Resource != "pods" || p.sub != "log" {
		return nil, apierrors.NewMethodNotSupported(p.gvr.GroupResource(), "stream "+p.sub)
	}
	pod, err := x.c.kube.CoreV1().Pods(p.ns).Get(ctx, p.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	text, err := x.c.podLog(pod, r.Query.Get("container"), r.Query.Get("previous") == "true")
	if err != nil {
		return nil, err
	}
	if n, err := strconv.Atoi(r.Query.Get("tailLines")); err == nil && n >= 0 {
		lines := strings.SplitAfter(text, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		text = strings.Join(lines[max(0, len(lines)-n):], "")
	}
	if n, err := strconv.Atoi(r.Query.Get("limitBytes")); err == nil && n > 0 && len(text) > n {
		text = text[:n]
	}
	return io.NopCloser(bytes.NewReader([]byte(text))), nil
}

// podLog makes up a container's log: requests served since it started
// and, for the previous instance, the error it died of.
func (c *cluster) podLog(pod *corev1.Pod, container string, previous bool) (string, error) {
	if container == "" && len(pod.Spec.Containers) > 0 {
		container = pod.Spec.Containers[0].Name
	}
	var st *corev1.ContainerStatus
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == container {
			st = &pod.Status.ContainerStatuses[i]
		}
	}
	if st == nil {
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
	}
	end := c.clock.Now().UTC()
	var last string
	if previous {
		t := st.LastTerminationState.Terminated
		if t == nil {
			return "", apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod.Name))
		}
		if !t.FinishedAt.IsZero() {
			end = t.FinishedAt.UTC()
		}
		last = t.Message
		if last == "" {
			last = fmt.Sprintf("fatal: container exited: %s (exit code %d)", t.Reason, t.ExitCode)
		}
	} else if st.State.Waiting != nil {
		return "", apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, pod.Name, st.State.Waiting.Reason))
	}
	var b strings.Builder
	start := end.Add(-5 * time.Minute)
	fmt.Fprintf(&b, "%s level=info msg=\"starting %s\" image=%s\n", start.Format(time.RFC3339), container, st.Image)
	fmt.Fprintf(&b, "%s level=info msg=\"listening\" addr=:8080\n", start.Add(time.Second).Format(time.RFC3339))
	paths := []string{"/healthz", "/api/items", "/api/orders", "/metrics"}
	for i, t := 0, start.Add(15*time.Second); t.Before(end); i, t = i+1, t.Add(15*time.Second) {
		fmt.Fprintf(&b, "%s level=info msg=\"request\" method=GET path=%s status=200 duration_ms=%d\n",
			t.Format(time.RFC3339), paths[i%len(paths)], 2+(i*7)%40)
	}
	if last != "" {
		fmt.Fprintf(&b, "%s level=error msg=%q\n", end.Format(time.RFC3339), last)
	}
	return b.String(), nil
}
