// The typed API: one function per screen need, each a thin call of a
// documented operation. Pages use these through TanStack Query hooks in
// their feature folders.
import { call, download } from './client';
import type { Operations, Schemas } from './schema.gen';
import { kindByResource } from '../k8s/kinds';

export { ApiError } from './http';
export type { Schemas, Operations } from './schema.gen';
export { call, download } from './client';

type Q<K extends keyof Operations> = Operations[K]['query'];

export type ListResponse<T> = Schemas['ListMeta'] & { items: T[] };

/** The API's page-size ceiling (Limit.maximum in the document). */
export const MAX_PAGE = 1000;

/**
 * Follows next_cursor until the last page (or `max` items), for lists the
 * UI filters client-side (pods, nodes). `onPage` reports progress.
 */
export async function listAll<T>(
  fetchPage: (cursor: string | undefined) => Promise<ListResponse<T>>,
  opts: { max?: number; onPage?: (loaded: number, total: number | undefined) => void } = {},
): Promise<{ items: T[]; total: number | undefined; asOf: string | undefined; historyStartsAt: string | undefined; truncated: boolean }> {
  const max = opts.max ?? 50_000;
  const items: T[] = [];
  let cursor: string | undefined;
  let total: number | undefined;
  let asOf: string | undefined;
  let historyStartsAt: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const it of page.items) items.push(it);
    total = page.total ?? total;
    asOf = asOf ?? page.as_of;
    historyStartsAt = historyStartsAt ?? page.history_starts_at;
    opts.onPage?.(items.length, total);
    cursor = page.next_cursor || undefined;
    if (!cursor) return { items, total, asOf, historyStartsAt, truncated: false };
    if (items.length >= max) return { items, total, asOf, historyStartsAt, truncated: true };
  }
}

export const api = {
  health: (signal?: AbortSignal) => call('getHealth', { signal }),
  me: (signal?: AbortSignal) => call('getMe', { signal }),
  changePassword: (body: Schemas['ChangePasswordRequest']) => call('changePassword', { body }),

  users: (signal?: AbortSignal) => call('listUsers', { signal }),
  createUser: (body: Schemas['CreateUserRequest']) => call('createUser', { body }),
  updateUser: (username: string, body: Schemas['UpdateUserRequest']) => call('updateUser', { path: { username }, body }),
  deleteUser: (username: string) => call('deleteUser', { path: { username } }),

  clusters: (signal?: AbortSignal) => call('listClusters', { signal }),
  fleet: (signal?: AbortSignal) => call('getFleetOverview', { signal }),
  cluster: (cluster: string, signal?: AbortSignal) => call('getCluster', { path: { cluster }, signal }),
  clusterOverview: (cluster: string, signal?: AbortSignal) => call('getClusterOverview', { path: { cluster }, signal }),
  namespaceSummaries: (cluster: string, signal?: AbortSignal) => call('listNamespaceSummaries', { path: { cluster }, signal }),
  /** Renews the cluster's watch lease (lists then seconds behind; see lib/watch.ts). */
  watchCluster: (cluster: string) => call('watchCluster', { path: { cluster } }),

  pods: (cluster: string, query: Q<'listPods'>, signal?: AbortSignal) => call('listPods', { path: { cluster }, query, signal }),
  pod: (cluster: string, namespace: string, name: string, query: Q<'getPod'> = {}, signal?: AbortSignal) =>
    call('getPod', { path: { cluster, namespace, name }, query, signal }),
  nodes: (cluster: string, query: Q<'listNodes'>, signal?: AbortSignal) => call('listNodes', { path: { cluster }, query, signal }),
  node: (cluster: string, name: string, query: Q<'getNode'> = {}, signal?: AbortSignal) =>
    call('getNode', { path: { cluster, name }, query, signal }),
  namespaces: (cluster: string, query: Q<'listNamespaces'>, signal?: AbortSignal) =>
    call('listNamespaces', { path: { cluster }, query, signal }),
  deployments: (cluster: string, query: Q<'listDeployments'>, signal?: AbortSignal) =>
    call('listDeployments', { path: { cluster }, query, signal }),
  deployment: (cluster: string, namespace: string, name: string, query: Q<'getDeployment'> = {}, signal?: AbortSignal) =>
    call('getDeployment', { path: { cluster, namespace, name }, query, signal }),
  statefulSets: (cluster: string, query: Q<'listStatefulSets'>, signal?: AbortSignal) =>
    call('listStatefulSets', { path: { cluster }, query, signal }),
  statefulSet: (cluster: string, namespace: string, name: string, query: Q<'getStatefulSet'> = {}, signal?: AbortSignal) =>
    call('getStatefulSet', { path: { cluster, namespace, name }, query, signal }),
  daemonSets: (cluster: string, query: Q<'listDaemonSets'>, signal?: AbortSignal) =>
    call('listDaemonSets', { path: { cluster }, query, signal }),
  daemonSet: (cluster: string, namespace: string, name: string, query: Q<'getDaemonSet'> = {}, signal?: AbortSignal) =>
    call('getDaemonSet', { path: { cluster, namespace, name }, query, signal }),
  jobs: (cluster: string, query: Q<'listJobs'>, signal?: AbortSignal) => call('listJobs', { path: { cluster }, query, signal }),
  job: (cluster: string, namespace: string, name: string, query: Q<'getJob'> = {}, signal?: AbortSignal) =>
    call('getJob', { path: { cluster, namespace, name }, query, signal }),
  cronJobs: (cluster: string, query: Q<'listCronJobs'>, signal?: AbortSignal) => call('listCronJobs', { path: { cluster }, query, signal }),
  cronJob: (cluster: string, namespace: string, name: string, query: Q<'getCronJob'> = {}, signal?: AbortSignal) =>
    call('getCronJob', { path: { cluster, namespace, name }, query, signal }),
  services: (cluster: string, query: Q<'listServices'>, signal?: AbortSignal) => call('listServices', { path: { cluster }, query, signal }),
  service: (cluster: string, namespace: string, name: string, query: Q<'getService'> = {}, signal?: AbortSignal) =>
    call('getService', { path: { cluster, namespace, name }, query, signal }),
  endpointSlices: (cluster: string, query: Q<'listEndpointSlices'>, signal?: AbortSignal) =>
    call('listEndpointSlices', { path: { cluster }, query, signal }),
  ingresses: (cluster: string, query: Q<'listIngresses'>, signal?: AbortSignal) => call('listIngresses', { path: { cluster }, query, signal }),
  ingress: (cluster: string, namespace: string, name: string, query: Q<'getIngress'> = {}, signal?: AbortSignal) =>
    call('getIngress', { path: { cluster, namespace, name }, query, signal }),
  resourceQuotas: (cluster: string, query: Q<'listResourceQuotas'>, signal?: AbortSignal) =>
    call('listResourceQuotas', { path: { cluster }, query, signal }),
  limitRanges: (cluster: string, query: Q<'listLimitRanges'>, signal?: AbortSignal) =>
    call('listLimitRanges', { path: { cluster }, query, signal }),

  /** List of any watched kind by its resource path name (services, ingresses, …). */
  objects: <T = Schemas['Object']>(resource: string, cluster: string, query: Q<'listServices'> & { phase?: string; owner?: string }, signal?: AbortSignal) => {
    const k = kindByResource(resource);
    if (!k) throw new Error(`unknown resource ${resource}`);
    return call(k.list as 'listServices', { path: { cluster }, query, signal }) as unknown as Promise<ListResponse<T>>;
  },
  /** One object of any watched kind, with its stripped object, events and anomalies. */
  object: (resource: string, cluster: string, namespace: string, name: string, query: Q<'getService'> = {}, signal?: AbortSignal) => {
    const k = kindByResource(resource);
    if (!k) throw new Error(`unknown resource ${resource}`);
    const path = k.namespaced ? { cluster, namespace, name } : { cluster, name };
    return call(k.get as 'getService', { path: path as { cluster: string; namespace: string; name: string }, query, signal }) as Promise<Schemas['ObjectDetail']>;
  },

  events: (cluster: string, query: Q<'listEvents'>, signal?: AbortSignal) => call('listEvents', { path: { cluster }, query, signal }),
  anomalies: (cluster: string, query: Q<'listAnomalies'>, signal?: AbortSignal) =>
    call('listAnomalies', { path: { cluster }, query, signal }),
  anomalyTrend: (cluster: string, query: Q<'getAnomalyTrend'>, signal?: AbortSignal) =>
    call('getAnomalyTrend', { path: { cluster }, query, signal }),
  anomaly: (cluster: string, fingerprint: string, query: Q<'getAnomaly'> = {}, signal?: AbortSignal) =>
    call('getAnomaly', { path: { cluster, fingerprint }, query, signal }),

  nodeMetricsList: (cluster: string, signal?: AbortSignal) => call('listNodeMetrics', { path: { cluster }, signal }),
  nodeMetrics: (cluster: string, name: string, signal?: AbortSignal) => call('getNodeMetrics', { path: { cluster, name }, signal }),
  nodeMetricsHistory: (cluster: string, name: string, query: Q<'getNodeMetricsHistory'>, signal?: AbortSignal) =>
    call('getNodeMetricsHistory', { path: { cluster, name }, query, signal }),

  diff: (cluster: string, query: Q<'getDiff'>, signal?: AbortSignal) => call('getDiff', { path: { cluster }, query, signal }),
  timeline: (cluster: string, query: Q<'getTimeline'>, signal?: AbortSignal) => call('getTimeline', { path: { cluster }, query, signal }),

  sql: (body: Schemas['SQLRequest'], signal?: AbortSignal) =>
    call('runSQL', { body: { ...body, format: 'json' }, signal }) as Promise<Schemas['SQLResult']>,
  sqlDownload: (body: Schemas['SQLRequest'], format: 'csv' | 'parquet') =>
    download('runSQL', { body: { ...body, format } }, format === 'csv' ? 'text/csv' : 'application/vnd.apache.parquet'),
  sqlSchema: (signal?: AbortSignal) => call('getSQLSchema', { signal }),
  sqlExamples: (signal?: AbortSignal) => call('getSQLExamples', { signal }),

  audit: (query: Q<'listAudit'>, signal?: AbortSignal) => call('listAudit', { query, signal }),

  systemUsage: (signal?: AbortSignal) => call('getSystemUsage', { signal }),

  actions: (signal?: AbortSignal) => call('listActions', { signal }),
  commands: (cluster: string, query: Q<'listCommands'>, signal?: AbortSignal) => call('listCommands', { path: { cluster }, query, signal }),
  fleetCommands: (query: Q<'listFleetCommands'>, signal?: AbortSignal) => call('listFleetCommands', { query, signal }),
  command: (cluster: string, id: string, signal?: AbortSignal) => call('getCommand', { path: { cluster, id }, signal }),
  submitCommand: (cluster: string, body: Schemas['CommandRequest']) => call('submitCommand', { path: { cluster }, body }),
  parseCommand: (cluster: string, line: string) => call('parseCommand', { path: { cluster }, body: { line } }),
  cancelCommand: (cluster: string, id: string) => call('cancelCommand', { path: { cluster, id } }),
  stopCommand: (cluster: string, id: string) => call('stopCommand', { path: { cluster, id } }),
  /** A command's output as text (at most maxBytes). */
  commandOutput: async (cluster: string, id: string, maxBytes?: number) => {
    const { blob } = await download('getCommandOutput', { path: { cluster, id }, query: { max_bytes: maxBytes } }, 'text/plain');
    return blob.text();
  },
};

export type Api = typeof api;
