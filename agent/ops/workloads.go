package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// Annotations kubectl and the Deployment controller use.
const (
	restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
	revisionAnnotation    = "deployment.kubernetes.io/revision"
	changeCauseAnnotation = "kubernetes.io/change-cause"
)

// workload is what the workload actions read of a Deployment,
// StatefulSet or DaemonSet.
type workload struct {
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Replicas *int32                 `json:"replicas"`
		Paused   bool                   `json:"paused"`
		Selector *metav1.LabelSelector  `json:"selector"`
		Template corev1.PodTemplateSpec `json:"template"`
	} `json:"spec"`
}

// workloadRestart is kubectl rollout restart: a new restartedAt
// annotation on the pod template makes the controller roll every pod.
func workloadRestart(ctx context.Context, c *call) (outcome, error) {
	var w workload
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &w); err != nil {
		return outcome{}, err
	}
	if w.Spec.Paused {
		return outcome{}, refuse("%s is paused: resume it first (a paused rollout would not restart)", c.cmd.Target)
	}
	at := c.now().Format(time.RFC3339)
	patch := map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{restartedAtAnnotation: at}}}}}
	if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.StrategicMergePatchType, patch, nil); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("restarted %s: its pods are replaced by a rolling update", c.cmd.Target),
		Changes: []string{fmt.Sprintf("pod template annotation %s: %q → %q", restartedAtAnnotation,
			w.Spec.Template.Annotations[restartedAtAnnotation], at)}}, nil
}

// workloadScale sets replicas through the scale subresource, and names
// the HorizontalPodAutoscaler that may set them back.
func workloadScale(ctx context.Context, c *call) (outcome, error) {
	var s autoscalingv1.Scale
	data, err := c.k.api.Do(ctx, Request{Method: "GET", Path: resourcePath(c.kind, c.ns(), c.name(), "scale")})
	if err != nil {
		return outcome{}, fmt.Errorf("get scale of %s: %w", c.cmd.Target, err)
	}
	if err := decodeJSON("scale", data, &s); err != nil {
		return outcome{}, err
	}
	want := *c.p.Replicas
	o := outcome{Summary: fmt.Sprintf("scaled %s to %d replicas", c.cmd.Target, want)}
	if s.Spec.Replicas == want {
		o.Summary = fmt.Sprintf("%s already has %d replicas", c.cmd.Target, want)
	} else {
		// The resourceVersion makes it a compare-and-swap: a scale by
		// someone else in between is a conflict, not overwritten.
		patch := map[string]any{"metadata": map[string]any{"resourceVersion": s.ResourceVersion},
			"spec": map[string]any{"replicas": want}}
		if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "scale", types.MergePatchType, patch, nil); err != nil {
			return outcome{}, err
		}
		o.Changes = []string{fmt.Sprintf("replicas: %d → %d", s.Spec.Replicas, want)}
	}
	if h := hpaLine(ctx, c); h != nil {
		o.Summary += "; " + string(h)
	}
	return o, nil
}

// hpaLine names the HorizontalPodAutoscaler targeting the workload, if
// any (nil when none or unreadable).
func hpaLine(ctx context.Context, c *call) []byte {
	var list autoscalingv2.HorizontalPodAutoscalerList
	if err := c.k.list(ctx, kindOf(kinds.HorizontalPodAutoscaler), c.ns(), nil, &list); err != nil {
		return nil
	}
	for _, h := range list.Items {
		if h.Spec.ScaleTargetRef.Kind == c.kind.Name && h.Spec.ScaleTargetRef.Name == c.name() {
			return fmt.Appendf(nil, "HorizontalPodAutoscaler %s manages its replicas (%d to %d) and may change them",
				h.Name, deref(h.Spec.MinReplicas, 1), h.Spec.MaxReplicas)
		}
	}
	return nil
}

// workloadSetImage sets one container's image (kubectl set image).
func workloadSetImage(ctx context.Context, c *call) (outcome, error) {
	var w workload
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &w); err != nil {
		return outcome{}, err
	}
	name := c.p.Container
	if name == "" {
		name = c.cmd.Target.Container
	}
	spec := w.Spec.Template.Spec
	if name == "" && len(spec.Containers) == 1 {
		name = spec.Containers[0].Name
	}
	field, old := "", ""
	for _, g := range []struct {
		field string
		cs    []corev1.Container
	}{{"containers", spec.Containers}, {"initContainers", spec.InitContainers}} {
		for _, x := range g.cs {
			if x.Name == name && field == "" {
				field, old = g.field, x.Image
			}
		}
	}
	if field == "" {
		var names []string
		for _, x := range spec.Containers {
			names = append(names, x.Name)
		}
		return outcome{}, refuse("%s has no container %q (containers: %s)", c.cmd.Target, name, strings.Join(names, ", "))
	}
	if old == c.p.Image {
		return outcome{Summary: fmt.Sprintf("container %s of %s already runs %s", name, c.cmd.Target, old)}, nil
	}
	patch := map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		field: []map[string]string{{"name": name, "image": c.p.Image}}}}}}
	if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.StrategicMergePatchType, patch, nil); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("set the image of %s container %s to %s", c.cmd.Target, name, c.p.Image),
		Changes: []string{fmt.Sprintf("container %s image: %s → %s", name, old, c.p.Image)}}, nil
}

// Revision is one entry of workload.history's output (a JSON array,
// oldest first).
type Revision struct {
	Revision    int64     `json:"revision"`
	ChangeCause string    `json:"change_cause,omitempty"`
	Images      []string  `json:"images"`
	Created     time.Time `json:"created"`
	Current     bool      `json:"current,omitempty"`
	// Object is what holds it: a ReplicaSet (Deployments) or a
	// ControllerRevision (StatefulSets, DaemonSets).
	Object string `json:"object"`
	// template is what a rollback restores (ReplicaSets) and patch the
	// ControllerRevision's data (StatefulSets, DaemonSets).
	template *corev1.PodTemplateSpec
	patch    []byte
}

// revisions lists a workload's revisions, oldest first, as kubectl
// rollout history does: from the ReplicaSets a Deployment owns, or the
// ControllerRevisions of a StatefulSet or DaemonSet.
func revisions(ctx context.Context, c *call, w *workload) ([]Revision, error) {
	sel, err := metav1.LabelSelectorAsSelector(w.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of %s: %w", c.cmd.Target, err)
	}
	q := url.Values{"labelSelector": {sel.String()}}
	var out []Revision
	if c.kind.Name == kinds.Deployment {
		var list appsv1.ReplicaSetList
		if err := c.k.list(ctx, kindOf(kinds.ReplicaSet), c.ns(), q, &list); err != nil {
			return nil, err
		}
		current := w.Annotations[revisionAnnotation]
		for i := range list.Items {
			rs := &list.Items[i]
			if !ownedBy(rs.OwnerReferences, w.UID) {
				continue
			}
			n, err := strconv.ParseInt(rs.Annotations[revisionAnnotation], 10, 64)
			if err != nil {
				continue
			}
			out = append(out, Revision{Revision: n, ChangeCause: rs.Annotations[changeCauseAnnotation],
				Images: images(&rs.Spec.Template), Created: rs.CreationTimestamp.UTC(),
				Current: rs.Annotations[revisionAnnotation] == current, Object: "ReplicaSet/" + rs.Name, template: &rs.Spec.Template})
		}
	} else {
		var list appsv1.ControllerRevisionList
		if err := c.k.list(ctx, controllerRevisions, c.ns(), q, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			cr := &list.Items[i]
			if !ownedBy(cr.OwnerReferences, w.UID) {
				continue
			}
			var t struct {
				Spec struct {
					Template corev1.PodTemplateSpec `json:"template"`
				} `json:"spec"`
			}
			_ = json.Unmarshal(cr.Data.Raw, &t)
			out = append(out, Revision{Revision: cr.Revision, ChangeCause: cr.Annotations[changeCauseAnnotation],
				Images: images(&t.Spec.Template), Created: cr.CreationTimestamp.UTC(), Object: "ControllerRevision/" + cr.Name,
				patch: cr.Data.Raw})
		}
		slices.SortFunc(out, func(a, b Revision) int { return int(a.Revision - b.Revision) })
		if len(out) > 0 {
			out[len(out)-1].Current = true
		}
	}
	slices.SortFunc(out, func(a, b Revision) int { return int(a.Revision - b.Revision) })
	return out, nil
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid && r.Controller != nil && *r.Controller {
			return true
		}
	}
	return false
}

func images(t *corev1.PodTemplateSpec) []string {
	out := []string{}
	for _, c := range t.Spec.Containers {
		out = append(out, c.Name+"="+c.Image)
	}
	return out
}

// workloadHistory is kubectl rollout history, as JSON.
func workloadHistory(ctx context.Context, c *call) (outcome, error) {
	var w workload
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &w); err != nil {
		return outcome{}, err
	}
	revs, err := revisions(ctx, c, &w)
	if err != nil {
		return outcome{}, err
	}
	data, err := json.Marshal(revs)
	if err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("%d revisions of %s", len(revs), c.cmd.Target), Output: data, OutputType: TypeJSON}, nil
}

// workloadUndo is kubectl rollout undo: back to to_revision, or to the
// revision before the current one. A Deployment gets the ReplicaSet's pod
// template (a JSON patch that tests the resourceVersion, so a concurrent
// change is a conflict); a StatefulSet or DaemonSet gets the
// ControllerRevision's stored patch.
func workloadUndo(ctx context.Context, c *call) (outcome, error) {
	var w workload
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &w); err != nil {
		return outcome{}, err
	}
	if w.Spec.Paused {
		return outcome{}, refuse("%s is paused: resume it before a rollback", c.cmd.Target)
	}
	revs, err := revisions(ctx, c, &w)
	if err != nil {
		return outcome{}, err
	}
	cur := -1
	for i, r := range revs {
		if r.Current {
			cur = i
		}
	}
	var to *Revision
	for i := range revs {
		switch {
		case c.p.ToRevision == 0 && i < cur:
			to = &revs[i] // the newest before the current one
		case c.p.ToRevision != 0 && revs[i].Revision == c.p.ToRevision:
			to = &revs[i]
		}
	}
	if to == nil {
		if c.p.ToRevision == 0 {
			return outcome{}, refuse("%s has no revision before the current one", c.cmd.Target)
		}
		return outcome{}, refuse("%s has no revision %d", c.cmd.Target, c.p.ToRevision)
	}
	if cur >= 0 && revs[cur].Revision == to.Revision {
		return outcome{Summary: fmt.Sprintf("%s already runs revision %d", c.cmd.Target, to.Revision)}, nil
	}
	if c.kind.Name == kinds.Deployment {
		t := to.template.DeepCopy()
		delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
		patch := []map[string]any{
			{"op": "test", "path": "/metadata/resourceVersion", "value": w.ResourceVersion},
			{"op": "replace", "path": "/spec/template", "value": t},
		}
		if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.JSONPatchType, patch, nil); err != nil {
			return outcome{}, err
		}
	} else if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.StrategicMergePatchType, to.patch, nil); err != nil {
		return outcome{}, err
	}
	from := "?"
	if cur >= 0 {
		from = fmt.Sprintf("revision %d (%s)", revs[cur].Revision, strings.Join(revs[cur].Images, ", "))
	}
	return outcome{Summary: fmt.Sprintf("rolled %s back to revision %d", c.cmd.Target, to.Revision),
		Changes: []string{fmt.Sprintf("pod template: %s → revision %d (%s)", from, to.Revision, strings.Join(to.Images, ", "))}}, nil
}

// workloadPause pauses or resumes a Deployment's rollout.
func workloadPause(ctx context.Context, c *call, pause bool) (outcome, error) {
	var w workload
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &w); err != nil {
		return outcome{}, err
	}
	verb := map[bool]string{true: "paused", false: "resumed"}[pause]
	if w.Spec.Paused == pause {
		return outcome{Summary: fmt.Sprintf("%s was already %s", c.cmd.Target, verb)}, nil
	}
	patch := map[string]any{"spec": map[string]any{"paused": pause}}
	if err := c.k.patch(ctx, c.kind, c.ns(), c.name(), "", types.MergePatchType, patch, nil); err != nil {
		return outcome{}, err
	}
	return outcome{Summary: fmt.Sprintf("%s the rollout of %s", verb, c.cmd.Target),
		Changes: []string{fmt.Sprintf("paused: %v → %v", !pause, pause)}}, nil
}
