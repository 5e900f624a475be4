import type { OperationId } from '../api/schema.gen';

// Every kind the agent watches, keyed by its resource path name (the API's
// URL segment and the time-travel `kind` parameter).
export interface KindInfo {
  resource: string;
  kind: string;
  namespaced: boolean;
  list: OperationId;
  get: OperationId;
  /** Which lake table holds its typed columns. */
  table: 'pods' | 'nodes' | 'workloads' | 'objects';
}

const k = (resource: string, kind: string, namespaced: boolean, list: OperationId, get: OperationId, table: KindInfo['table']): KindInfo => ({
  resource,
  kind,
  namespaced,
  list,
  get,
  table,
});

export const KINDS: KindInfo[] = [
  k('pods', 'Pod', true, 'listPods', 'getPod', 'pods'),
  k('nodes', 'Node', false, 'listNodes', 'getNode', 'nodes'),
  k('namespaces', 'Namespace', false, 'listNamespaces', 'getNamespace', 'objects'),
  k('deployments', 'Deployment', true, 'listDeployments', 'getDeployment', 'workloads'),
  k('statefulsets', 'StatefulSet', true, 'listStatefulSets', 'getStatefulSet', 'workloads'),
  k('daemonsets', 'DaemonSet', true, 'listDaemonSets', 'getDaemonSet', 'workloads'),
  k('replicasets', 'ReplicaSet', true, 'listReplicaSets', 'getReplicaSet', 'workloads'),
  k('jobs', 'Job', true, 'listJobs', 'getJob', 'workloads'),
  k('cronjobs', 'CronJob', true, 'listCronJobs', 'getCronJob', 'workloads'),
  k('services', 'Service', true, 'listServices', 'getService', 'objects'),
  k('endpointslices', 'EndpointSlice', true, 'listEndpointSlices', 'getEndpointSlice', 'objects'),
  k('ingresses', 'Ingress', true, 'listIngresses', 'getIngress', 'objects'),
  k('persistentvolumes', 'PersistentVolume', false, 'listPersistentVolumes', 'getPersistentVolume', 'objects'),
  k('persistentvolumeclaims', 'PersistentVolumeClaim', true, 'listPersistentVolumeClaims', 'getPersistentVolumeClaim', 'objects'),
  k('resourcequotas', 'ResourceQuota', true, 'listResourceQuotas', 'getResourceQuota', 'objects'),
  k('limitranges', 'LimitRange', true, 'listLimitRanges', 'getLimitRange', 'objects'),
  k('networkpolicies', 'NetworkPolicy', true, 'listNetworkPolicys', 'getNetworkPolicy', 'objects'),
  k('serviceaccounts', 'ServiceAccount', true, 'listServiceAccounts', 'getServiceAccount', 'objects'),
  k('horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, 'listHorizontalPodAutoscalers', 'getHorizontalPodAutoscaler', 'objects'),
  k('configmaps', 'ConfigMap', true, 'listConfigMaps', 'getConfigMap', 'objects'),
  k('secrets', 'Secret', true, 'listSecrets', 'getSecret', 'objects'),
];

const byResource = new Map(KINDS.map((x) => [x.resource, x]));
const byKind = new Map(KINDS.map((x) => [x.kind, x]));

export function kindByResource(resource: string): KindInfo | undefined {
  return byResource.get(resource);
}

export function kindByName(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** The workload kinds the Workloads page tabs through, in order. */
export const WORKLOAD_KINDS = ['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'] as const;
export type WorkloadResource = (typeof WORKLOAD_KINDS)[number];

/** "namespace/name", or "name" for cluster-scoped objects: the key used in URLs. */
export function objectKey(o: { namespace?: string; name: string }): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}

export function parseObjectKey(key: string | null): { namespace: string; name: string } | null {
  if (!key) return null;
  const i = key.indexOf('/');
  if (i < 0) return { namespace: '', name: key };
  const namespace = key.slice(0, i);
  const name = key.slice(i + 1);
  return name ? { namespace, name } : null;
}
