import { useQuery } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE, type Schemas } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import { resolveRange, type TimeRange } from '../../lib/time';
import type { Anomaly, KEvent } from '../../lib/k8s';

export interface AnomalyFilter {
  state: 'open' | 'resolved' | 'any';
  severity: string[];
  namespace: string;
  kind: string;
  q: string;
}

/** The API window for a range; relative ranges are sent relative so the server evaluates "now". */
export function apiWindow(range: TimeRange): { from: string; to?: string } {
  if (range.kind === 'relative') return { from: `-${range.preset}` };
  const { from, to } = resolveRange(range);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** Up to 5,000 anomalies matching the filters (server-side: anomalies accumulate for 90 days). */
export function useAnomalies(cluster: string, f: AnomalyFilter, range: TimeRange) {
  const refetchInterval = useRefetchInterval(range.kind === 'absolute');
  const w = apiWindow(range);
  return useQuery({
    queryKey: ['anomalies', cluster, f, w],
    queryFn: ({ signal }) =>
      listAll<Anomaly>(
        (cursor) =>
          api.anomalies(
            cluster,
            { state: f.state, severity: f.severity.join(',') || undefined, namespace: f.namespace || undefined, kind: f.kind || undefined, q: f.q || undefined, ...w, limit: MAX_PAGE, cursor },
            signal,
          ),
        { max: 5000 },
      ),
    refetchInterval,
    enabled: !!cluster,
    placeholderData: (prev) => prev,
  });
}

export function useTrend(cluster: string, range: TimeRange, severity: string[]) {
  const refetchInterval = useRefetchInterval(range.kind === 'absolute');
  const w = apiWindow(range);
  return useQuery({
    queryKey: ['anomaly-trend', cluster, w, severity],
    queryFn: ({ signal }) => api.anomalyTrend(cluster, { ...w, severity: severity.join(',') || undefined }, signal),
    refetchInterval,
    enabled: !!cluster,
    placeholderData: (prev) => prev,
  });
}

export function useAnomaly(cluster: string, fingerprint: string | null) {
  return useQuery({
    queryKey: ['anomaly', cluster, fingerprint],
    queryFn: ({ signal }) => api.anomaly(cluster, fingerprint!, { from: '-30d' }, signal),
    enabled: !!fingerprint,
  });
}

export interface EventFilter {
  type: '' | 'Normal' | 'Warning';
  namespace: string;
  reason: string;
  kind: string;
  q: string;
}

export function useEvents(cluster: string, f: EventFilter, range: TimeRange, enabled: boolean) {
  const refetchInterval = useRefetchInterval(range.kind === 'absolute');
  const w = apiWindow(range);
  return useQuery({
    queryKey: ['events', cluster, f, w],
    queryFn: ({ signal }) =>
      listAll<KEvent>(
        (cursor) =>
          api.events(
            cluster,
            { type: f.type || undefined, namespace: f.namespace || undefined, reason: f.reason || undefined, involved_kind: f.kind || undefined, q: f.q || undefined, ...w, limit: MAX_PAGE, cursor },
            signal,
          ),
        { max: 5000 },
      ),
    refetchInterval,
    enabled: enabled && !!cluster,
    placeholderData: (prev) => prev,
  });
}

export type AnomalyHistory = Schemas['AnomalyHistory'];
