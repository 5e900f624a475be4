import { useQuery } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE, type ListResponse } from '../lib/api';
import { useRefetchInterval } from '../lib/refresh';

/** Whether the cluster's agent collects a kind, as its list response says. */
export interface Collection {
  collected: boolean;
  /** Why not (the agent's words), when not collected. */
  reason?: string;
}

/**
 * Every object of one kind (at `at` or now), all pages, and whether the
 * agent collects the kind at all: a kind it skips is "not collected", not
 * an empty list.
 */
export function useObjects<T>(resource: string, cluster: string, at: string | null, enabled = true) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['objects', resource, cluster, at],
    queryFn: async ({ signal }) => {
      let first: ListResponse<T> | undefined;
      const all = await listAll<T>(async (cursor) => {
        const page = await api.objects<T>(resource, cluster, { limit: MAX_PAGE, cursor, at: at ?? undefined }, signal);
        first ??= page;
        return page;
      });
      return { ...all, ...collection(first) };
    },
    refetchInterval,
    enabled: enabled && !!cluster,
  });
}

export function collection(page?: { collected?: boolean; not_collected_reason?: string }): Collection {
  return page?.collected === false ? { collected: false, reason: page.not_collected_reason } : { collected: true };
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
