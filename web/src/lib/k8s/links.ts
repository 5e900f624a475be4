import { kindByName, kindPage, kindPath, objectKey } from './kinds';

/** Where the UI shows an object of a kind (its list page with its detail open); null for a kind the API does not serve. */
export function objectLink(cluster: string, kind: string | undefined, namespace: string | undefined, name: string | undefined): string | null {
  if (!kind || !name) return null;
  const k = kindByName(kind);
  if (!k) return null;
  return kindPath(cluster, k.resource, { [kindPage(k.resource).param]: objectKey({ namespace: k.namespaced ? namespace : undefined, name }) });
}
