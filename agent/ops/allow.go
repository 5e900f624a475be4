package ops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// Allow is the agent's own allowlist: what the central side may ask of
// this cluster. A cluster owner narrows it with the agent's flags; the API
// cannot widen it.
type Allow struct {
	Actions    []string // action names (query/kinds); nil: every action
	Namespaces []string // namespaces of namespaced targets; nil: all
}

// ParseAllow reads the --allow-actions and --allow-namespaces flags:
// comma-separated lists, empty for all. An unknown action is an error.
func ParseAllow(actions, namespaces string) (Allow, error) {
	var a Allow
	for _, n := range splitList(actions) {
		if _, ok := kinds.ActionByName(n); !ok {
			var names []string
			for _, x := range kinds.Actions() {
				names = append(names, x.Name)
			}
			return Allow{}, fmt.Errorf("--allow-actions: unknown action %q (known: %s)", n, strings.Join(names, ", "))
		}
		a.Actions = append(a.Actions, n)
	}
	a.Namespaces = splitList(namespaces)
	return a, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// check says why the allowlist leaves a command out, or "" when it does
// not.
func (a Allow) check(action string, k kinds.Kind, namespace string) string {
	if a.Actions != nil && !slices.Contains(a.Actions, action) {
		return fmt.Sprintf("action %s is not in this agent's allowlist (--allow-actions)", action)
	}
	if k.Namespaced && a.Namespaces != nil && !slices.Contains(a.Namespaces, namespace) {
		return fmt.Sprintf("namespace %q is not in this agent's allowlist (--allow-namespaces)", namespace)
	}
	return ""
}
