package lake

import (
	"encoding/json"
	"time"

	"github.com/atlhyper/atlhyper/query/lease"
	"github.com/atlhyper/atlhyper/query/store"
)

// Per-cluster state objects. The agent of a cluster is their only writer;
// the API and dashboards read them, revalidating with conditional GETs.
// They are small, rewritten in place, and versioned separately from the
// Parquet tables: a version may only add fields, and readers must ignore
// fields they do not know and treat missing ones as zero; counts that are
// zero are left out (docs/agent.md).
const (
	// CurrentKey is ClusterKey(id, CurrentKey): everything a dashboard
	// needs about one cluster now, and the agent's liveness. The agent of
	// the cluster is its only writer, holding a lease on it (query/lease):
	// every write renews the lease and is a heartbeat. It is rewritten
	// every heartbeat interval (3 min by default) and within ~10 s when an
	// anomaly opens, changes severity or resolves or a node changes, so a
	// quiet cluster costs 30 PUTs an hour and a page never waits for a
	// flush.
	CurrentKey = "current.json"

	CurrentSchemaVersion = 2

	// AnomalyCleared is OpenAnomaly.Status once its condition stopped.
	AnomalyCleared         = "cleared"
	HeartbeatSchemaVersion = 2
)

// CurrentState is the content of current.json.
type CurrentState struct {
	SchemaVersion int       `json:"schema_version"`
	Cluster       string    `json:"cluster"`
	GeneratedAt   time.Time `json:"generated_at"` // when the agent computed it
	Agent         AgentInfo `json:"agent"`
	Summary       Summary   `json:"summary"`
	// Namespaces are sorted by name.
	Namespaces []NamespaceSummary `json:"namespaces"`
	// Anomalies are the open anomalies, most severe and most recent first,
	// at most MaxCurrentAnomalies; AnomaliesOmitted counts the rest (the
	// summary counts all of them).
	Anomalies        []OpenAnomaly `json:"anomalies"`
	AnomaliesOmitted int           `json:"anomalies_omitted,omitempty"`
	// Objects counts watched objects by kind ("Pod": 5000, …).
	Objects map[string]int `json:"objects"`
	// Heartbeat is the agent's liveness and health when it wrote this.
	Heartbeat *HeartbeatState `json:"heartbeat,omitempty"`
	// Lease is the writer's lease on this object, maintained by the lease
	// itself: holder "" means the agent stopped and released it.
	Lease *lease.Record `json:"lease,omitempty"`
	// AgentState is private to the agent: what a restarted agent needs to
	// neither duplicate nor lose (open anomalies with their counters, the
	// events high-water mark). Readers ignore it.
	AgentState json.RawMessage `json:"agent_state,omitempty"`
}

// MaxCurrentAnomalies bounds CurrentState.Anomalies so current.json stays
// small however bad a cluster's day is.
const MaxCurrentAnomalies = 200

// AgentInfo identifies the agent that wrote a state object.
type AgentInfo struct {
	Instance          string    `json:"instance"` // pod name (or host name)
	Version           string    `json:"version"`
	StartedAt         time.Time `json:"started_at"`
	KubernetesVersion string    `json:"kubernetes_version,omitempty"`
	// Skipped lists kinds the agent does not watch, with the reason
	// (API absent, forbidden).
	Skipped []SkippedKind `json:"skipped,omitempty"`
	// Operations is what the agent runs of remote operations (agent/ops);
	// nil when they are off. Offer only these.
	Operations *OperationsInfo `json:"operations,omitempty"`
}

// OperationsInfo is an agent's remote-operations configuration.
type OperationsInfo struct {
	Actions    []string `json:"actions"`              // the actions it runs
	Namespaces []string `json:"namespaces,omitempty"` // the namespaces it acts in; empty: all
	KeyIDs     []string `json:"key_ids"`              // the ids of the signing keys it trusts
}

// SkippedKind is a kind the agent could not watch.
type SkippedKind struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Summary is the cluster at a glance.
type Summary struct {
	Nodes     NodeCounts     `json:"nodes"`
	Pods      PodCounts      `json:"pods"`
	Workloads WorkloadCounts `json:"workloads"`
	Anomalies AnomalyCounts  `json:"anomalies"`
	// Resources sums requests of non-terminal pods against node
	// allocatable, for capacity gauges.
	Resources ResourceTotals `json:"resources"`
}

// NodeCounts counts nodes.
type NodeCounts struct {
	Total         int `json:"total,omitempty"`
	Ready         int `json:"ready,omitempty"`
	NotReady      int `json:"not_ready,omitempty"` // Ready False or Unknown
	Unschedulable int `json:"unschedulable,omitempty"`
}

// PodCounts counts pods by phase.
type PodCounts struct {
	Total     int   `json:"total,omitempty"`
	Running   int   `json:"running,omitempty"`
	Pending   int   `json:"pending,omitempty"`
	Succeeded int   `json:"succeeded,omitempty"`
	Failed    int   `json:"failed,omitempty"`
	Unknown   int   `json:"unknown,omitempty"`
	Ready     int   `json:"ready,omitempty"`    // Ready condition True
	Restarts  int64 `json:"restarts,omitempty"` // sum of container restarts
	// NotReady counts pods that should be serving and are not: neither
	// Succeeded nor Failed, and Ready not True (pending pods included).
	NotReady int `json:"not_ready,omitempty"`
	// CrashLooping counts pods with a container waiting in
	// CrashLoopBackOff; WaitingErrors those with one waiting on an error
	// (image pull, invalid image, container config or create errors).
	// Both now, whatever an anomaly rule's threshold.
	CrashLooping  int `json:"crash_looping,omitempty"`
	WaitingErrors int `json:"waiting_errors,omitempty"`
}

// WorkloadCounts counts top-level workloads: Deployments, StatefulSets,
// DaemonSets, CronJobs, plus Jobs and ReplicaSets that no CronJob or
// Deployment owns. Healthy means all desired replicas are available (and,
// for Deployments, progressing), a Job has not failed, a CronJob's last
// run did not fail.
type WorkloadCounts struct {
	Total   int `json:"total,omitempty"`
	Healthy int `json:"healthy,omitempty"`
	// BelowDesired counts Deployments, StatefulSets, DaemonSets and
	// ReplicaSets with fewer available (ready) replicas than desired.
	BelowDesired int `json:"below_desired,omitempty"`
}

// AnomalyCounts counts open anomalies by severity.
type AnomalyCounts struct {
	Open     int `json:"open,omitempty"`
	Critical int `json:"critical,omitempty"`
	Warning  int `json:"warning,omitempty"`
	Info     int `json:"info,omitempty"`
}

// ResourceTotals are cluster-wide resource sums.
type ResourceTotals struct {
	CPUAllocatableMilli int64 `json:"cpu_allocatable_milli"`
	MemAllocatableBytes int64 `json:"mem_allocatable_bytes"`
	CPURequestMilli     int64 `json:"cpu_request_milli"`
	MemRequestBytes     int64 `json:"mem_request_bytes"`
	CPULimitMilli       int64 `json:"cpu_limit_milli"`
	MemLimitBytes       int64 `json:"mem_limit_bytes"`
}

// NamespaceSummary is one namespace at a glance.
type NamespaceSummary struct {
	Name      string         `json:"name"`
	Phase     string         `json:"phase,omitempty"` // Active | Terminating
	Pods      PodCounts      `json:"pods"`
	Workloads WorkloadCounts `json:"workloads"`
	Anomalies AnomalyCounts  `json:"anomalies"`
	Services  int            `json:"services"`
}

// OpenAnomaly is an open anomaly as current.json lists it; the anomalies
// table holds its full history (and log tail).
type OpenAnomaly struct {
	Fingerprint string    `json:"fingerprint"`
	Rule        string    `json:"rule"`
	Severity    string    `json:"severity"`
	Kind        string    `json:"kind"`
	Namespace   string    `json:"namespace,omitempty"`
	Name        string    `json:"name"`
	Container   string    `json:"container,omitempty"`
	Node        string    `json:"node,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Message     string    `json:"message,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Count       int32     `json:"count"`
	// Status is "open" while the condition holds and "cleared" once it
	// stopped: then it resolves at ResolvesAt unless it holds again.
	// Pulses (terminations, events) carry ResolvesAt while open too. This
	// live status is not in the anomalies table, which keeps transitions
	// (open, update, resolved), not the flapping of a condition.
	Status     string     `json:"status"`
	ClearedAt  *time.Time `json:"cleared_at,omitempty"`
	ResolvesAt *time.Time `json:"resolves_at,omitempty"`
}

// HeartbeatState is the agent's liveness and health, in current.json.
type HeartbeatState struct {
	SchemaVersion int       `json:"schema_version"`
	Cluster       string    `json:"cluster"`
	TS            time.Time `json:"ts"` // when written
	// IntervalSeconds is how often the agent writes it at the least, so
	// a reader can tell "late" from "offline" without configuration.
	IntervalSeconds int       `json:"interval_seconds"`
	Agent           AgentInfo `json:"agent"`
	UptimeSeconds   int64     `json:"uptime_seconds"`
	// Synced is true once every watched kind has finished its initial
	// sync; until then counts are partial.
	Synced bool `json:"synced"`
	// LastFlush is the last time the writer had handed every encoded
	// object to the store or the spool.
	LastFlush *time.Time `json:"last_flush,omitempty"`
	// CompleteUntil: every row the agent observed before it is in the
	// store or the spool; later ones wait in memory for the next flush
	// (or are in the tail while the cluster is watched).
	CompleteUntil *time.Time `json:"complete_until,omitempty"`
	// LastCheckpoint is the time of the last complete checkpoint.
	LastCheckpoint *time.Time `json:"last_checkpoint,omitempty"`
	Spool          SpoolInfo  `json:"spool"`
	// Objects counts watched objects by kind.
	Objects        map[string]int `json:"objects"`
	WatchedObjects int64          `json:"watched_objects"`
	// Written counts what the agent has written since it started.
	Written WrittenInfo `json:"written"`
	// Requests counts the agent's store requests since it started (the
	// heartbeat being written is not in it yet).
	Requests *store.Requests `json:"requests,omitempty"`
	// Collectors describes the node metrics collectors pushing to this
	// agent (absent when the agent serves no collectors).
	Collectors *CollectorInfo `json:"collectors,omitempty"`
	// Errors counts errors since start (store writes, spool, Kubernetes
	// API); LastError is the most recent one.
	Errors      int64      `json:"errors"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// KubeAPIDownSince is set while the agent cannot reach its cluster's
	// API server: the agent is alive, but what it reports is as old as
	// this.
	KubeAPIDownSince *time.Time `json:"kube_api_down_since,omitempty"`
}

// SpoolInfo describes the agent's on-disk spool of objects waiting for
// the store.
type SpoolInfo struct {
	Objects  int   `json:"objects"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// Full means the spool refused objects: rows are held in memory and
	// will be lost if the agent stops before the store comes back.
	Full bool `json:"full,omitempty"`
	// Oldest is when the oldest spooled object was spooled.
	Oldest *time.Time `json:"oldest,omitempty"`
}

// CollectorInfo describes node metrics collectors.
type CollectorInfo struct {
	Nodes int      `json:"nodes"`           // nodes heard from since the agent started
	Stale []string `json:"stale,omitempty"` // nodes whose pushes stopped
}

// WrittenInfo counts lake writes.
type WrittenInfo struct {
	Rows    int64 `json:"rows"`
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}
