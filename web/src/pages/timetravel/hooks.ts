import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { kindByResource } from '../../lib/k8s';

/** Kinds counted on the "state at T" board, by resource path name. */
export const SNAPSHOT_KINDS = ['nodes', 'pods', 'deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs', 'services', 'ingresses', 'namespaces', 'persistentvolumeclaims', 'configmaps'] as const;

/** How many objects of each kind existed at `at` (one small request per kind: limit=1, read `total`). */
export function useSnapshotCounts(cluster: string, at: string) {
  return useQueries({
    queries: [
      ...SNAPSHOT_KINDS.map((resource) => ({
        queryKey: ['snapshot-count', cluster, resource, at],
        queryFn: ({ signal }: { signal: AbortSignal }) => api.objects(resource, cluster, { limit: 1, at }, signal),
        staleTime: Infinity,
        enabled: !!cluster && !!kindByResource(resource),
      })),
      {
        queryKey: ['snapshot-count', cluster, 'pods-troubled', at],
        queryFn: ({ signal }: { signal: AbortSignal }) => api.pods(cluster, { limit: 1, at, phase: 'Pending,Failed,Unknown' }, signal),
        staleTime: Infinity,
        enabled: !!cluster,
      },
      {
        queryKey: ['snapshot-count', cluster, 'nodes-notready', at],
        queryFn: ({ signal }: { signal: AbortSignal }) => api.nodes(cluster, { limit: 1, at, ready: false }, signal),
        staleTime: Infinity,
        enabled: !!cluster,
      },
    ],
  });
}

export interface DiffParams {
  from: string;
  to: string;
  kinds: string[];
  change: string[];
}

/** The diff T1 → T2, page by page ("load more" follows next_cursor). */
export function useDiff(cluster: string, p: DiffParams, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ['diff', cluster, p],
    queryFn: ({ pageParam, signal }) =>
      api.diff(cluster, { from: p.from, to: p.to, kind: p.kinds.join(',') || undefined, change: p.change.join(',') || undefined, limit: 200, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor || undefined,
    enabled: enabled && !!cluster,
    staleTime: Infinity,
  });
}
