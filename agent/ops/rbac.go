package ops

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// Rules are the RBAC rules remote operations need beyond the agent's
// read-only ones (docs/agent.md, RBAC): exactly the verbs the actions
// use. The integration tests run every action as a user bound to these
// rules and nothing else.
func Rules() []rbacv1.PolicyRule {
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"pods/eviction"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"patch"}},
		{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: []string{"list"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}, Verbs: []string{"patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale", "statefulsets/scale", "replicasets/scale"}, Verbs: []string{"get", "patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets", "controllerrevisions"}, Verbs: []string{"list"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list"}},
		{APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}, Verbs: []string{"patch"}},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"create", "delete"}},
	}
	// get on every kind an action reads (object.yaml and describe apply to
	// every collected kind but Secret and Event).
	byGroup := map[string][]string{}
	var groups []string
	for _, k := range kinds.All() {
		if k.Name == kinds.Secret || k.Name == kinds.Event {
			continue
		}
		if _, ok := byGroup[k.Group]; !ok {
			groups = append(groups, k.Group)
		}
		byGroup[k.Group] = append(byGroup[k.Group], k.Resource)
	}
	for _, g := range groups {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: byGroup[g], Verbs: []string{"get"}})
	}
	return rules
}

// RulesYAML renders Rules as the flow-style lines of docs/agent.md.
func RulesYAML() string {
	var b strings.Builder
	for _, r := range Rules() {
		g := slices.Clone(r.APIGroups)
		for i := range g {
			if g[i] == "" {
				g[i] = `""`
			}
		}
		fmt.Fprintf(&b, "- {apiGroups: [%s], resources: [%s], verbs: [%s]}\n",
			strings.Join(g, ", "), strings.Join(r.Resources, ", "), strings.Join(r.Verbs, ", "))
	}
	return b.String()
}
