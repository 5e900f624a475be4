import { parseQuantity } from '../format';
import type { KObject } from './types';

/** One resource of a ResourceQuota: used against hard. */
export interface QuotaLine {
  quota: string;
  resource: string;
  used: string;
  hard: string;
  /** used/hard, null when hard is not a quantity. */
  ratio: number | null;
}

export function quotaLines(q: KObject): QuotaLine[] {
  const hard = q.hard ?? {};
  const used = q.used ?? {};
  return Object.keys(hard)
    .sort()
    .map((resource) => {
      const h = parseQuantity(hard[resource]);
      const u = parseQuantity(used[resource] ?? '0');
      return { quota: q.name, resource, used: used[resource] ?? '0', hard: hard[resource], ratio: h ? (u ?? 0) / h : null };
    });
}
