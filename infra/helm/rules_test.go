package helm_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/atlhyper/atlhyper/agent/ops"
	"github.com/atlhyper/atlhyper/query/kinds"
)

var update = flag.Bool("update", false, "rewrite the chart's generated RBAC rules")

const (
	chartDir  = "atlhyper"
	rulesFile = "atlhyper/templates/_rules.tpl"
	regen     = "go test ./infra/helm -run TestGeneratedRules -update"
)

// metadataValues names the value that switches each metadata-only kind's
// rule: RBAC has no metadata-only verb, so list on them exposes their data
// to the ServiceAccount, and each is the user's choice. A new metadata-only
// kind fails the generator until it gets a value here and in values.yaml.
var metadataValues = map[string]string{kinds.ConfigMap: "configMaps", kinds.Secret: "secrets"}

// TestGeneratedRules keeps the chart's RBAC rules derived from the kind
// registry (list and watch on every kind the agent watches) and from the
// operations' rules (ops.Rules, split into namespaced and cluster-scoped
// resources so namespaced verbs can be narrowed to namespaces).
func TestGeneratedRules(t *testing.T) {
	want, err := generatedRules()
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(rulesFile)
	if string(old) == want {
		return
	}
	if *update {
		if err := os.WriteFile(rulesFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", rulesFile)
		return
	}
	t.Errorf("%s is not current: run %s", rulesFile, regen)
}

func generatedRules() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "{{/* GENERATED from query/kinds and agent/ops (ops.Rules) by: %s. Do not edit. */}}\n\n", regen)

	// list and watch on every kind; metadata-only kinds each behind their value.
	type optional struct {
		value string // the rbac value that switches it
		rule  rbacv1.PolicyRule
	}
	var watch []rbacv1.PolicyRule
	var metadata []optional
	for _, k := range kinds.All() {
		if k.MetadataOnly {
			v, ok := metadataValues[k.Name]
			if !ok {
				return "", fmt.Errorf("metadata-only kind %s has no rbac value: add it to metadataValues and values.yaml", k.Name)
			}
			metadata = append(metadata, optional{v, rbacv1.PolicyRule{APIGroups: []string{k.Group}, Resources: []string{k.Resource},
				Verbs: []string{"list", "watch"}}})
			continue
		}
		watch = addRule(watch, k.Group, k.Resource, "list", "watch")
	}
	b.WriteString("{{/* list and watch on every kind the agent watches (no get: informers only list and watch) */}}\n")
	b.WriteString("{{- define \"atlhyper.rules.watch\" }}\n")
	writeRules(&b, watch)
	for _, m := range metadata {
		fmt.Fprintf(&b, "{{- if .Values.rbac.%s }}\n", m.value)
		writeRules(&b, []rbacv1.PolicyRule{m.rule})
		b.WriteString("{{- end }}\n")
	}
	b.WriteString("{{- end }}\n\n")

	var namespaced, cluster []rbacv1.PolicyRule
	for _, r := range ops.Rules() {
		for _, res := range r.Resources {
			for _, g := range r.APIGroups {
				if scoped(g, res) {
					namespaced = addRule(namespaced, g, res, r.Verbs...)
				} else {
					cluster = addRule(cluster, g, res, r.Verbs...)
				}
			}
		}
	}
	b.WriteString("{{/* remote operations on namespaced resources (bound per namespace when narrowed) */}}\n")
	b.WriteString("{{- define \"atlhyper.rules.operations.namespaced\" }}\n")
	writeRules(&b, namespaced)
	b.WriteString("{{- end }}\n\n")
	b.WriteString("{{/* remote operations on cluster-scoped resources (cordon, drain, describe of nodes…) */}}\n")
	b.WriteString("{{- define \"atlhyper.rules.operations.cluster\" }}\n")
	writeRules(&b, cluster)
	b.WriteString("{{- end }}\n")
	return b.String(), nil
}

// scoped reports whether group/resource (a subresource too) is namespaced:
// the registry knows its kinds; the few others the operations touch
// (controllerrevisions) are namespaced.
func scoped(group, resource string) bool {
	base, _, _ := strings.Cut(resource, "/")
	for _, k := range kinds.All() {
		if k.Group == group && k.Resource == base {
			return k.Namespaced
		}
	}
	return true
}

// addRule adds resource to the rule of the same group and verbs, or a new one.
func addRule(rules []rbacv1.PolicyRule, group, resource string, verbs ...string) []rbacv1.PolicyRule {
	for i, r := range rules {
		if r.APIGroups[0] == group && slices.Equal(r.Verbs, verbs) {
			if !slices.Contains(r.Resources, resource) {
				rules[i].Resources = append(rules[i].Resources, resource)
			}
			return rules
		}
	}
	return append(rules, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource}, Verbs: slices.Clone(verbs)})
}

func writeRules(b *strings.Builder, rules []rbacv1.PolicyRule) {
	for _, r := range rules {
		g := r.APIGroups[0]
		if g == "" {
			g = `""`
		}
		fmt.Fprintf(b, "- apiGroups: [%s]\n  resources: [%s]\n  verbs: [%s]\n", g, strings.Join(r.Resources, ", "), strings.Join(r.Verbs, ", "))
	}
}
