package watch

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/atlhyper/atlhyper/agent/rows"
)

// Kind is one watched kind.
type Kind struct {
	Name       string // rows.Kind*
	GVR        schema.GroupVersionResource
	Namespaced bool
	// Metadata kinds are watched through the metadata API: the agent
	// never receives their data (ConfigMap, Secret).
	Metadata bool
	informer func(informers.SharedInformerFactory) cache.SharedIndexInformer
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// Kinds lists every kind the agent watches, in the order informers start.
var Kinds = []Kind{
	{rows.KindNamespace, gvr("", "v1", "namespaces"), false, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Namespaces().Informer()
	}},
	{rows.KindNode, gvr("", "v1", "nodes"), false, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Nodes().Informer()
	}},
	{rows.KindPod, gvr("", "v1", "pods"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Pods().Informer()
	}},
	{rows.KindDeployment, gvr("apps", "v1", "deployments"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().Deployments().Informer()
	}},
	{rows.KindStatefulSet, gvr("apps", "v1", "statefulsets"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().StatefulSets().Informer()
	}},
	{rows.KindDaemonSet, gvr("apps", "v1", "daemonsets"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().DaemonSets().Informer()
	}},
	{rows.KindReplicaSet, gvr("apps", "v1", "replicasets"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Apps().V1().ReplicaSets().Informer()
	}},
	{rows.KindJob, gvr("batch", "v1", "jobs"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Batch().V1().Jobs().Informer()
	}},
	{rows.KindCronJob, gvr("batch", "v1", "cronjobs"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Batch().V1().CronJobs().Informer()
	}},
	{rows.KindService, gvr("", "v1", "services"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Services().Informer()
	}},
	{rows.KindEndpointSlice, gvr("discovery.k8s.io", "v1", "endpointslices"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Discovery().V1().EndpointSlices().Informer()
	}},
	{rows.KindIngress, gvr("networking.k8s.io", "v1", "ingresses"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Networking().V1().Ingresses().Informer()
	}},
	{rows.KindPersistentVolume, gvr("", "v1", "persistentvolumes"), false, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().PersistentVolumes().Informer()
	}},
	{rows.KindPersistentVolumeClaim, gvr("", "v1", "persistentvolumeclaims"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().PersistentVolumeClaims().Informer()
	}},
	{rows.KindResourceQuota, gvr("", "v1", "resourcequotas"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().ResourceQuotas().Informer()
	}},
	{rows.KindLimitRange, gvr("", "v1", "limitranges"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().LimitRanges().Informer()
	}},
	{rows.KindNetworkPolicy, gvr("networking.k8s.io", "v1", "networkpolicies"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Networking().V1().NetworkPolicies().Informer()
	}},
	{rows.KindServiceAccount, gvr("", "v1", "serviceaccounts"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().ServiceAccounts().Informer()
	}},
	{rows.KindHPA, gvr("autoscaling", "v2", "horizontalpodautoscalers"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Autoscaling().V2().HorizontalPodAutoscalers().Informer()
	}},
	{rows.KindEvent, gvr("", "v1", "events"), true, false, func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Events().Informer()
	}},
	{Name: rows.KindConfigMap, GVR: gvr("", "v1", "configmaps"), Namespaced: true, Metadata: true},
	{Name: rows.KindSecret, GVR: gvr("", "v1", "secrets"), Namespaced: true, Metadata: true},
}

// KindByName finds a kind.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}
