package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/atlhyper/atlhyper/agent/redact"
	"github.com/atlhyper/atlhyper/agent/rows"
	"github.com/atlhyper/atlhyper/agent/watch"
	"github.com/atlhyper/atlhyper/query/kinds"
)

// metadataOnly asks the API server for an object's metadata alone: the
// data of a ConfigMap never reaches the agent.
const metadataOnly = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

// fetch reads the target as the lake's details show it: decoded into its
// Go type and stripped by the informers' transform (watch.Strip: no
// managedFields, literal env values and secret-shaped annotation values
// redacted), metadata only for metadata-only kinds, and as plain JSON for
// kinds without a Go type (CRDs).
func fetch(ctx context.Context, c *call) (any, error) {
	if c.kind.Name == kinds.Secret {
		return nil, refuse("Secrets are never read by the agent")
	}
	req := Request{Method: "GET", Path: resourcePath(c.kind, c.ns(), c.name(), "")}
	if c.kind.MetadataOnly {
		req.Accept = metadataOnly
	}
	data, err := c.k.api.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", c.kind.Name, c.cmd.Target, err)
	}
	b, _ := rows.BindingOf(c.kind.Name)
	switch {
	case c.kind.MetadataOnly:
		var m metav1.PartialObjectMetadata
		if err := decodeJSON(c.kind.Name, data, &m); err != nil {
			return nil, err
		}
		m.TypeMeta = metav1.TypeMeta{APIVersion: c.kind.APIVersion(), Kind: c.kind.Name}
		if _, err := watch.Strip(&m); err != nil {
			return nil, err
		}
		return &m, nil
	case b != nil && b.Object != nil:
		obj := b.Object.DeepCopyObject()
		if err := decodeJSON(c.kind.Name, data, obj); err != nil {
			return nil, err
		}
		if _, err := watch.Strip(obj); err != nil {
			return nil, err
		}
		return obj, nil
	}
	var u map[string]any
	if err := decodeJSON(c.kind.Name, data, &u); err != nil {
		return nil, err
	}
	if md, ok := u["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		if a, ok := md["annotations"].(map[string]any); ok {
			s := map[string]string{}
			for k, v := range a {
				s[k], _ = v.(string)
			}
			delete(s, corev1.LastAppliedConfigAnnotation)
			md["annotations"] = redact.Annotations(s)
		}
	}
	return u, nil
}

// objectYAML returns the live object as YAML (kubectl get -o yaml, as
// stripped by fetch).
func objectYAML(ctx context.Context, c *call) (outcome, error) {
	obj, err := fetch(ctx, c)
	if err != nil {
		return outcome{}, err
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		return outcome{}, fmt.Errorf("encode %s as YAML: %w", c.cmd.Target, err)
	}
	sum := fmt.Sprintf("%s as YAML (%d bytes)", c.cmd.Target, len(out))
	if c.kind.MetadataOnly {
		sum += ", metadata only"
	}
	return outcome{Summary: sum, Output: out, OutputType: TypeYAML}, nil
}

// Event is one Kubernetes Event of an object, as object.events outputs
// them (a JSON array, newest first).
type Event struct {
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	Count     int32     `json:"count"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Source    string    `json:"source,omitempty"`
}

// events lists the Events about the target (messages redacted), newest
// first.
func events(ctx context.Context, c *call) ([]Event, error) {
	sel := "involvedObject.name=" + c.name() + ",involvedObject.kind=" + c.kind.Name
	ns := c.ns()
	if c.kind.Namespaced {
		sel += ",involvedObject.namespace=" + ns
	}
	var list corev1.EventList
	if err := c.k.list(ctx, kindOf(kinds.Event), ns, url.Values{"fieldSelector": {sel}, "limit": {"500"}}, &list); err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(list.Items))
	for _, e := range list.Items {
		last := e.LastTimestamp.Time
		if last.IsZero() {
			last = e.EventTime.Time
		}
		if last.IsZero() {
			last = e.CreationTimestamp.Time
		}
		src := e.Source.Component
		if src == "" {
			src = e.ReportingController
		}
		count := e.Count
		if count == 0 {
			count = 1
		}
		out = append(out, Event{Type: e.Type, Reason: e.Reason, Message: redact.Text(e.Message), Count: count,
			FirstSeen: e.FirstTimestamp.UTC(), LastSeen: last.UTC(), Source: src})
	}
	slices.SortStableFunc(out, func(a, b Event) int { return b.LastSeen.Compare(a.LastSeen) })
	return out, nil
}

// objectEvents returns the target's Events as JSON.
func objectEvents(ctx context.Context, c *call) (outcome, error) {
	evs, err := events(ctx, c)
	if err != nil {
		return outcome{}, err
	}
	data, err := json.Marshal(evs)
	if err != nil {
		return outcome{}, err
	}
	warnings := 0
	for _, e := range evs {
		if e.Type == corev1.EventTypeWarning {
			warnings++
		}
	}
	return outcome{Summary: fmt.Sprintf("%d events of %s (%d warnings)", len(evs), c.cmd.Target, warnings),
		Output: data, OutputType: TypeJSON}, nil
}

// objectDescribe returns a kubectl-describe-like text of the target.
func objectDescribe(ctx context.Context, c *call) (outcome, error) {
	obj, err := fetch(ctx, c)
	if err != nil {
		return outcome{}, err
	}
	evs, err := events(ctx, c)
	if err != nil {
		evs = nil // describe without events rather than not at all
	}
	var extra []byte
	if c.kind.Name == kinds.Deployment || c.kind.Name == kinds.StatefulSet || c.kind.Name == kinds.ReplicaSet {
		extra = hpaLine(ctx, c)
	}
	text := describe(obj, c.kind, evs, c.now(), extra)
	return outcome{Summary: fmt.Sprintf("description of %s", c.cmd.Target), Output: text, OutputType: TypeText}, nil
}
