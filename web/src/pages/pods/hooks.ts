import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import { filterPods, indexPods, type PodFilter, type Pod } from '../../lib/k8s';
import { sortBy, type SortState } from '../../common/sort';
import { podColumnsSort } from './sortKeys';

/**
 * Every pod of the cluster (at `at`, or now), fetched page by page. The
 * table filters client-side so typing stays instant at 10,000 pods; the
 * progress callback lets the page show "loading 3,000 of 10,000".
 */
export function usePods(cluster: string, at: string | null) {
  const refetchInterval = useRefetchInterval(at !== null);
  const [progress, setProgress] = useState<{ loaded: number; total?: number } | null>(null);
  const q = useQuery({
    queryKey: ['pods', cluster, at],
    queryFn: ({ signal }) =>
      listAll<Pod>((cursor) => api.pods(cluster, { limit: MAX_PAGE, cursor, at: at ?? undefined, sort: 'namespace' }, signal), {
        onPage: (loaded, total) => setProgress({ loaded, total }),
      }),
    refetchInterval,
    enabled: !!cluster,
    staleTime: at ? Infinity : 10_000,
  });
  return { ...q, progress };
}

/** Sorted once per data/sort change; filtered per keystroke (cheap: a prebuilt lowercase index). */
export function useFilteredPods(pods: Pod[] | undefined, sort: SortState, filter: PodFilter) {
  const indexed = useMemo(() => {
    const key = podColumnsSort[sort.id] ?? podColumnsSort.name;
    return indexPods(sortBy(pods ?? [], key, sort.desc));
  }, [pods, sort]);
  return useMemo(() => filterPods(indexed, filter), [indexed, filter]);
}

export function usePod(cluster: string, key: { namespace: string; name: string } | null, at: string | null) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['pod', cluster, key?.namespace, key?.name, at],
    queryFn: ({ signal }) => api.pod(cluster, key!.namespace, key!.name, { at: at ?? undefined }, signal),
    enabled: !!key,
    refetchInterval,
  });
}

/** The full anomaly (with the log tail the agent captured) for one fingerprint. */
export function useAnomalyDetail(cluster: string, fingerprint: string | undefined) {
  return useQuery({
    queryKey: ['anomaly', cluster, fingerprint],
    queryFn: ({ signal }) => api.anomaly(cluster, fingerprint!, { from: '-30d' }, signal),
    enabled: !!fingerprint,
    staleTime: 60_000,
  });
}
