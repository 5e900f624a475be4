// Package controlplane runs a small but real Kubernetes control plane for
// tests and benchmarks: etcd and kube-apiserver (through controller-runtime's
// envtest), kube-controller-manager, kube-scheduler, and kwok playing the
// kubelet for a few fake nodes. It is what envtest alone lacks: with it a
// Deployment gets ReplicaSets and pods, a rollout restart makes a new
// ReplicaSet, a scale makes pods that are scheduled and become Running and
// Ready, a PodDisruptionBudget computes its allowed disruptions, and a drain
// through the Eviction API finishes. Issue 15's remote operations are tested
// against it.
//
// The binaries come from scripts/tools/install (pinned, built once per
// machine, found through KUBEBUILDER_ASSETS, ATLHYPER_BIN or the cache);
// a missing one is an error naming the install command, never a skip.
//
// # What runs, and why it is configured so
//
//   - Everything listens on 127.0.0.1 on free ports and lives in one
//     temporary directory (certificates, kubeconfigs, etcd data, one log per
//     component). Each process runs in its own process group with a parent
//     death signal; Stop terminates the groups (SIGTERM, then SIGKILL),
//     kills anything still naming the directory on its command line,
//     reports it as an error, and removes the directory.
//   - kube-apiserver keeps envtest's defaults: RBAC authorization, client
//     certificates from a test CA, a service-account signing key and issuer
//     (so TokenRequest works and tokens authenticate), and the
//     ServiceAccount admission plugin off, so pods need no ServiceAccount
//     object (a namespace created a moment ago would otherwise refuse pods
//     until the serviceaccount controller caught up).
//   - kube-controller-manager runs only the controllers a workload's life
//     needs (see controllers) and not the cloud, volume, certificate or HPA
//     ones. It signs service-account token Secrets with the API server's key
//     and publishes its CA as kube-root-ca.crt. Leader election is off
//     (one instance). node-lifecycle is on, as in a real cluster: it taints
//     cordoned nodes and would evict pods from nodes whose kwok lease
//     stopped; kwok renews leases, so nodes stay Ready.
//   - kube-scheduler runs its default profile; nodes carry no kwok taint,
//     so ordinary pods schedule on them without tolerations.
//   - kwok manages only nodes annotated kwok.x-k8s.io/node=fake, with the
//     stages kwokctl uses by default (kwok.yaml here): a node becomes Ready
//     and renews a Lease; a pod bound to it becomes Running and Ready at
//     once (or after the delay in its pod-ready.stage.kwok.x-k8s.io/delay
//     annotation, see PodReadyDelay); a Job's pod completes; a pod being
//     deleted is removed. Its pod IPs come from a /16 so a few thousand
//     pods fit. Its server is every node's kubelet endpoint (127.0.0.1),
//     so GET pods/log works: it serves what SetPodLogs wrote (logs.go).
//   - Components authenticate with client certificates from envtest's CA,
//     each under its own user name in system:masters: their permissions are
//     not what is under test, and the bootstrap controller roles would only
//     add a source of flakes.
//   - Startup waits on conditions (health endpoints, nodes Ready), never on
//     fixed delays.
//
// Start a control plane once per test package (Shared, stopped from
// TestMain) and give each test its own namespace: startup takes about 7 s
// on a busy two-core machine (Start gives a test its own, for tests that
// break the cluster). Clients for other identities — a ServiceAccount's
// token, impersonation, a certificate user — let tests run code under
// least privilege.
//
// Tests assert effects by waiting for them: WaitFor polls a Check until
// it holds or a context ends; Eventually does so for WaitTimeout and fails
// the test with the controllers' logs; RolledOut/WaitRolledOut (a
// Deployment's pods all Running and Ready from its current ReplicaSet) and
// Budget/WaitBudget (a PodDisruptionBudget computed for its current pods)
// are the conditions remote operations need.
//
// The package never talks to a cluster it did not start.
package controlplane
