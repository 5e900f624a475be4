import { quotaLines, type KObject, type QuotaLine } from '../../lib/k8s';
import type { Schemas } from '../../lib/api';

export type NamespaceSummary = Schemas['NamespaceSummary'];

export interface NamespaceRow {
  name: string;
  uid: string;
  phase: string;
  created_at?: string;
  labels?: Record<string, string>;
  summary?: NamespaceSummary;
  quotas: QuotaLine[];
  /** Highest used/hard ratio over every quota line (the one closest to its limit). */
  quotaMax: number | null;
  limitRanges: number;
}

/** Namespaces joined with their pod/workload/anomaly counts, quotas and limit ranges. */
export function namespaceRows(namespaces: KObject[], summaries: NamespaceSummary[], quotas: KObject[], limitRanges: KObject[]): NamespaceRow[] {
  const sum = new Map(summaries.map((s) => [s.name, s]));
  const qs = new Map<string, QuotaLine[]>();
  for (const q of quotas) {
    const ns = q.namespace ?? '';
    qs.set(ns, [...(qs.get(ns) ?? []), ...quotaLines(q)]);
  }
  const lr = new Map<string, number>();
  for (const l of limitRanges) lr.set(l.namespace ?? '', (lr.get(l.namespace ?? '') ?? 0) + 1);
  const names = new Set([...namespaces.map((n) => n.name), ...summaries.map((s) => s.name)]);
  const byName = new Map(namespaces.map((n) => [n.name, n]));
  return [...names].map((name) => {
    const n = byName.get(name);
    const lines = qs.get(name) ?? [];
    const ratios = lines.map((l) => l.ratio).filter((r): r is number => r !== null);
    return {
      name,
      uid: n?.uid ?? `ns:${name}`,
      phase: n?.phase || sum.get(name)?.phase || 'Active',
      created_at: n?.created_at,
      labels: n?.labels,
      summary: sum.get(name),
      quotas: lines,
      quotaMax: ratios.length ? Math.max(...ratios) : null,
      limitRanges: lr.get(name) ?? 0,
    };
  });
}
