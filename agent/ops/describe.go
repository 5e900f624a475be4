package ops

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// describe renders an object as kubectl describe would, compactly: the
// metadata, what matters of the kinds people describe most (pods, nodes,
// workloads, jobs, services), the rest of spec and status as YAML for
// other kinds, then the object's Events.
func describe(obj any, k kinds.Kind, evs []Event, now time.Time, extra []byte) []byte {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 8, 1, ' ', 0)
	line := func(label string, format string, args ...any) {
		fmt.Fprintf(w, "%s:\t%s\n", label, fmt.Sprintf(format, args...))
	}
	if m, ok := obj.(metav1.Object); ok {
		line("Name", "%s", m.GetName())
		if m.GetNamespace() != "" {
			line("Namespace", "%s", m.GetNamespace())
		}
		line("Kind", "%s", k.Name)
		ct := m.GetCreationTimestamp().Time
		line("Created", "%s (%s ago)", ct.UTC().Format(time.RFC3339), ago(now, ct))
		line("Labels", "%s", pairs(m.GetLabels()))
		line("Annotations", "%s", pairs(m.GetAnnotations()))
		if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
			line("Controlled By", "%s/%s", ref.Kind, ref.Name)
		}
		if dt := m.GetDeletionTimestamp(); dt != nil {
			line("Terminating", "since %s", dt.UTC().Format(time.RFC3339))
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		describePod(w, line, o, now)
	case *corev1.Node:
		describeNode(w, line, o)
	case *appsv1.Deployment:
		line("Replicas", "%d desired | %d updated | %d total | %d available | %d unavailable",
			deref(o.Spec.Replicas, 1), o.Status.UpdatedReplicas, o.Status.Replicas, o.Status.AvailableReplicas, o.Status.UnavailableReplicas)
		line("Strategy", "%s", o.Spec.Strategy.Type)
		line("Selector", "%s", metav1.FormatLabelSelector(o.Spec.Selector))
		if o.Spec.Paused {
			line("Paused", "true")
		}
		line("Revision", "%s", o.Annotations[revisionAnnotation])
		describeTemplate(w, line, &o.Spec.Template)
		describeConditions(w, conditions(o.Status.Conditions, func(c appsv1.DeploymentCondition) [3]string {
			return [3]string{string(c.Type), string(c.Status), c.Reason}
		}))
	case *appsv1.StatefulSet:
		line("Replicas", "%d desired | %d current | %d ready | %d updated",
			deref(o.Spec.Replicas, 1), o.Status.CurrentReplicas, o.Status.ReadyReplicas, o.Status.UpdatedReplicas)
		line("Update Strategy", "%s", o.Spec.UpdateStrategy.Type)
		line("Service Name", "%s", o.Spec.ServiceName)
		line("Selector", "%s", metav1.FormatLabelSelector(o.Spec.Selector))
		describeTemplate(w, line, &o.Spec.Template)
	case *appsv1.DaemonSet:
		line("Nodes", "%d desired | %d current | %d ready | %d up-to-date | %d available | %d misscheduled",
			o.Status.DesiredNumberScheduled, o.Status.CurrentNumberScheduled, o.Status.NumberReady,
			o.Status.UpdatedNumberScheduled, o.Status.NumberAvailable, o.Status.NumberMisscheduled)
		line("Update Strategy", "%s", o.Spec.UpdateStrategy.Type)
		line("Selector", "%s", metav1.FormatLabelSelector(o.Spec.Selector))
		describeTemplate(w, line, &o.Spec.Template)
	case *appsv1.ReplicaSet:
		line("Replicas", "%d desired | %d current | %d ready | %d available",
			deref(o.Spec.Replicas, 1), o.Status.Replicas, o.Status.ReadyReplicas, o.Status.AvailableReplicas)
		line("Selector", "%s", metav1.FormatLabelSelector(o.Spec.Selector))
		describeTemplate(w, line, &o.Spec.Template)
	case *batchv1.Job:
		line("Parallelism", "%d", deref(o.Spec.Parallelism, 1))
		line("Completions", "%d", deref(o.Spec.Completions, 1))
		if o.Status.StartTime != nil {
			line("Start Time", "%s", o.Status.StartTime.UTC().Format(time.RFC3339))
		}
		if o.Status.CompletionTime != nil {
			line("Completed At", "%s", o.Status.CompletionTime.UTC().Format(time.RFC3339))
		}
		line("Pods Statuses", "%d active | %d succeeded | %d failed", o.Status.Active, o.Status.Succeeded, o.Status.Failed)
		describeTemplate(w, line, &o.Spec.Template)
	case *batchv1.CronJob:
		line("Schedule", "%s", o.Spec.Schedule)
		if o.Spec.TimeZone != nil {
			line("Time Zone", "%s", *o.Spec.TimeZone)
		}
		line("Concurrency Policy", "%s", o.Spec.ConcurrencyPolicy)
		line("Suspend", "%v", o.Spec.Suspend != nil && *o.Spec.Suspend)
		if o.Status.LastScheduleTime != nil {
			line("Last Schedule Time", "%s", o.Status.LastScheduleTime.UTC().Format(time.RFC3339))
		}
		line("Active Jobs", "%d", len(o.Status.Active))
		describeTemplate(w, line, &o.Spec.JobTemplate.Spec.Template)
	case *corev1.Service:
		line("Type", "%s", o.Spec.Type)
		line("Selector", "%s", pairs(o.Spec.Selector))
		line("IP", "%s", strings.Join(o.Spec.ClusterIPs, ","))
		for _, p := range o.Spec.Ports {
			line("Port", "%s %d/%s → %s", orNone(p.Name), p.Port, p.Protocol, p.TargetPort.String())
		}
	case *metav1.PartialObjectMetadata:
		fmt.Fprintln(w, "Data:\t<not read: the agent reads this kind's metadata only>")
	default:
		describeRest(w, obj)
	}
	if len(extra) > 0 {
		fmt.Fprintf(w, "%s\n", extra)
	}
	w.Flush()
	b.WriteString("Events:")
	if len(evs) == 0 {
		b.WriteString("  <none>\n")
		return b.Bytes()
	}
	b.WriteString("\n")
	w = tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "  TYPE\tREASON\tAGE\tFROM\tMESSAGE")
	for _, e := range evs {
		age := ago(now, e.LastSeen)
		if e.Count > 1 {
			age += fmt.Sprintf(" (x%d over %s)", e.Count, ago(now, e.FirstSeen))
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, age, e.Source, strings.TrimSpace(e.Message))
	}
	w.Flush()
	return b.Bytes()
}

type lineFunc func(label, format string, args ...any)

func describePod(w *tabwriter.Writer, line lineFunc, p *corev1.Pod, now time.Time) {
	line("Node", "%s", orNone(p.Spec.NodeName))
	line("Status", "%s", p.Status.Phase)
	if p.Status.Reason != "" {
		line("Reason", "%s", p.Status.Reason)
	}
	line("IP", "%s", orNone(p.Status.PodIP))
	line("QoS Class", "%s", p.Status.QOSClass)
	if p.Spec.PriorityClassName != "" {
		line("Priority Class", "%s", p.Spec.PriorityClassName)
	}
	states := map[string]corev1.ContainerStatus{}
	for _, s := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		states[s.Name] = s
	}
	for _, group := range []struct {
		title string
		cs    []corev1.Container
	}{{"Init Containers", p.Spec.InitContainers}, {"Containers", p.Spec.Containers}} {
		if len(group.cs) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", group.title)
		for _, c := range group.cs {
			s := states[c.Name]
			fmt.Fprintf(w, "  %s:\n", c.Name)
			fmt.Fprintf(w, "    Image:\t%s\n", c.Image)
			fmt.Fprintf(w, "    State:\t%s\n", containerState(s.State, now))
			if s.LastTerminationState.Terminated != nil {
				fmt.Fprintf(w, "    Last State:\t%s\n", containerState(s.LastTerminationState, now))
			}
			fmt.Fprintf(w, "    Ready:\t%v\n", s.Ready)
			fmt.Fprintf(w, "    Restart Count:\t%d\n", s.RestartCount)
			describeResources(w, "    ", c.Resources)
		}
	}
	describeConditions(w, conditions(p.Status.Conditions, func(c corev1.PodCondition) [3]string {
		return [3]string{string(c.Type), string(c.Status), c.Reason}
	}))
	if len(p.Spec.Tolerations) > 0 {
		var ts []string
		for _, t := range p.Spec.Tolerations {
			ts = append(ts, fmt.Sprintf("%s%s%s:%s", t.Key, map[bool]string{true: "=", false: ""}[t.Value != ""], t.Value, orNone(string(t.Effect))))
		}
		line("Tolerations", "%s", strings.Join(ts, ", "))
	}
}

func containerState(s corev1.ContainerState, now time.Time) string {
	switch {
	case s.Running != nil:
		return "Running since " + s.Running.StartedAt.UTC().Format(time.RFC3339)
	case s.Waiting != nil:
		return "Waiting: " + s.Waiting.Reason
	case s.Terminated != nil:
		return fmt.Sprintf("Terminated: %s (exit code %d) %s ago", s.Terminated.Reason, s.Terminated.ExitCode, ago(now, s.Terminated.FinishedAt.Time))
	}
	return "<unknown>"
}

func describeResources(w *tabwriter.Writer, indent string, r corev1.ResourceRequirements) {
	list := func(l corev1.ResourceList) string {
		var out []string
		for _, k := range slices.Sorted(maps.Keys(l)) {
			q := l[k]
			out = append(out, fmt.Sprintf("%s=%s", k, q.String()))
		}
		return strings.Join(out, ", ")
	}
	if len(r.Requests) > 0 {
		fmt.Fprintf(w, "%sRequests:\t%s\n", indent, list(r.Requests))
	}
	if len(r.Limits) > 0 {
		fmt.Fprintf(w, "%sLimits:\t%s\n", indent, list(r.Limits))
	}
}

func describeNode(w *tabwriter.Writer, line lineFunc, n *corev1.Node) {
	line("Unschedulable", "%v", n.Spec.Unschedulable)
	var taints []string
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.ToString())
	}
	line("Taints", "%s", orNone(strings.Join(taints, ", ")))
	var addrs []string
	for _, a := range n.Status.Addresses {
		addrs = append(addrs, string(a.Type)+"="+a.Address)
	}
	line("Addresses", "%s", orNone(strings.Join(addrs, ", ")))
	ni := n.Status.NodeInfo
	line("System Info", "kubelet %s, %s %s, %s", orNone(ni.KubeletVersion), ni.OperatingSystem, ni.Architecture, orNone(ni.ContainerRuntimeVersion))
	fmt.Fprintln(w, "Capacity:")
	describeResources(w, "  ", corev1.ResourceRequirements{Limits: n.Status.Capacity})
	fmt.Fprintln(w, "Allocatable:")
	describeResources(w, "  ", corev1.ResourceRequirements{Limits: n.Status.Allocatable})
	describeConditions(w, conditions(n.Status.Conditions, func(c corev1.NodeCondition) [3]string {
		return [3]string{string(c.Type), string(c.Status), c.Reason}
	}))
}

func describeTemplate(w *tabwriter.Writer, line lineFunc, t *corev1.PodTemplateSpec) {
	fmt.Fprintln(w, "Pod Template:")
	fmt.Fprintf(w, "  Labels:\t%s\n", pairs(t.Labels))
	for _, c := range t.Spec.Containers {
		fmt.Fprintf(w, "  %s:\t%s\n", c.Name, c.Image)
		describeResources(w, "    ", c.Resources)
	}
}

func conditions[C any](cs []C, f func(C) [3]string) [][3]string {
	out := make([][3]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, f(c))
	}
	return out
}

func describeConditions(w *tabwriter.Writer, cs [][3]string) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(w, "Conditions:")
	fmt.Fprintln(w, "  Type\tStatus\tReason")
	for _, c := range cs {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", c[0], c[1], orNone(c[2]))
	}
}

// describeRest shows spec and status of kinds without a section of their
// own, as YAML.
func describeRest(w *tabwriter.Writer, obj any) {
	data, err := yaml.Marshal(obj)
	if err != nil {
		return
	}
	var m map[string]any
	if yaml.Unmarshal(data, &m) != nil {
		return
	}
	for _, key := range slices.Sorted(maps.Keys(m)) {
		if key == "metadata" || key == "apiVersion" || key == "kind" {
			continue
		}
		part, err := yaml.Marshal(m[key])
		if err != nil {
			continue
		}
		fmt.Fprintf(w, "%s:\n", strings.ToUpper(key[:1])+key[1:])
		for _, l := range strings.Split(strings.TrimRight(string(part), "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

func pairs(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if len(v) > 120 {
			v = v[:120] + "…"
		}
		out = append(out, k+"="+v)
	}
	return strings.Join(out, "\n\t")
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
