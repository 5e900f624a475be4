package lake

import "time"

// Schema versions. Rule (docs/lake.md): a version may only ADD nullable
// columns; renaming, removing or retyping a column makes a new table.
const (
	ObjectsVersion      = 1
	ObjectsTableVersion = 4 // the objects table: v2 added the PodDisruptionBudget columns, v3 StorageClass's, v4 IngressClass's
	EventsVersion       = 1
	AnomaliesVersion    = 1
	MetricsVersion      = 1
	HeartbeatsVersion   = 1
	AuditVersion        = 1
	CommandsVersion     = 1
)

// Operations recorded in the state tables.
const (
	OpAdd        = "add"
	OpUpdate     = "update"
	OpDelete     = "delete"
	OpCheckpoint = "checkpoint" // full snapshot rows; all share one ts
)

// Meta are the columns every Kubernetes state table starts with.
type Meta struct {
	TS              time.Time         `lake:"ts,plain"` // observed (changes) or snapshot time (checkpoints)
	Op              string            `lake:"op"`
	Kind            string            `lake:"kind"`
	Namespace       string            `lake:"namespace"` // "" for cluster-scoped kinds
	Name            string            `lake:"name"`
	UID             string            `lake:"uid"`
	ResourceVersion string            `lake:"resource_version,plain"`
	CreatedAt       *time.Time        `lake:"created_at"`
	Labels          map[string]string `lake:"labels"`
	OwnerKind       string            `lake:"owner_kind"`
	OwnerName       string            `lake:"owner_name"`
}

// Container is one container of a pod as the pods table stores it.
type Container struct {
	Name            string     `lake:"name"`
	Image           string     `lake:"image"`
	Init            bool       `lake:"init"`
	Ready           bool       `lake:"ready"`
	Restarts        int32      `lake:"restarts"`
	State           string     `lake:"state"`  // waiting | running | terminated
	Reason          string     `lake:"reason"` // waiting/terminated reason
	ExitCode        *int32     `lake:"exit_code"`
	StartedAt       *time.Time `lake:"started_at"`
	LastReason      string     `lake:"last_reason"` // last termination
	LastExitCode    *int32     `lake:"last_exit_code"`
	LastFinishedAt  *time.Time `lake:"last_finished_at"`
	CPURequestMilli int64      `lake:"cpu_request_milli"`
	CPULimitMilli   int64      `lake:"cpu_limit_milli"`
	MemRequestBytes int64      `lake:"mem_request_bytes"`
	MemLimitBytes   int64      `lake:"mem_limit_bytes"`
}

// Pod is one row of the pods table.
type Pod struct {
	Meta
	Phase            string      `lake:"phase"`
	Reason           string      `lake:"reason"` // status.reason, e.g. Evicted
	Node             string      `lake:"node"`
	QOSClass         string      `lake:"qos_class"`
	PodIP            string      `lake:"pod_ip"`
	Ready            bool        `lake:"ready"`
	Scheduled        bool        `lake:"scheduled"`
	Terminating      bool        `lake:"terminating"`
	ReadyContainers  int32       `lake:"ready_containers"`
	TotalContainers  int32       `lake:"total_containers"`
	Restarts         int32       `lake:"restarts"`
	WaitingReason    string      `lake:"waiting_reason"`    // first waiting container's reason
	TerminatedReason string      `lake:"terminated_reason"` // first terminated container's reason
	LastTermReason   string      `lake:"last_termination_reason"`
	LastExitCode     *int32      `lake:"last_exit_code"`
	StartTime        *time.Time  `lake:"start_time"`
	CPURequestMilli  int64       `lake:"cpu_request_milli"`
	CPULimitMilli    int64       `lake:"cpu_limit_milli"`
	MemRequestBytes  int64       `lake:"mem_request_bytes"`
	MemLimitBytes    int64       `lake:"mem_limit_bytes"`
	PriorityClass    string      `lake:"priority_class"`
	ServiceAccount   string      `lake:"service_account"`
	Containers       []Container `lake:"containers"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `lake:"key"`
	Value  string `lake:"value"`
	Effect string `lake:"effect"`
}

// Node is one row of the nodes table.
type Node struct {
	Meta
	Ready              bool     `lake:"ready"`
	ReadyStatus        string   `lake:"ready_status"` // True | False | Unknown
	ReadyReason        string   `lake:"ready_reason"`
	MemoryPressure     bool     `lake:"memory_pressure"`
	DiskPressure       bool     `lake:"disk_pressure"`
	PIDPressure        bool     `lake:"pid_pressure"`
	NetworkUnavailable bool     `lake:"network_unavailable"`
	Unschedulable      bool     `lake:"unschedulable"`
	Taints             []Taint  `lake:"taints"`
	Roles              []string `lake:"roles"`
	CPUCapacityMilli   int64    `lake:"cpu_capacity_milli"`
	MemCapacityBytes   int64    `lake:"mem_capacity_bytes"`
	PodsCapacity       int64    `lake:"pods_capacity"`
	CPUAllocMilli      int64    `lake:"cpu_allocatable_milli"`
	MemAllocBytes      int64    `lake:"mem_allocatable_bytes"`
	PodsAlloc          int64    `lake:"pods_allocatable"`
	KubeletVersion     string   `lake:"kubelet_version"`
	OSImage            string   `lake:"os_image"`
	KernelVersion      string   `lake:"kernel_version"`
	ContainerRuntime   string   `lake:"container_runtime"`
	Architecture       string   `lake:"architecture"`
	InternalIP         string   `lake:"internal_ip"`
	Zone               string   `lake:"zone"`
	InstanceType       string   `lake:"instance_type"`
}

// Condition is a status condition of a workload.
type Condition struct {
	Type    string `lake:"type"`
	Status  string `lake:"status"`
	Reason  string `lake:"reason"`
	Message string `lake:"message"`
}

// Workload is one row of the workloads table: Deployments, StatefulSets,
// DaemonSets, ReplicaSets, Jobs and CronJobs (kind tells which columns apply).
type Workload struct {
	Meta
	Desired                  int32       `lake:"desired"`
	Current                  int32       `lake:"current"`
	Ready                    int32       `lake:"ready"`
	Available                int32       `lake:"available"`
	Updated                  int32       `lake:"updated"`
	Unavailable              int32       `lake:"unavailable"`
	Generation               int64       `lake:"generation"`
	ObservedGeneration       int64       `lake:"observed_generation"`
	Paused                   bool        `lake:"paused"`
	ProgressDeadlineExceeded bool        `lake:"progress_deadline_exceeded"`
	Strategy                 string      `lake:"strategy"`
	Selector                 string      `lake:"selector"`
	Images                   []string    `lake:"images"`
	Conditions               []Condition `lake:"conditions"`
	// Jobs
	Active         *int32     `lake:"active"`
	Succeeded      *int32     `lake:"succeeded"`
	Failed         *int32     `lake:"failed"`
	Completions    *int32     `lake:"completions"`
	JobStatus      string     `lake:"job_status"` // Running | Complete | Failed | Suspended
	StartTime      *time.Time `lake:"start_time"`
	CompletionTime *time.Time `lake:"completion_time"`
	// CronJobs
	Schedule           string     `lake:"schedule"`
	Suspend            *bool      `lake:"suspend"`
	LastScheduleTime   *time.Time `lake:"last_schedule_time"`
	LastSuccessfulTime *time.Time `lake:"last_successful_time"`
	LastJobStatus      string     `lake:"last_job_status"`
}

// Object is one row of the objects table: every other watched kind
// (Namespace, Service, EndpointSlice, Ingress, PersistentVolume(Claim),
// ResourceQuota, LimitRange, NetworkPolicy, ServiceAccount,
// HorizontalPodAutoscaler, ConfigMap and Secret metadata). Columns a kind
// has no use for stay null.
type Object struct {
	Meta
	Phase             string            `lake:"phase"` // Namespace, PVC, PV
	Type              string            `lake:"type"`  // Service type
	ClusterIP         string            `lake:"cluster_ip"`
	Selector          string            `lake:"selector"`
	Ports             []string          `lake:"ports"`
	ServiceName       string            `lake:"service_name"` // EndpointSlice
	ReadyEndpoints    *int32            `lake:"ready_endpoints"`
	NotReadyEndpoints *int32            `lake:"not_ready_endpoints"`
	IngressClass      string            `lake:"ingress_class"`
	Hosts             []string          `lake:"hosts"`
	Backends          []string          `lake:"backends"`
	StorageClass      string            `lake:"storage_class"`
	CapacityBytes     *int64            `lake:"capacity_bytes"`
	AccessModes       []string          `lake:"access_modes"`
	VolumeName        string            `lake:"volume_name"`
	ClaimRef          string            `lake:"claim_ref"`
	MinReplicas       *int32            `lake:"min_replicas"`
	MaxReplicas       *int32            `lake:"max_replicas"`
	CurrentReplicas   *int32            `lake:"current_replicas"`
	DesiredReplicas   *int32            `lake:"desired_replicas"`
	ScaleTarget       string            `lake:"scale_target"`
	Hard              map[string]string `lake:"hard"` // ResourceQuota
	Used              map[string]string `lake:"used"`
	PolicyTypes       []string          `lake:"policy_types"` // NetworkPolicy
	SecretType        string            `lake:"secret_type"`
	// PodDisruptionBudget (v2)
	MinAvailable       string `lake:"min_available"`   // a count or a percentage
	MaxUnavailable     string `lake:"max_unavailable"` // a count or a percentage
	DisruptionsAllowed *int32 `lake:"disruptions_allowed"`
	CurrentHealthy     *int32 `lake:"current_healthy"`
	DesiredHealthy     *int32 `lake:"desired_healthy"`
	ExpectedPods       *int32 `lake:"expected_pods"`
	// StorageClass (v3)
	Provisioner          string `lake:"provisioner"`
	ReclaimPolicy        string `lake:"reclaim_policy"`
	VolumeBindingMode    string `lake:"volume_binding_mode"`
	AllowVolumeExpansion *bool  `lake:"allow_volume_expansion"`
	DefaultClass         *bool  `lake:"default_class"` // the cluster's default class (StorageClass, IngressClass)
	// IngressClass (v4)
	Controller string `lake:"controller"`
}

// Detail is one row of object_details: the stripped object as JSON, for
// detail views and time travel of a single object. Written on add and
// update, and once a day for every object so detail survives retention.
type Detail struct {
	TS              time.Time `lake:"ts,delta"`
	Op              string    `lake:"op"`
	Kind            string    `lake:"kind"`
	Namespace       string    `lake:"namespace"`
	Name            string    `lake:"name"`
	UID             string    `lake:"uid"`
	ResourceVersion string    `lake:"resource_version"`
	Object          string    `lake:"object,blob"` // JSON; Secret values and literal env values never appear
}

// Event is one row of the events table (core/v1 Events).
type Event struct {
	TS                time.Time  `lake:"ts,delta"` // last seen
	FirstSeen         *time.Time `lake:"first_seen"`
	Namespace         string     `lake:"namespace"`
	Name              string     `lake:"name"`
	UID               string     `lake:"uid"`
	Type              string     `lake:"type"` // Normal | Warning
	Reason            string     `lake:"reason"`
	Message           string     `lake:"message"`
	Count             int32      `lake:"count"`
	InvolvedKind      string     `lake:"involved_kind"`
	InvolvedNamespace string     `lake:"involved_namespace"`
	InvolvedName      string     `lake:"involved_name"`
	InvolvedUID       string     `lake:"involved_uid"`
	Source            string     `lake:"source"` // reporting component / host
}

// Anomaly states.
const (
	AnomalyOpen     = "open"
	AnomalyUpdate   = "update"
	AnomalyResolved = "resolved"
)

// Anomaly is one row of the anomalies table: a state transition of one
// anomaly (opened, seen again, resolved), keyed by a stable fingerprint.
type Anomaly struct {
	TS                 time.Time `lake:"ts,delta"`
	Fingerprint        string    `lake:"fingerprint"`
	Rule               string    `lake:"rule"`
	Severity           string    `lake:"severity"` // critical | warning | info
	State              string    `lake:"state"`    // open | update | resolved
	Kind               string    `lake:"kind"`
	Namespace          string    `lake:"namespace"`
	Name               string    `lake:"name"`
	UID                string    `lake:"uid"`
	Node               string    `lake:"node"`
	Container          string    `lake:"container"`
	Reason             string    `lake:"reason"`
	Message            string    `lake:"message"`
	FirstSeen          time.Time `lake:"first_seen"`
	LastSeen           time.Time `lake:"last_seen"`
	Count              int32     `lake:"count"`
	ExitCode           *int32    `lake:"exit_code"`
	TerminationReason  string    `lake:"termination_reason"`
	TerminationMessage string    `lake:"termination_message"`
	LogTail            string    `lake:"log_tail,blob"` // last lines of the previous container
}

// NodeMetric is one sample of one node metric (long layout): e.g.
// metric "cpu.user_pct" device "cpu3", metric "net.rx_bytes_per_s" device
// "eth0", metric "mem.used_bytes" device "". Stored sorted by node, metric,
// device, ts so each series is contiguous: delta-encoded timestamps and
// byte-stream-split floats make a sample cost about a byte.
type NodeMetric struct {
	TS     time.Time `lake:"ts,delta"`
	Node   string    `lake:"node"`
	Metric string    `lake:"metric"`
	Device string    `lake:"device"`
	Value  float32   `lake:"value"`
}

// Heartbeat is one agent heartbeat.
type Heartbeat struct {
	TS             time.Time  `lake:"ts,delta"`
	Agent          string     `lake:"agent"` // agent instance (pod name)
	Version        string     `lake:"version"`
	StartedAt      time.Time  `lake:"started_at"`
	LastFlush      *time.Time `lake:"last_flush"`
	SpoolBytes     int64      `lake:"spool_bytes"`
	SpoolObjects   int32      `lake:"spool_objects"`
	WatchedObjects int64      `lake:"watched_objects"`
	Nodes          int32      `lake:"nodes"`
	Pods           int32      `lake:"pods"`
	Errors         int64      `lake:"errors"`
	LastError      string     `lake:"last_error"`
}

// Audit is one audited action: a state-changing call, a login or a query.
// Stored under cluster=_global unless the action targets one cluster.
type Audit struct {
	TS        time.Time `lake:"ts,delta"`
	Actor     string    `lake:"actor"`
	Role      string    `lake:"role"`
	Action    string    `lake:"action"` // e.g. login, user.create, sql.query, command.create
	Target    string    `lake:"target"`
	Params    string    `lake:"params,blob"` // JSON, secrets masked
	Outcome   string    `lake:"outcome"`     // ok | denied | error
	Status    int32     `lake:"status"`      // HTTP status
	SourceIP  string    `lake:"source_ip"`
	UserAgent string    `lake:"user_agent"`
	RequestID string    `lake:"request_id"`
}

// Command is one remote operation's end (query/control): written by the
// cluster's agent when a command it ran ends, and for commands the API
// cancelled or that expired unclaimed, once the agent sees them.
type Command struct {
	TS          time.Time  `lake:"ts,delta"` // when it ended
	ID          string     `lake:"id"`       // the command id (a ULID)
	Action      string     `lake:"action"`   // e.g. workload.scale
	Kind        string     `lake:"kind"`     // target
	Namespace   string     `lake:"namespace"`
	Name        string     `lake:"name"`
	Container   string     `lake:"container"`
	RequestedBy string     `lake:"requested_by"`
	Role        string     `lake:"role"`
	Reason      string     `lake:"reason"`
	State       string     `lake:"state"` // succeeded | failed | refused | unknown | cancelled | expired
	CreatedAt   time.Time  `lake:"created_at"`
	ClaimedAt   *time.Time `lake:"claimed_at"`
	Deadline    time.Time  `lake:"deadline"`
	Instance    string     `lake:"instance"` // the agent replica that ran it
	Attempts    int32      `lake:"attempts"`
	Summary     string     `lake:"summary"`
	Error       string     `lake:"error"`
	Changes     []string   `lake:"changes"`      // what the action changed
	Params      string     `lake:"params,blob"`  // JSON
	OutputKey   string     `lake:"output_key"`   // its output object, while kept
	OutputBytes int64      `lake:"output_bytes"` // its size
}

// The tables. Names are the public contract (docs/lake.md). The sort key
// orders rows in every object (the Go writer and compaction's DuckDB both
// use it), so that runs of equal values compress to almost nothing.
var (
	Pods = newTable("pods", ObjectsVersion, 30, "Pod state: one row per change, plus hourly checkpoint rows.",
		func(r *Pod) time.Time { return r.TS }, metaKeys(func(r *Pod) *Meta { return &r.Meta })...)
	Nodes = newTable("nodes", ObjectsVersion, 30, "Node state: one row per change, plus hourly checkpoint rows.",
		func(r *Node) time.Time { return r.TS }, metaKeys(func(r *Node) *Meta { return &r.Meta })...)
	Workloads = newTable("workloads", ObjectsVersion, 30, "Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob state.",
		func(r *Workload) time.Time { return r.TS }, metaKeys(func(r *Workload) *Meta { return &r.Meta })...)
	Objects = newTable("objects", ObjectsTableVersion, 30, "State of every other watched kind (services, ingresses, volumes, quotas, …).",
		func(r *Object) time.Time { return r.TS }, metaKeys(func(r *Object) *Meta { return &r.Meta })...)
	Details = newTable("object_details", ObjectsVersion, 30, "Stripped object JSON per change (and daily), for detail views.",
		func(r *Detail) time.Time { return r.TS },
		strKey("kind", func(r *Detail) string { return r.Kind }), strKey("namespace", func(r *Detail) string { return r.Namespace }),
		strKey("name", func(r *Detail) string { return r.Name }), strKey("uid", func(r *Detail) string { return r.UID }),
		timeKey("ts", func(r *Detail) time.Time { return r.TS }))
	Events = newTable("events", EventsVersion, 30, "Kubernetes Events (context for anomalies; they expire in the cluster after 1 h).",
		func(r *Event) time.Time { return r.TS },
		strKey("namespace", func(r *Event) string { return r.Namespace }), strKey("involved_kind", func(r *Event) string { return r.InvolvedKind }),
		strKey("involved_name", func(r *Event) string { return r.InvolvedName }), timeKey("ts", func(r *Event) time.Time { return r.TS }),
		strKey("uid", func(r *Event) string { return r.UID }))
	Anomalies = newTable("anomalies", AnomaliesVersion, 90, "Anomaly transitions: open, update (seen again), resolved.",
		func(r *Anomaly) time.Time { return r.TS },
		strKey("fingerprint", func(r *Anomaly) string { return r.Fingerprint }), timeKey("ts", func(r *Anomaly) time.Time { return r.TS }),
		intKey("count", func(r *Anomaly) int32 { return r.Count }))
	NodeMetrics = newTable("node_metrics", MetricsVersion, 30, "Node metrics from the collector, long layout.",
		func(r *NodeMetric) time.Time { return r.TS },
		strKey("node", func(r *NodeMetric) string { return r.Node }), strKey("metric", func(r *NodeMetric) string { return r.Metric }),
		strKey("device", func(r *NodeMetric) string { return r.Device }), timeKey("ts", func(r *NodeMetric) time.Time { return r.TS }))
	Heartbeats = newTable("heartbeats", HeartbeatsVersion, 30, "Agent heartbeats.",
		func(r *Heartbeat) time.Time { return r.TS },
		strKey("agent", func(r *Heartbeat) string { return r.Agent }), timeKey("ts", func(r *Heartbeat) time.Time { return r.TS }))
	Commands = newTable("commands", CommandsVersion, 365, "Remote operations: one row per command when it ends (who, what, why, how it ended).",
		func(r *Command) time.Time { return r.TS },
		timeKey("ts", func(r *Command) time.Time { return r.TS }), strKey("id", func(r *Command) string { return r.ID }))
	AuditLog = newTable("audit", AuditVersion, 365, "Audit records of logins, changes and SQL queries.",
		func(r *Audit) time.Time { return r.TS },
		timeKey("ts", func(r *Audit) time.Time { return r.TS }), strKey("actor", func(r *Audit) string { return r.Actor }),
		strKey("request_id", func(r *Audit) string { return r.RequestID }))
)

// metaKeys is the sort key of the state tables: one object's rows together,
// in time order.
func metaKeys[R any](m func(*R) *Meta) []sortKey[R] {
	return []sortKey[R]{
		strKey("kind", func(r *R) string { return m(r).Kind }), strKey("namespace", func(r *R) string { return m(r).Namespace }),
		strKey("name", func(r *R) string { return m(r).Name }), strKey("uid", func(r *R) string { return m(r).UID }),
		timeKey("ts", func(r *R) time.Time { return m(r).TS }), strKey("resource_version", func(r *R) string { return m(r).ResourceVersion }),
	}
}

// All lists every table, in documentation order.
func All() []AnyTable {
	return []AnyTable{Pods, Nodes, Workloads, Objects, Details, Events, Anomalies, NodeMetrics, Heartbeats, Commands, AuditLog}
}

// Lookup finds a table by name.
func Lookup(name string) (AnyTable, bool) {
	for _, t := range All() {
		if t.Name() == name {
			return t, true
		}
	}
	return nil, false
}
