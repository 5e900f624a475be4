import type { Anomaly, Tone } from './types';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

export function severityTone(s: string | undefined): Tone {
  return s === 'critical' ? 'crit' : s === 'warning' ? 'warn' : s === 'info' ? 'info' : 'neutral';
}

export function isOpen(a: Anomaly): boolean {
  return a.state === 'open' || a.state === 'update';
}

/**
 * Open (the condition holds), cleared (it stopped: the anomaly resolves at
 * resolves_at unless it recurs) or resolved, as the API serves it.
 */
export type AnomalyStatus = 'open' | 'cleared' | 'resolved';

export function anomalyStatus(a: { status?: string; state?: string }): AnomalyStatus {
  if (a.status === 'open' || a.status === 'cleared' || a.status === 'resolved') return a.status;
  return a.state === 'resolved' ? 'resolved' : 'open';
}

/** Most severe first, then most recently seen. */
export function compareAnomalies(a: Anomaly, b: Anomaly): number {
  const r = (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9);
  if (r) return r;
  return Date.parse(b.last_seen ?? b.ts) - Date.parse(a.last_seen ?? a.ts);
}

/** The object an anomaly is about, as "Kind namespace/name". */
export function anomalySubject(a: Pick<Anomaly, 'kind' | 'namespace' | 'name' | 'container'>): string {
  const obj = a.namespace ? `${a.namespace}/${a.name ?? ''}` : (a.name ?? '');
  return `${a.kind ?? ''} ${obj}${a.container ? ` (${a.container})` : ''}`.trim();
}

export function healthTone(status: string | undefined): Tone {
  switch (status) {
    case 'healthy':
      return 'ok';
    case 'degraded':
    case 'stale':
      return 'warn';
    case 'critical':
    case 'offline':
      return 'crit';
    default:
      return 'neutral';
  }
}
