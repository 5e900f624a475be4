package kubectl

import (
	"strings"

	"github.com/atlhyper/atlhyper/query/kinds"
)

// split breaks a line into words the way a POSIX shell quotes them —
// '…', "…" and backslash escapes — and does nothing else: no variables,
// globs, pipes, redirections or command substitution. Characters a
// shell would treat specially outside quotes are refused, so a line
// pasted from a terminal never means something other than it seems.
func split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errf("'", "unterminated quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				c := line[i]
				if c == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
					c = line[i]
				} else if c == '$' || c == '`' {
					return nil, errf(string(c), "shell expansion is not supported")
				}
				cur.WriteByte(c)
			}
			if i >= len(line) {
				return nil, errf(`"`, "unterminated quote")
			}
			inWord = true
		case ch == '\\':
			if i+1 >= len(line) {
				return nil, errf(`\`, "trailing backslash")
			}
			i++
			cur.WriteByte(line[i])
			inWord = true
		case strings.IndexByte("|&;<>()$`*?[]{}~#!", ch) >= 0:
			return nil, errf(string(ch), "shell syntax is not supported: this is a command line for remote operations, not a shell")
		case ch < 0x20 || ch == 0x7f:
			return nil, errf("", "control character in the line")
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// shortNames are kubectl's short names of the kinds AtlHyper knows.
var shortNames = map[string]string{
	"po": kinds.Pod, "no": kinds.Node, "ns": kinds.Namespace, "deploy": kinds.Deployment, "sts": kinds.StatefulSet,
	"ds": kinds.DaemonSet, "rs": kinds.ReplicaSet, "cj": kinds.CronJob, "svc": kinds.Service, "ing": kinds.Ingress,
	"pv": kinds.PersistentVolume, "pvc": kinds.PersistentVolumeClaim, "quota": kinds.ResourceQuota,
	"limits": kinds.LimitRange, "netpol": kinds.NetworkPolicy, "sa": kinds.ServiceAccount,
	"hpa": kinds.HorizontalPodAutoscaler, "cm": kinds.ConfigMap, "ev": kinds.Event, "pdb": kinds.PodDisruptionBudget,
	"sc": kinds.StorageClass,
}

// resolveKind maps what kubectl accepts for a kind — its name, plural,
// singular, short name, or resource.group — to the kind's name ("" if
// unknown). Case-insensitive, as kubectl.
func resolveKind(word string) string {
	w := strings.ToLower(word)
	if k, ok := shortNames[w]; ok {
		return k
	}
	for _, k := range kinds.All() {
		singular := strings.ToLower(k.Name)
		full := k.Resource
		if k.Group != "" {
			full += "." + k.Group
		}
		if w == singular || w == k.Resource || w == full || (k.Group != "" && w == singular+"."+k.Group) {
			return k.Name
		}
	}
	return ""
}
