package lakeview

// Kind is one watched Kubernetes kind as the API exposes it.
type Kind struct {
	Path       string // resource path name: pods, deployments, …
	Kind       string // Kubernetes kind: Pod, Deployment, …
	Table      string // lake table holding its state
	Namespaced bool
	// Filters the list route accepts beyond the common ones.
	Node, Phase, Ready, Owner bool
}

// Kinds lists every kind with list and detail routes, in display order.
var Kinds = []Kind{
	{Path: "pods", Kind: "Pod", Table: "pods", Namespaced: true, Node: true, Phase: true, Ready: true, Owner: true},
	{Path: "nodes", Kind: "Node", Table: "nodes", Ready: true},
	{Path: "namespaces", Kind: "Namespace", Table: "objects", Phase: true},
	{Path: "deployments", Kind: "Deployment", Table: "workloads", Namespaced: true},
	{Path: "statefulsets", Kind: "StatefulSet", Table: "workloads", Namespaced: true},
	{Path: "daemonsets", Kind: "DaemonSet", Table: "workloads", Namespaced: true},
	{Path: "replicasets", Kind: "ReplicaSet", Table: "workloads", Namespaced: true, Owner: true},
	{Path: "jobs", Kind: "Job", Table: "workloads", Namespaced: true, Owner: true},
	{Path: "cronjobs", Kind: "CronJob", Table: "workloads", Namespaced: true},
	{Path: "services", Kind: "Service", Table: "objects", Namespaced: true},
	{Path: "endpointslices", Kind: "EndpointSlice", Table: "objects", Namespaced: true, Owner: true},
	{Path: "ingresses", Kind: "Ingress", Table: "objects", Namespaced: true},
	{Path: "persistentvolumes", Kind: "PersistentVolume", Table: "objects", Phase: true},
	{Path: "persistentvolumeclaims", Kind: "PersistentVolumeClaim", Table: "objects", Namespaced: true, Phase: true},
	{Path: "resourcequotas", Kind: "ResourceQuota", Table: "objects", Namespaced: true},
	{Path: "limitranges", Kind: "LimitRange", Table: "objects", Namespaced: true},
	{Path: "networkpolicies", Kind: "NetworkPolicy", Table: "objects", Namespaced: true},
	{Path: "serviceaccounts", Kind: "ServiceAccount", Table: "objects", Namespaced: true},
	{Path: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Table: "objects", Namespaced: true},
	{Path: "configmaps", Kind: "ConfigMap", Table: "objects", Namespaced: true},
	{Path: "secrets", Kind: "Secret", Table: "objects", Namespaced: true},
}

// KindByPath finds a kind by its path name.
func KindByPath(path string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Path == path {
			return k, true
		}
	}
	return Kind{}, false
}

// KindByName finds a kind by its Kubernetes name.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Kind == name {
			return k, true
		}
	}
	return Kind{}, false
}

// StateTables are the lake tables holding object state.
var StateTables = []string{"pods", "nodes", "workloads", "objects"}
