import { useQueries, useQuery } from '@tanstack/react-query';
import { api, type ListResponse } from '../../lib/api';
import type { Workload } from '../../lib/k8s';

/** The ReplicaSets a Deployment owns (its rollout history), at `at` or now. */
export function useOwnedReplicaSets(cluster: string, namespace: string, deployment: string, at: string | null) {
  return useQuery({
    queryKey: ['owned-replicasets', cluster, namespace, deployment, at],
    queryFn: ({ signal }) =>
      api.objects<Workload>('replicasets', cluster, { namespace, owner: `Deployment/${deployment}`, limit: 100, at: at ?? undefined }, signal) as Promise<ListResponse<Workload>>,
  });
}

/** The detail of each ReplicaSet (its revision is an annotation); shares the drawer's cache entries. */
export function useReplicaSetDetails(cluster: string, replicaSets: Workload[], at: string | null) {
  return useQueries({
    queries: replicaSets.map((rs) => ({
      queryKey: ['object', 'replicasets', cluster, rs.namespace, rs.name, at],
      queryFn: ({ signal }: { signal: AbortSignal }) => api.object('replicasets', cluster, rs.namespace ?? '', rs.name, { at: at ?? undefined }, signal),
      staleTime: 60_000,
    })),
  });
}
