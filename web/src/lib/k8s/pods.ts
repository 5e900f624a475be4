import type { Container, Pod, Status } from './types';

// How a pod's state reads to an operator, following kubectl's STATUS
// column: a waiting/terminated reason beats the phase, terminating beats
// everything.

const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
  'ContainerCannotRun',
  'StartError',
  'ErrImageNeverPull',
]);

export function podStatus(p: Pod): Status {
  if (p.terminating) return { label: 'Terminating', tone: 'neutral' };
  if (p.reason === 'Evicted') return { label: 'Evicted', tone: 'crit' };
  if (p.waiting_reason) {
    return { label: p.waiting_reason, tone: BAD_WAITING.has(p.waiting_reason) ? 'crit' : 'warn' };
  }
  if (p.terminated_reason && p.phase !== 'Succeeded') {
    const bad = p.terminated_reason !== 'Completed';
    return { label: p.terminated_reason, tone: bad ? 'crit' : 'neutral' };
  }
  switch (p.phase) {
    case 'Running':
      return p.ready ? { label: 'Running', tone: 'ok' } : { label: 'Running', tone: 'warn' };
    case 'Succeeded':
      return { label: 'Completed', tone: 'neutral' };
    case 'Pending':
      return { label: p.scheduled === false ? 'Unschedulable' : 'Pending', tone: 'warn' };
    case 'Failed':
      return { label: p.reason || 'Failed', tone: 'crit' };
    default:
      return { label: p.phase || 'Unknown', tone: 'neutral' };
  }
}

export function containerStatus(c: Container): Status {
  if (c.state === 'running') return { label: c.ready ? 'Running' : 'Running (not ready)', tone: c.ready ? 'ok' : 'warn' };
  if (c.state === 'waiting') return { label: c.reason || 'Waiting', tone: c.reason && BAD_WAITING.has(c.reason) ? 'crit' : 'warn' };
  if (c.state === 'terminated') {
    const ok = c.reason === 'Completed' || c.exit_code === 0;
    return { label: c.reason || `Exit ${c.exit_code ?? '?'}`, tone: ok ? 'neutral' : 'crit' };
  }
  return { label: c.state || 'Unknown', tone: 'neutral' };
}

export const POD_PHASES = ['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'] as const;

export interface PodFilter {
  /** Namespaces to keep; empty = all. */
  namespaces: string[];
  node: string;
  /** Phases to keep; empty = all. */
  phases: string[];
  /** Free text: every whitespace-separated term must match (name, namespace, node, IP, status, images, owner). */
  text: string;
  /** Only pods with a problem (not ready, waiting reason, restarts). */
  problemsOnly?: boolean;
}

export const EMPTY_FILTER: PodFilter = { namespaces: [], node: '', phases: [], text: '' };

/**
 * Pre-computed lowercase search text per pod. Built once per data load so
 * each keystroke only runs String.includes over 10,000 strings.
 */
export function podSearchText(p: Pod): string {
  const images = p.containers?.map((c) => c.image).join(' ') ?? '';
  return [p.namespace, p.name, p.node, p.pod_ip, podStatus(p).label, p.phase, p.owner_kind, p.owner_name, images, p.qos_class]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

export function isProblem(p: Pod): boolean {
  if (p.phase === 'Succeeded') return false;
  return !p.ready || !!p.waiting_reason || p.phase === 'Failed' || p.phase === 'Pending' || (p.restarts ?? 0) > 0;
}

export interface IndexedPod {
  pod: Pod;
  text: string;
}

export function indexPods(pods: Pod[]): IndexedPod[] {
  return pods.map((pod) => ({ pod, text: podSearchText(pod) }));
}

export function filterPods(rows: IndexedPod[], f: PodFilter): Pod[] {
  const ns = f.namespaces.length ? new Set(f.namespaces) : null;
  const phases = f.phases.length ? new Set(f.phases) : null;
  const terms = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  const out: Pod[] = [];
  for (const r of rows) {
    const p = r.pod;
    if (ns && !ns.has(p.namespace ?? '')) continue;
    if (f.node && p.node !== f.node) continue;
    if (phases && !phases.has(p.phase ?? 'Unknown')) continue;
    if (f.problemsOnly && !isProblem(p)) continue;
    let ok = true;
    for (const t of terms) {
      if (!r.text.includes(t)) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(p);
  }
  return out;
}

/** Distinct values for filter menus, sorted, with counts. */
export function podFacets(pods: Pod[]): { namespaces: [string, number][]; nodes: [string, number][]; phases: [string, number][] } {
  const ns = new Map<string, number>();
  const nodes = new Map<string, number>();
  const phases = new Map<string, number>();
  for (const p of pods) {
    ns.set(p.namespace ?? '', (ns.get(p.namespace ?? '') ?? 0) + 1);
    if (p.node) nodes.set(p.node, (nodes.get(p.node) ?? 0) + 1);
    const ph = p.phase || 'Unknown';
    phases.set(ph, (phases.get(ph) ?? 0) + 1);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  return { namespaces: sorted(ns), nodes: sorted(nodes), phases: sorted(phases) };
}

/** The container that explains a pod's trouble first (waiting, then crashed, then most restarts). */
export function troubledContainer(p: Pod): Container | undefined {
  const cs = p.containers ?? [];
  return (
    cs.find((c) => c.state === 'waiting' && c.reason) ??
    cs.find((c) => c.state === 'terminated' && c.exit_code !== 0) ??
    [...cs].sort((a, b) => (b.restarts ?? 0) - (a.restarts ?? 0)).find((c) => (c.restarts ?? 0) > 0)
  );
}
