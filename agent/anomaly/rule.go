// Package anomaly derives anomalies from Kubernetes object status, with
// Events as extra evidence, and keeps their lifecycle: pending (waiting for
// a threshold), open, updated (seen again), resolved.
//
// Rules (rules.go) are pure functions from one object to Observations.
// The Engine turns observations into transitions and lake rows. An
// anomaly's identity is its fingerprint, a hash of cluster, rule, kind,
// namespace, name and container — never of counts or messages — so the
// same problem seen again, or after an agent restart, is the same anomaly.
//
// Counts never inflate: the engine counts distinct occurrences (restart
// counter increases, new terminations, event count increases, condition
// transitions), remembering the last value of each counter it has
// counted, and that memory survives restarts (State). Re-observing an
// object — an informer resync, a relist, a restart — adds nothing.
//
// The package does no I/O and reads no clock of its own.
package anomaly

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Severities.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)

// Rule describes one anomaly rule.
type Rule struct {
	Name     string
	Severity string // default severity; an observation may escalate it
	// Threshold is how long a condition must hold before the anomaly
	// opens (0: at once).
	Threshold time.Duration
	// ClearAfter is how long a condition must be absent before the
	// anomaly resolves (hysteresis against flapping); for pulse rules,
	// how long after the last occurrence the anomaly stays open.
	ClearAfter time.Duration
	// Logs asks for the previous container's log tail when it opens.
	Logs bool
	// Doc is one line for the rule table of docs/agent.md (Anomaly rules).
	Doc string
}

// Rule names.
const (
	ContainerCrashLoop     = "container.crashloop"
	ContainerOOMKilled     = "container.oom_killed"
	ContainerImagePull     = "container.image_pull"
	ContainerInvalidImage  = "container.invalid_image"
	ContainerConfigError   = "container.config_error"
	ContainerCreateError   = "container.create_error"
	ContainerStartError    = "container.start_error"
	ContainerErrorExit     = "container.error_exit"
	PodPending             = "pod.pending"
	PodUnschedulable       = "pod.unschedulable"
	PodNotReady            = "pod.not_ready"
	PodEvicted             = "pod.evicted"
	NodeNotReady           = "node.not_ready"
	NodeMemoryPressure     = "node.memory_pressure"
	NodeDiskPressure       = "node.disk_pressure"
	NodePIDPressure        = "node.pid_pressure"
	NodeNetworkUnavailable = "node.network_unavailable"
	NodeCordoned           = "node.cordoned"
	DeploymentUnavailable  = "deployment.unavailable"
	DeploymentProgress     = "deployment.progress_deadline"
	StatefulSetUnavailable = "statefulset.unavailable"
	DaemonSetUnavailable   = "daemonset.unavailable"
	JobFailed              = "job.failed"
	CronJobLastRunFailed   = "cronjob.last_run_failed"
	PVCPending             = "pvc.pending"
	PVCLost                = "pvc.lost"
	ServiceNoEndpoints     = "service.no_endpoints"
	EventFailedScheduling  = "event.failed_scheduling"
	EventBackOff           = "event.backoff"
	EventFailedMount       = "event.failed_mount"
	EventFailedAttach      = "event.failed_attach_volume"
	EventSandbox           = "event.failed_create_pod_sandbox"
	EventEvicted           = "event.evicted"
	EventUnhealthy         = "event.unhealthy"
)

// Defaults are the built-in rules; Config.Rules may override thresholds.
var Defaults = []Rule{
	{ContainerCrashLoop, Critical, 0, 10 * time.Minute, true, "container waiting in CrashLoopBackOff; resolves after 10 min out of back-off (the kubelet's back-off reset)"},
	{ContainerOOMKilled, Critical, 0, 15 * time.Minute, true, "container terminated with reason OOMKilled (current or last state); each kill counts; resolves 15 min after the last kill"},
	{ContainerImagePull, Warning, 0, 0, false, "container waiting in ImagePullBackOff or ErrImagePull"},
	{ContainerInvalidImage, Critical, 0, 0, false, "container waiting in InvalidImageName"},
	{ContainerConfigError, Critical, 0, 0, false, "container waiting in CreateContainerConfigError (missing ConfigMap/Secret key, …)"},
	{ContainerCreateError, Critical, 0, 0, false, "container waiting in CreateContainerError"},
	{ContainerStartError, Critical, 0, 15 * time.Minute, true, "container waiting in RunContainerError, or terminated with ContainerCannotRun / StartError"},
	{ContainerErrorExit, Warning, 0, 15 * time.Minute, true, "container that is not restarted (pod restartPolicy Never) terminated with a non-zero exit code; restarted containers surface as crashloop"},
	{PodPending, Warning, 10 * time.Minute, 0, false, "pod still Pending 10 min after creation, neither unschedulable nor explained by a container anomaly (volumes not attaching, sandbox not starting, scheduler not acting)"},
	{PodUnschedulable, Warning, 2 * time.Minute, 0, false, "pod condition PodScheduled=False, reason Unschedulable, for 2 min"},
	{PodNotReady, Warning, 5 * time.Minute, 0, false, "running pod with Ready=False for 5 min"},
	{PodEvicted, Warning, 0, 0, false, "pod status reason Evicted (until the pod is deleted)"},
	{NodeNotReady, Critical, 0, time.Minute, false, "node condition Ready is False or Unknown; each transition counts"},
	{NodeMemoryPressure, Warning, 0, time.Minute, false, "node condition MemoryPressure=True"},
	{NodeDiskPressure, Warning, 0, time.Minute, false, "node condition DiskPressure=True"},
	{NodePIDPressure, Warning, 0, time.Minute, false, "node condition PIDPressure=True"},
	{NodeNetworkUnavailable, Critical, 0, time.Minute, false, "node condition NetworkUnavailable=True"},
	{NodeCordoned, Info, 0, 0, false, "node marked unschedulable (cordoned)"},
	{DeploymentUnavailable, Warning, 5 * time.Minute, 0, false, "Deployment with fewer available replicas than desired for 5 min; critical when none is available"},
	{DeploymentProgress, Critical, 0, 0, false, "Deployment condition Progressing=False, reason ProgressDeadlineExceeded"},
	{StatefulSetUnavailable, Warning, 5 * time.Minute, 0, false, "StatefulSet with fewer ready replicas than desired for 5 min; critical when none is ready"},
	{DaemonSetUnavailable, Warning, 5 * time.Minute, 0, false, "DaemonSet with unavailable or unready pods for 5 min; critical when none is ready"},
	{JobFailed, Warning, 0, 0, false, "Job (not owned by a CronJob) with condition Failed=True, until deleted"},
	{CronJobLastRunFailed, Warning, 0, 0, false, "the most recent finished Job of a CronJob failed; resolves when a later run succeeds; each failed run counts"},
	{PVCPending, Warning, 5 * time.Minute, 0, false, "PersistentVolumeClaim Pending for 5 min (since creation)"},
	{PVCLost, Critical, 0, 0, false, "PersistentVolumeClaim Lost (its volume is gone)"},
	{ServiceNoEndpoints, Warning, 2 * time.Minute, 0, false, "Service with a selector and no ready endpoint in any EndpointSlice for 2 min"},
	{EventFailedScheduling, Warning, 0, 15 * time.Minute, false, "Warning event FailedScheduling; open until 15 min after the last one"},
	{EventBackOff, Warning, 0, 15 * time.Minute, false, "Warning event BackOff (restart or image pull back-off)"},
	{EventFailedMount, Warning, 0, 15 * time.Minute, false, "Warning event FailedMount"},
	{EventFailedAttach, Warning, 0, 15 * time.Minute, false, "Warning event FailedAttachVolume"},
	{EventSandbox, Warning, 0, 15 * time.Minute, false, "Warning event FailedCreatePodSandBox"},
	{EventEvicted, Warning, 0, 15 * time.Minute, false, "Warning event Evicted"},
	{EventUnhealthy, Warning, 0, 15 * time.Minute, false, "Warning event Unhealthy (probe failures) seen at least 3 times"},
}

// Observation is one rule matching one object now.
type Observation struct {
	Rule string
	// Severity overrides the rule's default (escalation), when set.
	Severity string
	// The object the anomaly is about.
	Kind, Namespace, Name, UID string
	Container                  string
	Node                       string
	Reason, Message            string
	// Since is when the condition began if the object records it (pod
	// creation, a condition's lastTransitionTime); thresholds count from
	// it. Zero means "when the engine first saw it".
	Since time.Time
	// Occurrences counts distinct occurrences: Counter is a cumulative
	// count under CounterKey (a container's restart count, an event's
	// count, 1 for a one-off keyed by its time). The engine adds the
	// increase since the last value it saw for the key.
	CounterKey string
	Counter    int64
	// Pulse observations are instants (a termination, an event) rather
	// than states: the anomaly stays open until At + the rule's
	// ClearAfter, whatever happens to the object that reported it.
	Pulse bool
	At    time.Time // when the pulse happened
	// Last termination of the container, for crash-like rules.
	ExitCode          *int32
	TerminationReason string
	TerminationMsg    string
}

// ObjectKey names the object an anomaly is about.
func ObjectKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// Fingerprint is the stable identity of an anomaly.
func Fingerprint(cluster, rule, kind, namespace, name, container string) string {
	h := sha256.New()
	for _, s := range []string{cluster, rule, kind, namespace, name, container} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
