// Package ops is the agent's side of remote operations: it runs the
// commands the API queued in the cluster's control object (query/control)
// against the Kubernetes API, and reports how each ended.
//
// The agent holding the cluster's lease hands every polled control object
// to an Executor. For each pending command the Executor reads the signed
// command object and refuses it — with the reason in its result, never
// running it — when the signature is missing or wrong, the command names
// another cluster, its deadline passed, it was run before (a replay), its
// queue entry disagrees with what was signed, or the agent's own allowlist
// (actions, namespaces) leaves it out. Otherwise it claims the command
// (compare-and-swap, with a lease it renews while the action runs and
// reports progress in), runs the action and finishes it with a result;
// large output (logs, YAML, describe, history) goes to the command's
// output object. Ended entries go to the lake's commands table and then
// leave the control object.
//
// The actions speak to the API server through API: raw JSON requests, so
// the agent's client can be swapped for any REST client. The package never
// reads a Secret, and reads ConfigMaps as metadata only.
package ops
