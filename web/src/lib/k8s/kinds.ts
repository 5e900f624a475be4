import { KINDS, type KindInfo } from './kinds.gen';

// The kind list itself is generated from the registry (query/kinds):
// kinds.gen.ts, with the kinds' names in ./locales (i18n namespace "k8s").
export { KINDS, KIND_CATEGORIES, type KindCategory, type KindFilter, type KindInfo, type KindTable } from './kinds.gen';

const byResource = new Map(KINDS.map((x) => [x.resource, x]));
const byKind = new Map(KINDS.map((x) => [x.kind, x]));

export function kindByResource(resource: string): KindInfo | undefined {
  return byResource.get(resource);
}

export function kindByName(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** The workload kinds the Workloads page tabs through, in order. */
export const WORKLOAD_KINDS = ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'jobs', 'cronjobs'] as const;
export type WorkloadResource = (typeof WORKLOAD_KINDS)[number];

export function isWorkload(resource: string): resource is WorkloadResource {
  return (WORKLOAD_KINDS as readonly string[]).includes(resource);
}

/** Where the dashboard lists a kind and which URL parameter names the open object. */
export interface KindPage {
  /** Route under /c/:cluster/. */
  path: string;
  /** Parameters selecting the kind on a page several kinds share. */
  query?: Record<string, string>;
  /** The parameter holding the open object's key. */
  param: string;
}

// Kinds with a page of their own; the workload kinds share the Workloads
// page (a tab each); every other kind is listed by the generic kind page
// at its resource name, so a kind added to the registry has a page at once.
const OWN_PAGES: Record<string, Omit<KindPage, 'path'>> = {
  pods: { param: 'pod' },
  nodes: { param: 'node' },
  services: { param: 'obj' },
  ingresses: { param: 'obj' },
  namespaces: { param: 'obj' },
};

/** Whether a kind has a page of its own (else the generic kind page lists it). */
export function hasOwnPage(resource: string): boolean {
  return resource in OWN_PAGES || isWorkload(resource);
}

export function kindPage(resource: string): KindPage {
  if (isWorkload(resource)) return { path: 'workloads', query: { kind: resource }, param: 'obj' };
  return { path: resource, param: OWN_PAGES[resource]?.param ?? 'obj' };
}

/** The list page of a kind, with `params` (e.g. the open object) added. */
export function kindPath(cluster: string, resource: string, params: Record<string, string> = {}): string {
  const p = kindPage(resource);
  const q = new URLSearchParams({ ...p.query, ...params }).toString();
  return `/c/${encodeURIComponent(cluster)}/${p.path}${q ? `?${q}` : ''}`;
}

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
