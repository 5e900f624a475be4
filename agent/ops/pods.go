package ops

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atlhyper/atlhyper/agent/redact"
)

// podDelete deletes a pod (its controller, if any, makes a new one). The
// UID precondition keeps a StatefulSet's same-named successor safe from a
// late command.
func podDelete(ctx context.Context, c *call) (outcome, error) {
	var p corev1.Pod
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &p); err != nil {
		return outcome{}, err
	}
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}, GracePeriodSeconds: c.p.GraceSeconds}
	if err := c.k.delete(ctx, c.kind, c.ns(), c.name(), opts); err != nil {
		return outcome{}, err
	}
	o := outcome{Summary: fmt.Sprintf("deleted pod %s/%s", c.ns(), c.name()), Changes: []string{"pod deleted"}}
	if ref := metav1.GetControllerOf(&p); ref != nil {
		o.Summary += fmt.Sprintf(" (%s %s will replace it)", ref.Kind, ref.Name)
	}
	if c.p.GraceSeconds != nil {
		o.Changes[0] += fmt.Sprintf(" (grace period %ds)", *c.p.GraceSeconds)
	}
	return o, nil
}

// defaultTailLines bounds a log fetch that names neither tail_lines nor
// since_seconds: the end of a log is what is read.
const defaultTailLines = 1000

// podLogs fetches a container's log (its previous instance's with
// previous), at most maxLog bytes, through the redaction policy.
func podLogs(ctx context.Context, c *call) (outcome, error) {
	var p corev1.Pod
	if err := c.k.get(ctx, c.kind, c.ns(), c.name(), &p); err != nil {
		return outcome{}, err
	}
	container := c.p.Container
	if container == "" {
		container = c.cmd.Target.Container
	}
	if container == "" {
		container = p.Annotations["kubectl.kubernetes.io/default-container"]
	}
	if container == "" && len(p.Spec.Containers) > 0 {
		container = p.Spec.Containers[0].Name
	}
	if !hasContainer(&p, container) {
		return outcome{}, refuse("pod %s/%s has no container %q", c.ns(), c.name(), container)
	}
	q := url.Values{"container": {container}, "limitBytes": {strconv.FormatInt(c.maxLog, 10)}}
	if c.p.Previous {
		q.Set("previous", "true")
	}
	switch {
	case c.p.TailLines != nil:
		q.Set("tailLines", strconv.FormatInt(*c.p.TailLines, 10))
	case c.p.SinceSeconds == nil:
		q.Set("tailLines", strconv.Itoa(defaultTailLines))
	}
	if c.p.SinceSeconds != nil {
		q.Set("sinceSeconds", strconv.FormatInt(*c.p.SinceSeconds, 10))
	}
	rc, err := c.k.api.Stream(ctx, Request{Method: "GET", Path: resourcePath(c.kind, c.ns(), c.name(), "log"), Query: q})
	if err != nil {
		return outcome{}, fmt.Errorf("logs of %s/%s (%s): %w", c.ns(), c.name(), container, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, c.maxLog+1))
	if err != nil {
		return outcome{}, fmt.Errorf("read logs of %s/%s: %w", c.ns(), c.name(), err)
	}
	// The API server stops at limitBytes: a log that long was cut.
	truncated := int64(len(data)) >= c.maxLog
	data = data[:min(int64(len(data)), c.maxLog)]
	text := redact.Text(string(data))
	which := "log"
	if c.p.Previous {
		which = "previous instance's log"
	}
	sum := fmt.Sprintf("%d bytes of container %s's %s", len(text), container, which)
	if truncated {
		sum += fmt.Sprintf(" (cut at %d bytes)", c.maxLog)
	}
	return outcome{Summary: sum, Output: []byte(text), OutputType: TypeText}, nil
}

func hasContainer(p *corev1.Pod, name string) bool {
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, x := range cs {
			if x.Name == name {
				return true
			}
		}
	}
	for _, x := range p.Spec.EphemeralContainers {
		if x.Name == name {
			return true
		}
	}
	return false
}
