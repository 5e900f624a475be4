import { useMemo } from 'react';
import type { TFunction } from 'i18next';
import { useFormat } from '../../lib/i18n/useFormat';
import type { Schemas } from '../../lib/api';
import type { Tone } from '../../lib/k8s/types';

// A cluster's liveness and health as the API serves them, in the user's
// language: reasons are translated by their stable code and params (the
// API's English message is the fallback for a code this build does not
// know yet).

export type Reason = Schemas['ClusterHealth']['reasons'][number];
type Info = Pick<Schemas['ClusterInfo'], 'status' | 'heartbeat_interval_seconds'>;

export interface Formatters {
  duration: (ms: number) => string;
  dateTime: (v: string) => string;
  number: (v: number) => string;
}

/** One health reason as a sentence in the current language. */
export function reasonText(t: TFunction, fmt: Formatters, r: Reason, info?: Info): string {
  const p = (r.params ?? {}) as { count?: number; total?: number; seconds?: number; since?: string };
  const vals: Record<string, unknown> = { defaultValue: r.message };
  if (typeof p.count === 'number') vals.count = p.count;
  if (typeof p.total === 'number') vals.total = fmt.number(p.total);
  if (typeof p.seconds === 'number') vals.duration = fmt.duration(p.seconds * 1000);
  if (typeof p.since === 'string') vals.since = fmt.dateTime(p.since);
  vals.interval = fmt.duration((info?.heartbeat_interval_seconds || 120) * 1000);
  return t(`fleet:reason.${r.code}`, vals) as string;
}

/** The agent's liveness: online, stale (late, or cut off from its API server), offline, or none yet. */
export function livenessTone(status: string | undefined): Tone {
  return status === 'online' ? 'ok' : status === 'stale' ? 'warn' : status === 'offline' ? 'crit' : 'neutral';
}

export function livenessKey(status: string | undefined): string {
  return `fleet:liveness.${status || 'none'}`;
}

/** The formatters reasonText needs, bound to the current language. */
export function useReasonFormat(): Formatters {
  const fmt = useFormat();
  return useMemo(() => ({ duration: (ms: number) => fmt.duration(ms), dateTime: (v: string) => fmt.dateTime(v), number: (v: number) => fmt.number(v) }), [fmt]);
}
