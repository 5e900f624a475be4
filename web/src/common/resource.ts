import { useQuery } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE } from '../lib/api';
import { useRefetchInterval } from '../lib/refresh';

/** Every object of one kind (at `at` or now), all pages. */
export function useObjects<T>(resource: string, cluster: string, at: string | null, enabled = true) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['objects', resource, cluster, at],
    queryFn: ({ signal }) => listAll<T>((cursor) => api.objects<T>(resource, cluster, { limit: MAX_PAGE, cursor, at: at ?? undefined }, signal)),
    refetchInterval,
    enabled: enabled && !!cluster,
  });
}

export function useObject(resource: string, cluster: string, key: { namespace: string; name: string } | null, at: string | null) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['object', resource, cluster, key?.namespace, key?.name, at],
    queryFn: ({ signal }) => api.object(resource, cluster, key!.namespace, key!.name, { at: at ?? undefined }, signal),
    enabled: !!key && !!cluster,
    refetchInterval,
  });
}

/** Namespaces present in a list, with counts, for the namespace filter. */
export function namespaceFacet(rows: { namespace?: string }[]): [string, number][] {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.namespace ?? '', (m.get(r.namespace ?? '') ?? 0) + 1);
  return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

/** Text + namespace filter shared by the simple resource lists. */
export function filterObjects<T extends { namespace?: string; name: string }>(rows: T[], namespaces: string[], text: string, extra?: (r: T) => string): T[] {
  const ns = namespaces.length ? new Set(namespaces) : null;
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (ns && !ns.has(r.namespace ?? '')) return false;
    if (!terms.length) return true;
    const hay = `${r.namespace ?? ''} ${r.name} ${extra?.(r) ?? ''}`.toLowerCase();
    return terms.every((t) => hay.includes(t));
  });
}
