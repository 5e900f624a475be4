// Package kinds is the one list of the Kubernetes kinds AtlHyper collects:
// for each, its API group, version and resource, its scope, the lake table
// its state goes to and the columns it fills there, the filters the API's
// list route takes, whether it is collected by default or only when its
// API is served, and its display names. Every layer derives from it: the
// agent's informers and row converters (agent/rows binds each kind to its
// Go type), the API's routes and kind table (functions/lakeview), the
// OpenAPI document's per-kind paths, the web's kind module and the docs
// (all three generated: go test ./query/kinds -run TestGenerated -update).
//
// It must never import Kubernetes API packages: the API functions link it,
// and those types would cost every Lambda cold start.
package kinds

import "slices"

// Kind is one collected Kubernetes kind.
type Kind struct {
	Name     string // Kubernetes kind: "Pod"
	Group    string // API group; "" for the core group
	Version  string // API version: "v1"
	Resource string // plural resource: "pods"; also the API's path segment
	// Namespaced kinds live in a namespace; the others are cluster-scoped.
	Namespaced bool
	// Table is the lake table the kind's state rows go to (pods, nodes,
	// workloads, objects) or, for Event, the events table.
	Table string
	// Columns are, for kinds of the objects table (which many kinds
	// share), the columns they fill beyond the common ones (ts …
	// owner_name); the others stay null in their rows. Kinds of the other
	// tables may fill any column of theirs and leave this nil.
	Columns []string
	// Filters are what the API's list route filters the kind by beyond
	// the common namespace, label, text, sort and time.
	Filters []Filter
	// Optional kinds come from a CRD that may not be installed: when the
	// API server does not serve them the agent skips them quietly.
	Optional bool
	// OptIn kinds are collected only when asked for (the agent's --kinds).
	OptIn bool
	// MetadataOnly kinds are watched through the metadata API: their data
	// never reaches the agent (ConfigMap, Secret).
	MetadataOnly bool
	// Operations are the remote operations (actions.go) that apply to
	// objects of the kind; derived from the action list, never set here.
	Operations []Operation
	// Category is the group the dashboard lists the kind under.
	Category Category
	// Names are the kind's display names.
	Names Names
}

// Category groups kinds in the dashboard's navigation, as Headlamp's
// sidebar does.
type Category string

// Categories, in the order the dashboard shows them.
const (
	CategoryCluster   Category = "cluster"
	CategoryWorkloads Category = "workloads"
	CategoryNetwork   Category = "network"
	CategoryStorage   Category = "storage"
	CategoryConfig    Category = "config"
	CategoryAccess    Category = "access"
)

// Categories lists every category in display order.
var Categories = []Category{CategoryCluster, CategoryWorkloads, CategoryNetwork, CategoryStorage, CategoryConfig, CategoryAccess}

// Names are a kind's display names. Chinese and Japanese have no plural.
type Names struct {
	One, Many string // English
	Zh, Ja    string
}

// Filter is a list filter of the API.
type Filter string

// List filters and the columns they test.
const (
	FilterNode  Filter = "node"  // the node column
	FilterPhase Filter = "phase" // the phase column
	FilterReady Filter = "ready" // the ready column
	FilterOwner Filter = "owner" // owner_kind and owner_name
)

// Operation is the name of a remote operation (an Action) on objects of a
// kind.
type Operation string

// Lake tables kinds go to.
const (
	TablePods      = "pods"
	TableNodes     = "nodes"
	TableWorkloads = "workloads"
	TableObjects   = "objects"
	TableEvents    = "events"
)

// StateTables are the lake tables holding object state, in the order the
// API reads them.
var StateTables = []string{TablePods, TableNodes, TableWorkloads, TableObjects}

// Kind names, for code that handles a kind specially.
const (
	Pod                     = "Pod"
	Node                    = "Node"
	Namespace               = "Namespace"
	Deployment              = "Deployment"
	StatefulSet             = "StatefulSet"
	DaemonSet               = "DaemonSet"
	ReplicaSet              = "ReplicaSet"
	Job                     = "Job"
	CronJob                 = "CronJob"
	Service                 = "Service"
	EndpointSlice           = "EndpointSlice"
	Ingress                 = "Ingress"
	PersistentVolume        = "PersistentVolume"
	PersistentVolumeClaim   = "PersistentVolumeClaim"
	ResourceQuota           = "ResourceQuota"
	LimitRange              = "LimitRange"
	NetworkPolicy           = "NetworkPolicy"
	ServiceAccount          = "ServiceAccount"
	HorizontalPodAutoscaler = "HorizontalPodAutoscaler"
	ConfigMap               = "ConfigMap"
	Secret                  = "Secret"
	Event                   = "Event"
	HTTPRoute               = "HTTPRoute"
	PodDisruptionBudget     = "PodDisruptionBudget"
	StorageClass            = "StorageClass"
	IngressClass            = "IngressClass"
)

// all is the registry, in display order.
var all = []Kind{
	{Name: Pod, Version: "v1", Resource: "pods", Namespaced: true, Table: TablePods,
		Filters:  []Filter{FilterNode, FilterPhase, FilterReady, FilterOwner},
		Category: CategoryWorkloads, Names: Names{One: "Pod", Many: "Pods", Zh: "Pod", Ja: "Pod"}},
	{Name: Node, Version: "v1", Resource: "nodes", Table: TableNodes, Filters: []Filter{FilterReady},
		Category: CategoryCluster, Names: Names{One: "Node", Many: "Nodes", Zh: "节点", Ja: "ノード"}},
	{Name: Namespace, Version: "v1", Resource: "namespaces", Table: TableObjects, Columns: []string{"phase"},
		Filters: []Filter{FilterPhase}, Category: CategoryCluster, Names: Names{One: "Namespace", Many: "Namespaces", Zh: "命名空间", Ja: "ネームスペース"}},
	{Name: Deployment, Group: "apps", Version: "v1", Resource: "deployments", Namespaced: true, Table: TableWorkloads,
		Category: CategoryWorkloads, Names: Names{One: "Deployment", Many: "Deployments", Zh: "Deployment", Ja: "Deployment"}},
	{Name: StatefulSet, Group: "apps", Version: "v1", Resource: "statefulsets", Namespaced: true, Table: TableWorkloads,
		Category: CategoryWorkloads, Names: Names{One: "StatefulSet", Many: "StatefulSets", Zh: "StatefulSet", Ja: "StatefulSet"}},
	{Name: DaemonSet, Group: "apps", Version: "v1", Resource: "daemonsets", Namespaced: true, Table: TableWorkloads,
		Category: CategoryWorkloads, Names: Names{One: "DaemonSet", Many: "DaemonSets", Zh: "DaemonSet", Ja: "DaemonSet"}},
	{Name: ReplicaSet, Group: "apps", Version: "v1", Resource: "replicasets", Namespaced: true, Table: TableWorkloads,
		Filters: []Filter{FilterOwner}, Category: CategoryWorkloads, Names: Names{One: "ReplicaSet", Many: "ReplicaSets", Zh: "ReplicaSet", Ja: "ReplicaSet"}},
	{Name: Job, Group: "batch", Version: "v1", Resource: "jobs", Namespaced: true, Table: TableWorkloads,
		Filters: []Filter{FilterOwner}, Category: CategoryWorkloads, Names: Names{One: "Job", Many: "Jobs", Zh: "Job", Ja: "Job"}},
	{Name: CronJob, Group: "batch", Version: "v1", Resource: "cronjobs", Namespaced: true, Table: TableWorkloads,
		Category: CategoryWorkloads, Names: Names{One: "CronJob", Many: "CronJobs", Zh: "CronJob", Ja: "CronJob"}},
	{Name: Service, Version: "v1", Resource: "services", Namespaced: true, Table: TableObjects,
		Columns:  []string{"type", "cluster_ip", "selector", "ports"},
		Category: CategoryNetwork, Names: Names{One: "Service", Many: "Services", Zh: "服务", Ja: "サービス"}},
	{Name: EndpointSlice, Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices", Namespaced: true, Table: TableObjects,
		Columns: []string{"type", "ports", "service_name", "ready_endpoints", "not_ready_endpoints"}, Filters: []Filter{FilterOwner},
		Category: CategoryNetwork, Names: Names{One: "EndpointSlice", Many: "EndpointSlices", Zh: "EndpointSlice", Ja: "EndpointSlice"}},
	{Name: Ingress, Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Namespaced: true, Table: TableObjects,
		Columns:  []string{"ingress_class", "hosts", "backends"},
		Category: CategoryNetwork, Names: Names{One: "Ingress", Many: "Ingresses", Zh: "Ingress", Ja: "Ingress"}},
	{Name: IngressClass, Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses", Table: TableObjects,
		Columns:  []string{"controller", "default_class"},
		Category: CategoryNetwork, Names: Names{One: "IngressClass", Many: "IngressClasses", Zh: "Ingress 类", Ja: "IngressClass"}},
	{Name: PersistentVolume, Version: "v1", Resource: "persistentvolumes", Table: TableObjects,
		Columns: []string{"phase", "storage_class", "capacity_bytes", "access_modes", "claim_ref"}, Filters: []Filter{FilterPhase},
		Category: CategoryStorage, Names: Names{One: "PersistentVolume", Many: "PersistentVolumes", Zh: "持久卷", Ja: "永続ボリューム"}},
	{Name: PersistentVolumeClaim, Version: "v1", Resource: "persistentvolumeclaims", Namespaced: true, Table: TableObjects,
		Columns: []string{"phase", "storage_class", "capacity_bytes", "access_modes", "volume_name"}, Filters: []Filter{FilterPhase},
		Category: CategoryStorage, Names: Names{One: "PersistentVolumeClaim", Many: "PersistentVolumeClaims", Zh: "持久卷申领", Ja: "永続ボリューム要求"}},
	{Name: StorageClass, Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses", Table: TableObjects,
		Columns:  []string{"provisioner", "reclaim_policy", "volume_binding_mode", "allow_volume_expansion", "default_class"},
		Category: CategoryStorage, Names: Names{One: "StorageClass", Many: "StorageClasses", Zh: "存储类", Ja: "ストレージクラス"}},
	{Name: ResourceQuota, Version: "v1", Resource: "resourcequotas", Namespaced: true, Table: TableObjects,
		Columns: []string{"hard", "used"}, Category: CategoryConfig, Names: Names{One: "ResourceQuota", Many: "ResourceQuotas", Zh: "资源配额", Ja: "リソースクォータ"}},
	{Name: LimitRange, Version: "v1", Resource: "limitranges", Namespaced: true, Table: TableObjects,
		Columns: []string{"hard"}, Category: CategoryConfig, Names: Names{One: "LimitRange", Many: "LimitRanges", Zh: "限制范围", Ja: "制限範囲"}},
	{Name: NetworkPolicy, Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Namespaced: true, Table: TableObjects,
		Columns:  []string{"selector", "policy_types"},
		Category: CategoryNetwork, Names: Names{One: "NetworkPolicy", Many: "NetworkPolicies", Zh: "网络策略", Ja: "ネットワークポリシー"}},
	{Name: ServiceAccount, Version: "v1", Resource: "serviceaccounts", Namespaced: true, Table: TableObjects,
		Category: CategoryAccess, Names: Names{One: "ServiceAccount", Many: "ServiceAccounts", Zh: "服务账号", Ja: "サービスアカウント"}},
	{Name: HorizontalPodAutoscaler, Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", Namespaced: true,
		Table: TableObjects, Columns: []string{"min_replicas", "max_replicas", "current_replicas", "desired_replicas", "scale_target"},
		Category: CategoryWorkloads, Names: Names{One: "HorizontalPodAutoscaler", Many: "HorizontalPodAutoscalers", Zh: "Pod 水平自动扩缩器", Ja: "Pod 水平オートスケーラー"}},
	{Name: PodDisruptionBudget, Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Namespaced: true,
		Table: TableObjects, Columns: []string{"selector", "min_available", "max_unavailable", "disruptions_allowed",
			"current_healthy", "desired_healthy", "expected_pods"},
		Category: CategoryWorkloads, Names: Names{One: "PodDisruptionBudget", Many: "PodDisruptionBudgets", Zh: "Pod 干扰预算", Ja: "PodDisruptionBudget"}},
	{Name: ConfigMap, Version: "v1", Resource: "configmaps", Namespaced: true, Table: TableObjects, MetadataOnly: true,
		Category: CategoryConfig, Names: Names{One: "ConfigMap", Many: "ConfigMaps", Zh: "ConfigMap", Ja: "ConfigMap"}},
	{Name: Secret, Version: "v1", Resource: "secrets", Namespaced: true, Table: TableObjects, MetadataOnly: true,
		Category: CategoryConfig, Names: Names{One: "Secret", Many: "Secrets", Zh: "Secret", Ja: "Secret"}},
	{Name: Event, Version: "v1", Resource: "events", Namespaced: true, Table: TableEvents,
		Category: CategoryCluster, Names: Names{One: "Event", Many: "Events", Zh: "事件", Ja: "イベント"}},
	// Gateway API routes (ingress SLOs will read them); a CRD, often absent.
	{Name: HTTPRoute, Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes", Namespaced: true,
		Table: TableObjects, Columns: []string{"hosts", "backends"}, Optional: true,
		Category: CategoryNetwork, Names: Names{One: "HTTPRoute", Many: "HTTPRoutes", Zh: "HTTPRoute", Ja: "HTTPRoute"}},
}

// All returns every kind, in display order.
func All() []Kind { return slices.Clone(all) }

// ByName finds a kind by its Kubernetes name ("Pod").
func ByName(name string) (Kind, bool) {
	for _, k := range all {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// ByResource finds a kind by its resource ("pods").
func ByResource(resource string) (Kind, bool) {
	for _, k := range all {
		if k.Resource == resource {
			return k, true
		}
	}
	return Kind{}, false
}

// Stateful returns the kinds whose state rows go to a state table: the
// kinds the API lists and details by resource (Event is read through its
// own events route).
func Stateful() []Kind {
	var out []Kind
	for _, k := range all {
		if slices.Contains(StateTables, k.Table) {
			out = append(out, k)
		}
	}
	return out
}

// APIVersion is the kind's apiVersion: "v1", "apps/v1".
func (k Kind) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// Has reports whether the list route takes filter f.
func (k Kind) Has(f Filter) bool { return slices.Contains(k.Filters, f) }
