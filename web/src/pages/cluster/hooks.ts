import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import type { Schemas } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';

export type Overview = Schemas['ClusterOverview'];
export type Trend = Schemas['AnomalyTrend'];

export function useClusterOverview(cluster: string) {
  const refetchInterval = useRefetchInterval();
  return useQuery({ queryKey: ['overview', cluster], queryFn: ({ signal }) => api.clusterOverview(cluster, signal), refetchInterval, enabled: !!cluster });
}

export function useNodeMetricsList(cluster: string) {
  const refetchInterval = useRefetchInterval();
  return useQuery({ queryKey: ['node-metrics', cluster], queryFn: ({ signal }) => api.nodeMetricsList(cluster, signal), refetchInterval, enabled: !!cluster });
}

/** Trend buckets → chart rows (t = bucket start in ms). */
export function trendRows(trend: Trend | undefined): Array<{ t: number; critical: number; warning: number; info: number; opened: number; resolved: number }> {
  return (trend?.buckets ?? []).map((b) => {
    const by = b.active_by_severity;
    // Older API answers without the severity split: count everything as warning.
    const critical = by?.critical ?? 0;
    const warning = by ? (by.warning ?? 0) : b.active;
    const info = by?.info ?? 0;
    return { t: Date.parse(b.ts), critical, warning, info, opened: b.opened, resolved: b.resolved };
  });
}

export interface NodeUsage {
  node: string;
  cpu: number | null;
  mem: number | null;
  memUsed: number | null;
  memTotal: number | null;
  load1: number | null;
}

/** CPU busy ratio and memory use per node from the latest node-level metrics. */
export function nodeUsage(values: Record<string, number>, node: string): NodeUsage {
  const v = (k: string) => (typeof values[k] === 'number' && Number.isFinite(values[k]) ? values[k] : null);
  const idle = v('cpu.idle_pct');
  const busyParts = ['cpu.user_pct', 'cpu.system_pct', 'cpu.iowait_pct', 'cpu.steal_pct'].map(v);
  const cpu = idle !== null ? Math.max(0, 100 - idle) / 100 : busyParts.some((x) => x !== null) ? busyParts.reduce<number>((a, b) => a + (b ?? 0), 0) / 100 : null;
  let total = v('mem.total_bytes');
  let used = v('mem.used_bytes');
  const avail = v('mem.available_bytes');
  if (used === null && total !== null && avail !== null) used = total - avail;
  if (total === null && used !== null && avail !== null) total = used + avail;
  return { node, cpu: cpu === null ? null : Math.min(1, cpu), mem: used !== null && total ? used / total : null, memUsed: used, memTotal: total, load1: v('load.1m') };
}
