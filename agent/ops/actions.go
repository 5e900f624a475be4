package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atlhyper/atlhyper/query/control"
	"github.com/atlhyper/atlhyper/query/kinds"
)

// call is one running command as its action sees it.
type call struct {
	cmd    control.Command
	kind   kinds.Kind // the target's
	p      params
	k      kube
	now    func() time.Time
	maxLog int64

	mu       sync.Mutex
	progress string
}

// Progress is what the action last reported (renewals carry it).
func (c *call) Progress() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progress
}

func (c *call) setProgress(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = fmt.Sprintf(format, args...)
}

func (c *call) ns() string   { return c.cmd.Target.Namespace }
func (c *call) name() string { return c.cmd.Target.Name }

// outcome is what an action reports: a one-line summary, what it changed
// (one line per change, "replicas: 3 → 5"), and output too large for a
// summary.
type outcome struct {
	Summary    string
	Changes    []string
	Output     []byte
	OutputType string // text/plain, application/yaml, application/json
}

// Output types of command outputs.
const (
	TypeText = "text/plain; charset=utf-8"
	TypeYAML = "application/yaml"
	TypeJSON = "application/json"
)

type action func(context.Context, *call) (outcome, error)

// actions implement the catalog of query/kinds, one per name (a test
// checks none is missing).
var actions = map[string]action{
	"pod.delete":         podDelete,
	"pod.logs":           podLogs,
	"object.yaml":        objectYAML,
	"object.describe":    objectDescribe,
	"object.events":      objectEvents,
	"workload.restart":   workloadRestart,
	"workload.scale":     workloadScale,
	"workload.set_image": workloadSetImage,
	"workload.history":   workloadHistory,
	"workload.undo":      workloadUndo,
	"workload.pause":     func(ctx context.Context, c *call) (outcome, error) { return workloadPause(ctx, c, true) },
	"workload.resume":    func(ctx context.Context, c *call) (outcome, error) { return workloadPause(ctx, c, false) },
	"node.cordon":        func(ctx context.Context, c *call) (outcome, error) { return nodeCordon(ctx, c, true) },
	"node.uncordon":      func(ctx context.Context, c *call) (outcome, error) { return nodeCordon(ctx, c, false) },
	"node.drain":         nodeDrain,
	"cronjob.trigger":    cronJobTrigger,
	"cronjob.suspend":    func(ctx context.Context, c *call) (outcome, error) { return cronJobSuspend(ctx, c, true) },
	"cronjob.resume":     func(ctx context.Context, c *call) (outcome, error) { return cronJobSuspend(ctx, c, false) },
	"job.delete":         jobDelete,
}

// kube is API with typed JSON helpers.
type kube struct{ api API }

func kindOf(name string) kinds.Kind {
	k, ok := kinds.ByName(name)
	if !ok {
		panic("ops: unknown kind " + name)
	}
	return k
}

// controllerRevisions are not a collected kind; rollbacks of StatefulSets
// and DaemonSets read them.
var controllerRevisions = kinds.Kind{Name: "ControllerRevision", Group: "apps", Version: "v1",
	Resource: "controllerrevisions", Namespaced: true}

func (k kube) get(ctx context.Context, kind kinds.Kind, ns, name string, v any) error {
	data, err := k.api.Do(ctx, Request{Method: "GET", Path: resourcePath(kind, ns, name, "")})
	if err != nil {
		return fmt.Errorf("get %s %s: %w", kind.Name, name, err)
	}
	return decodeJSON(kind.Name+" "+name, data, v)
}

func (k kube) list(ctx context.Context, kind kinds.Kind, ns string, q url.Values, v any) error {
	data, err := k.api.Do(ctx, Request{Method: "GET", Path: resourcePath(kind, ns, "", ""), Query: q})
	if err != nil {
		return fmt.Errorf("list %s: %w", kind.Resource, err)
	}
	return decodeJSON(kind.Resource, data, v)
}

// patch applies a patch of type pt (a value marshalled to JSON, or raw
// bytes) to an object or its subresource; into, if not nil, receives the
// result.
func (k kube) patch(ctx context.Context, kind kinds.Kind, ns, name, sub string, pt types.PatchType, patch any, into any) error {
	body, ok := patch.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(patch); err != nil {
			return err
		}
	}
	data, err := k.api.Do(ctx, Request{Method: "PATCH", Path: resourcePath(kind, ns, name, sub), ContentType: string(pt), Body: body})
	if err != nil {
		return fmt.Errorf("patch %s %s: %w", kind.Name, name, err)
	}
	if into == nil {
		return nil
	}
	return decodeJSON(kind.Name+" "+name, data, into)
}

// create posts obj to a collection (name "") or to an object's
// subresource (eviction).
func (k kube) create(ctx context.Context, kind kinds.Kind, ns, name, sub string, obj any, into any) error {
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	data, err := k.api.Do(ctx, Request{Method: "POST", Path: resourcePath(kind, ns, name, sub), Body: body})
	if err != nil {
		return fmt.Errorf("create %s: %w", kind.Name, err)
	}
	if into == nil {
		return nil
	}
	return decodeJSON(kind.Name, data, into)
}

func (k kube) delete(ctx context.Context, kind kinds.Kind, ns, name string, opts metav1.DeleteOptions) error {
	opts.TypeMeta = metav1.TypeMeta{Kind: "DeleteOptions", APIVersion: "v1"}
	body, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	if _, err := k.api.Do(ctx, Request{Method: "DELETE", Path: resourcePath(kind, ns, name, ""), Body: body}); err != nil {
		return fmt.Errorf("delete %s %s: %w", kind.Name, name, err)
	}
	return nil
}

// ago says how long before now t was, as kubectl's AGE column does.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
