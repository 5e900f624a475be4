import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import type { Node } from '../../lib/k8s';
import { nodeUsage, useNodeMetricsList, type NodeUsage } from '../cluster/hooks';

export function useNodes(cluster: string, at: string | null) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['nodes', cluster, at],
    queryFn: ({ signal }) => listAll<Node>((cursor) => api.nodes(cluster, { limit: MAX_PAGE, cursor, at: at ?? undefined, sort: 'name' }, signal)),
    refetchInterval,
    enabled: !!cluster,
  });
}

/** Latest usage per node name (empty when the collector is not deployed). */
export function useNodeUsage(cluster: string): Map<string, NodeUsage> {
  const q = useNodeMetricsList(cluster);
  return useMemo(() => new Map((q.data?.items ?? []).map((it) => [it.node, nodeUsage(it.values, it.node)])), [q.data]);
}

export function useNode(cluster: string, name: string | null, at: string | null) {
  const refetchInterval = useRefetchInterval(at !== null);
  return useQuery({
    queryKey: ['node', cluster, name, at],
    queryFn: ({ signal }) => api.node(cluster, name!, { at: at ?? undefined }, signal),
    enabled: !!name,
    refetchInterval,
  });
}

export { useNodeMetricsList };
