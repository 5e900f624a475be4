import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';

/** The change timeline of one object (its rows in the lake, field by field). */
export function useTimeline(cluster: string, o: { kind: string; namespace?: string; name: string; uid?: string } | null, rangeFrom = '-7d', to?: string) {
  return useQuery({
    queryKey: ['timeline', cluster, o?.kind, o?.namespace, o?.name, o?.uid, rangeFrom, to],
    queryFn: ({ signal }) =>
      api.timeline(cluster, { kind: o!.kind, namespace: o!.namespace || undefined, name: o!.name, uid: o!.uid, from: rangeFrom, to, limit: 200 }, signal),
    enabled: !!o && !!cluster,
    staleTime: 30_000,
  });
}
