import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import { resolveRange, type TimeRange } from '../../lib/time';
import { API_RANGES } from './logic';

/** One history request: up to 20 metrics of one node over the page's range. */
export function useHistory(cluster: string, node: string, metrics: string[], range: TimeRange, device?: string) {
  const refetchInterval = useRefetchInterval(range.kind === 'absolute');
  const window =
    range.kind === 'relative' && (API_RANGES as readonly string[]).includes(range.preset)
      ? { range: range.preset as (typeof API_RANGES)[number] }
      : (() => {
          const { from, to } = resolveRange(range);
          return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
        })();
  return useQuery({
    queryKey: ['node-history', cluster, node, metrics.join(','), device, window],
    queryFn: ({ signal }) => api.nodeMetricsHistory(cluster, node, { metric: metrics.join(','), device, ...window }, signal),
    enabled: !!cluster && !!node,
    refetchInterval: refetchInterval ? Math.max(refetchInterval, 30_000) : false,
    placeholderData: (prev) => prev,
  });
}

export function useCurrent(cluster: string, node: string) {
  const refetchInterval = useRefetchInterval();
  return useQuery({
    queryKey: ['node-current', cluster, node],
    queryFn: ({ signal }) => api.nodeMetrics(cluster, node, signal),
    enabled: !!cluster && !!node,
    refetchInterval,
  });
}
