import { useEffect } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';
import { useRefetchInterval } from '../lib/refresh';

const LAST_CLUSTER = 'atlhyper.cluster';

export function useClusters() {
  const refetchInterval = useRefetchInterval();
  return useQuery({
    queryKey: ['clusters'],
    queryFn: ({ signal }) => api.clusters(signal),
    staleTime: 30_000,
    refetchInterval,
  });
}

export function rememberCluster(id: string) {
  try {
    if (id) localStorage.setItem(LAST_CLUSTER, id);
  } catch {
    /* ignore */
  }
}

export function lastCluster(): string | null {
  try {
    return localStorage.getItem(LAST_CLUSTER);
  } catch {
    return null;
  }
}

/** The cluster the sidebar's cluster section points at: the one in the URL, else the last visited, else the first. */
export function useNavCluster(routeCluster: string | undefined): string | null {
  const clusters = useClusters();
  useEffect(() => {
    if (routeCluster) rememberCluster(routeCluster);
  }, [routeCluster]);
  if (routeCluster) return routeCluster;
  const ids = clusters.data?.items.map((c) => c.id) ?? [];
  const last = lastCluster();
  if (last && (ids.length === 0 || ids.includes(last))) return last;
  return ids[0] ?? null;
}
