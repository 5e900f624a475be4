import type { Node, Status } from './types';

export function nodeStatus(n: Node): Status {
  let s: Status;
  if (n.ready) s = { label: 'Ready', tone: 'ok' };
  else if (n.ready_status === 'Unknown') s = { label: 'Unknown', tone: 'crit' };
  else s = { label: 'NotReady', tone: 'crit' };
  if (n.unschedulable) return { label: `${s.label},SchedulingDisabled`, tone: s.tone === 'ok' ? 'warn' : s.tone };
  return s;
}

/** Active pressure conditions, by their Kubernetes names. */
export function nodePressures(n: Node): string[] {
  const out: string[] = [];
  if (n.memory_pressure) out.push('MemoryPressure');
  if (n.disk_pressure) out.push('DiskPressure');
  if (n.pid_pressure) out.push('PIDPressure');
  if (n.network_unavailable) out.push('NetworkUnavailable');
  return out;
}

export function nodeRoles(n: Node): string {
  return n.roles?.length ? n.roles.join(', ') : '<none>';
}

/** Ratio 0..1 for usage bars; null when the denominator is unknown. */
export function ratio(used: number | null | undefined, total: number | null | undefined): number | null {
  if (used === null || used === undefined || !total || total <= 0) return null;
  return Math.max(0, used / total);
}

/** Tone of a utilisation ratio: ≥ 90 % critical, ≥ 75 % warning. */
export function usageTone(r: number | null): 'ok' | 'warn' | 'crit' | 'neutral' {
  if (r === null) return 'neutral';
  if (r >= 0.9) return 'crit';
  if (r >= 0.75) return 'warn';
  return 'ok';
}
