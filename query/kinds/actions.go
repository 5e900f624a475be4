package kinds

import (
	"slices"
	"time"
)

// Action is a remote operation the agent can carry out (agent/ops), as the
// API offers it (functions/api, role gates) and the dashboard shows it.
// Kinds' Operations are derived from this list.
type Action struct {
	Name string // e.g. "workload.scale": the command's action
	// Verb is what an operator types in the dashboard's command box
	// ("rollout restart", "scale", "cordon"…; functions/kubectl).
	Verb  string
	Kinds []string // kinds it applies to
	// Role is the least role that may ask for it: "operator" or "admin".
	Role string
	// ReadOnly actions change nothing in the cluster: they may run again
	// after their agent crashed, and their output is the point.
	ReadOnly bool
	// Params names the parameters it takes (docs/api.md, Operations).
	Params []string
	// Timeout is the default deadline from submission; long actions
	// (drains) renew their lease while they run.
	Timeout time.Duration
}

// Roles of actions.
const (
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

var (
	workloads  = []string{Deployment, StatefulSet, DaemonSet}
	scalable   = []string{Deployment, StatefulSet, ReplicaSet}
	everything = func() []string {
		var out []string
		for _, k := range all {
			if k.Name != Secret && k.Name != Event { // a Secret's values are never read
				out = append(out, k.Name)
			}
		}
		return out
	}
)

var actions = []Action{
	{Name: "pod.delete", Verb: "delete", Kinds: []string{Pod}, Role: RoleOperator, Params: []string{"grace_seconds"}, Timeout: 2 * time.Minute},
	{Name: "pod.logs", Verb: "logs", Kinds: []string{Pod}, Role: RoleOperator, ReadOnly: true,
		Params: []string{"container", "previous", "tail_lines", "since_seconds"}, Timeout: time.Minute},
	{Name: "object.yaml", Verb: "get", Role: RoleOperator, ReadOnly: true, Timeout: time.Minute},
	{Name: "object.describe", Verb: "describe", Role: RoleOperator, ReadOnly: true, Timeout: time.Minute},
	{Name: "object.events", Verb: "events", Role: RoleOperator, ReadOnly: true, Timeout: time.Minute},
	{Name: "workload.restart", Verb: "rollout restart", Kinds: workloads, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "workload.scale", Verb: "scale", Kinds: scalable, Role: RoleOperator, Params: []string{"replicas"}, Timeout: 2 * time.Minute},
	{Name: "workload.set_image", Verb: "set image", Kinds: workloads, Role: RoleAdmin, Params: []string{"container", "image"}, Timeout: 2 * time.Minute},
	{Name: "workload.history", Verb: "rollout history", Kinds: workloads, Role: RoleOperator, ReadOnly: true, Timeout: time.Minute},
	{Name: "workload.undo", Verb: "rollout undo", Kinds: workloads, Role: RoleAdmin, Params: []string{"to_revision"}, Timeout: 2 * time.Minute},
	{Name: "workload.pause", Verb: "rollout pause", Kinds: []string{Deployment}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "workload.resume", Verb: "rollout resume", Kinds: []string{Deployment}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "node.cordon", Verb: "cordon", Kinds: []string{Node}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "node.uncordon", Verb: "uncordon", Kinds: []string{Node}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "node.drain", Verb: "drain", Kinds: []string{Node}, Role: RoleAdmin,
		Params: []string{"grace_seconds", "timeout_seconds", "delete_emptydir_data", "force"}, Timeout: 30 * time.Minute},
	{Name: "cronjob.trigger", Verb: "create job --from", Kinds: []string{CronJob}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "cronjob.suspend", Verb: "suspend", Kinds: []string{CronJob}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "cronjob.resume", Verb: "resume", Kinds: []string{CronJob}, Role: RoleOperator, Timeout: 2 * time.Minute},
	{Name: "job.delete", Verb: "delete", Kinds: []string{Job}, Role: RoleOperator, Timeout: 2 * time.Minute},
}

func init() {
	for i := range actions {
		if actions[i].Kinds == nil {
			actions[i].Kinds = everything()
		}
	}
	for i := range all {
		for _, a := range actions {
			if slices.Contains(a.Kinds, all[i].Name) {
				all[i].Operations = append(all[i].Operations, Operation(a.Name))
			}
		}
	}
}

// Actions lists every remote operation.
func Actions() []Action { return slices.Clone(actions) }

// ActionByName finds an action.
func ActionByName(name string) (Action, bool) {
	for _, a := range actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// Applies reports whether a applies to kind.
func (a Action) Applies(kind string) bool { return slices.Contains(a.Kinds, kind) }
