import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import type { Schemas } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import { ratio } from '../../lib/k8s/nodes';
import { capacity } from '../../lib/k8s/summary';

export type FleetCluster = Schemas['FleetCluster'];

export function useFleet() {
  const refetchInterval = useRefetchInterval();
  return useQuery({ queryKey: ['fleet'], queryFn: ({ signal }) => api.fleet(signal), refetchInterval });
}

/** Row model of the fleet table: derived numbers, computed once per fetch. */
export interface FleetRow {
  c: FleetCluster;
  id: string;
  healthRank: number;
  nodesReady: number;
  nodesTotal: number;
  podsRunning: number;
  podsTotal: number;
  podsBad: number;
  podsNotReady: number;
  podsCrashLooping: number;
  critical: number;
  warning: number;
  info: number;
  cpu: number | null;
  mem: number | null;
}

const HEALTH_RANK: Record<string, number> = { offline: 0, critical: 1, stale: 2, degraded: 3, unknown: 4, healthy: 5 };

export function fleetRows(clusters: FleetCluster[]): FleetRow[] {
  return clusters.map((c) => {
    const s = c.summary ?? {};
    const cap = capacity(s);
    return {
      c,
      id: c.id,
      healthRank: HEALTH_RANK[c.health.status] ?? 4,
      nodesReady: s.nodes?.ready ?? 0,
      nodesTotal: s.nodes?.total ?? 0,
      podsRunning: s.pods?.running ?? 0,
      podsTotal: s.pods?.total ?? 0,
      podsBad: (s.pods?.failed ?? 0) + (s.pods?.pending ?? 0),
      podsNotReady: s.pods?.not_ready ?? 0,
      podsCrashLooping: s.pods?.crash_looping ?? 0,
      critical: s.anomalies?.critical ?? 0,
      warning: s.anomalies?.warning ?? 0,
      info: s.anomalies?.info ?? 0,
      cpu: ratio(cap.cpuRequested, cap.cpuAllocatable),
      mem: ratio(cap.memRequested, cap.memAllocatable),
    };
  });
}

/**
 * The moment the fleet view reflects: the oldest state among clusters
 * whose agent is alive (an offline cluster says so on its own row).
 */
export function fleetAsOf(clusters: FleetCluster[]): string | null {
  let min: string | null = null;
  for (const c of clusters) {
    if (c.status !== 'online' && c.status !== 'stale') continue;
    const t = c.state_updated_at;
    if (t && (min === null || Date.parse(t) < Date.parse(min))) min = t;
  }
  return min;
}
