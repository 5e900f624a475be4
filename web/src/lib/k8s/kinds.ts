import { KINDS, type KindInfo } from './kinds.gen';

// The kind list itself is generated from the registry (query/kinds):
// kinds.gen.ts, with the kinds' names in ./locales (i18n namespace "k8s").
export { KINDS, type KindFilter, type KindInfo, type KindTable } from './kinds.gen';

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
