package ops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// params are every action's parameters (query/kinds lists which action
// takes which; docs/agent.md, Operations).
type params struct {
	GraceSeconds       *int64 `json:"grace_seconds"`
	Container          string `json:"container"`
	Previous           bool   `json:"previous"`
	TailLines          *int64 `json:"tail_lines"`
	SinceSeconds       *int64 `json:"since_seconds"`
	Replicas           *int32 `json:"replicas"`
	Image              string `json:"image"`
	ToRevision         int64  `json:"to_revision"`
	TimeoutSeconds     int64  `json:"timeout_seconds"`
	DeleteEmptyDirData bool   `json:"delete_emptydir_data"`
	Force              bool   `json:"force"`
}

// parseParams decodes a command's parameters: only those its action
// takes, with sane values.
func parseParams(a kinds.Action, raw json.RawMessage) (params, error) {
	var p params
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return p, fmt.Errorf("parameters: want a JSON object: %v", err)
	}
	for k := range keys {
		if !slices.Contains(a.Params, k) {
			return p, fmt.Errorf("parameter %q: %s takes %s", k, a.Name, takes(a))
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return p, fmt.Errorf("parameters: %v", err)
	}
	switch {
	case p.GraceSeconds != nil && (*p.GraceSeconds < 0 || *p.GraceSeconds > 3600):
		return p, fmt.Errorf("grace_seconds %d: want 0 to 3600", *p.GraceSeconds)
	case p.TailLines != nil && (*p.TailLines < 1 || *p.TailLines > 100_000):
		return p, fmt.Errorf("tail_lines %d: want 1 to 100000", *p.TailLines)
	case p.SinceSeconds != nil && *p.SinceSeconds < 1:
		return p, fmt.Errorf("since_seconds %d: want 1 or more", *p.SinceSeconds)
	case p.Replicas != nil && (*p.Replicas < 0 || *p.Replicas > 10_000):
		return p, fmt.Errorf("replicas %d: want 0 to 10000", *p.Replicas)
	case a.Name == "workload.scale" && p.Replicas == nil:
		return p, fmt.Errorf("workload.scale needs replicas")
	case a.Name == "workload.set_image" && (p.Image == "" || strings.ContainsAny(p.Image, " \t\n")):
		return p, fmt.Errorf("workload.set_image needs an image (got %q)", p.Image)
	case p.ToRevision < 0:
		return p, fmt.Errorf("to_revision %d: want 0 (the previous) or a revision", p.ToRevision)
	case p.TimeoutSeconds < 0 || p.TimeoutSeconds > 3600:
		return p, fmt.Errorf("timeout_seconds %d: want 0 (default) to 3600", p.TimeoutSeconds)
	}
	return p, nil
}

func takes(a kinds.Action) string {
	if len(a.Params) == 0 {
		return "no parameters"
	}
	return strings.Join(a.Params, ", ")
}
