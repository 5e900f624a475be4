// Pure transformations of the self-monitoring report (GET /system/usage)
// into what the System page shows.
import type { Schemas } from '../../lib/api';
import type { Tone } from '../../lib/k8s/types';

export type Usage = Schemas['SystemUsage'];
export type Inventory = Schemas['UsageInventory'];
export type UsageAgent = Schemas['UsageAgent'];
export type UsageJob = Schemas['UsageJob'];
export type CostItem = Schemas['CostItem'];

/** Series key of the clusters folded into "other" in the storage chart. */
export const OTHER_KEY = 'other';
const clusterKey = (c: string) => `c:${c}`;

export interface StorageChart {
  data: Array<{ label: string } & Record<string, number | string>>;
  /** Series in stacking order: the largest clusters, then OTHER_KEY if any were folded. */
  series: { key: string; cluster: string | null }[];
  /** The largest table's bytes (the value axis' extent). */
  max: number;
}

/**
 * Bytes per table stacked by cluster, largest table first. The largest
 * `maxClusters` clusters (by bytes in the whole lake) get their own
 * series; the rest are summed into one, so the legend stays readable with
 * a hundred clusters. Tables without bytes are left out.
 */
export function storageByTable(inv: Inventory, maxClusters = 5): StorageChart {
  const top = inv.clusters.slice(0, maxClusters).map((c) => c.cluster);
  const topSet = new Set(top);
  let folded = false;
  const data = inv.tables
    .filter((t) => t.bytes > 0)
    .map((t) => {
      const row: { label: string } & Record<string, number | string> = { label: t.table };
      for (const c of top) row[clusterKey(c)] = t.bytes_by_cluster[c] ?? 0;
      let other = 0;
      for (const [c, n] of Object.entries(t.bytes_by_cluster)) if (!topSet.has(c)) other += n;
      if (other > 0) {
        row[OTHER_KEY] = other;
        folded = true;
      }
      return row;
    });
  const series = top.map((c) => ({ key: clusterKey(c), cluster: c as string | null }));
  if (folded) series.push({ key: OTHER_KEY, cluster: null });
  return { data, series, max: Math.max(0, ...inv.tables.map((t) => t.bytes)) };
}

export interface TableRow {
  table: string;
  objects: number;
  bytes: number;
  compacted: number;
  /** Mean object size; null for an empty table. */
  avgBytes: number | null;
  /** Share of the lake's bytes; null when the lake is empty. */
  share: number | null;
}

export function tableRows(inv: Inventory): TableRow[] {
  return inv.tables.map((t) => ({
    table: t.table,
    objects: t.objects,
    bytes: t.bytes,
    compacted: t.compacted_objects,
    avgBytes: t.objects > 0 ? t.bytes / t.objects : null,
    share: inv.bytes > 0 ? t.bytes / inv.bytes : null,
  }));
}

export interface ClusterRow {
  cluster: string;
  objects: number | null;
  bytes: number;
  share: number | null;
  /** Its largest tables, largest first (at most 3). */
  largest: [table: string, bytes: number][];
}

export function clusterRows(inv: Inventory): ClusterRow[] {
  return inv.clusters.map((c) => ({
    cluster: c.cluster,
    objects: c.objects ?? null,
    bytes: c.bytes,
    share: inv.bytes > 0 ? c.bytes / inv.bytes : null,
    largest: Object.entries(c.bytes_by_table)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3),
  }));
}

export interface Notice {
  /** i18n key in the "system" namespace. */
  key: string;
  params: Record<string, string | number>;
  tone: Tone;
}

/**
 * What the page says up front about missing inputs. Gaps that belong to
 * one section (agents without heartbeat, rates still being measured,
 * agents' unreported requests) are shown in that section instead.
 */
export function notices(u: Usage): Notice[] {
  const out: Notice[] = [];
  for (const m of u.missing) {
    switch (m.code) {
      case 'no_inventory':
        out.push({ key: 'notice.no_inventory', params: {}, tone: 'info' });
        break;
      case 'inventory_stale':
        out.push({ key: 'notice.inventory_stale', params: { seconds: u.inventory?.age_seconds ?? 0 }, tone: 'warn' });
        break;
      case 'job_never_ran':
        out.push({ key: 'notice.job_never_ran', params: { job: m.subject ?? '' }, tone: 'info' });
        break;
      case 'unreadable':
        out.push({ key: 'notice.unreadable', params: { subject: m.subject ?? '' }, tone: 'warn' });
        break;
    }
  }
  return out;
}

export function hasGap(u: Usage, code: Schemas['UsageMissing']['code']): boolean {
  return u.missing.some((m) => m.code === code);
}

export function agentTone(a: UsageAgent): Tone {
  if (a.state === 'no_heartbeat') return 'neutral';
  if (a.state === 'offline') return 'crit';
  return a.spool.full ? 'warn' : 'ok';
}

/** Spool use against its limit; null when the agent has no limit (or no heartbeat). */
export function spoolRatio(a: UsageAgent): number | null {
  return a.spool.max_bytes > 0 ? a.spool.bytes / a.spool.max_bytes : null;
}

export function jobTone(j: UsageJob): Tone {
  return j.state === 'ok' ? 'ok' : j.state === 'failed' ? 'crit' : 'neutral';
}

export type RequestType = 'put' | 'get' | 'list' | 'delete' | 'head';

export interface RequestRow {
  type: RequestType;
  total: number;
  perHour: number | null;
  /** How S3 prices the request. */
  price: 'put_list' | 'get' | 'free';
}

const PRICE: Record<RequestType, RequestRow['price']> = { put: 'put_list', list: 'put_list', get: 'get', head: 'get', delete: 'free' };

export function requestRows(api: Schemas['ProcessRequests']): RequestRow[] {
  return (['get', 'put', 'list', 'head', 'delete'] as const).map((type) => ({
    type,
    total: api.total[type],
    perHour: api.per_hour ? api.per_hour[type] : null,
    price: PRICE[type],
  }));
}

export interface Totals {
  agentsOnline: number;
  agents: number;
  spoolBytes: number;
  spoolObjects: number;
  agentErrors: number;
}

export function agentTotals(agents: UsageAgent[]): Totals {
  const t: Totals = { agentsOnline: 0, agents: agents.length, spoolBytes: 0, spoolObjects: 0, agentErrors: 0 };
  for (const a of agents) {
    if (a.state === 'online') t.agentsOnline++;
    t.spoolBytes += a.spool.bytes;
    t.spoolObjects += a.spool.objects;
    t.agentErrors += a.errors;
  }
  return t;
}

/** Cost lines, most expensive first, and which inputs are not priced yet. */
export function costLines(u: Usage): { items: CostItem[]; unpriced: CostItem['item'][] } {
  const items = [...u.cost_estimate.items].sort((a, b) => b.usd_per_month - a.usd_per_month);
  const have = new Set(items.map((i) => i.item));
  const unpriced = (['storage', 'agents', 'api', 'jobs'] as const).filter((i) => !have.has(i));
  return { items, unpriced };
}

export type CostBasis =
  | { item: 'storage'; bytes: number; objects: number; takenAt: string | undefined }
  | { item: 'agents'; agents: number; putsPerHour: number; windowSeconds: number }
  | { item: 'api'; putListPerHour: number; getPerHour: number; windowSeconds: number }
  | { item: 'jobs'; jobs: { job: string; runs: number; windowSeconds: number }[] };

/** The measured inputs behind one cost line, for a localized explanation. */
export function costBasis(u: Usage, item: CostItem['item']): CostBasis {
  switch (item) {
    case 'storage':
      return { item, bytes: u.inventory?.bytes ?? 0, objects: u.inventory?.objects ?? 0, takenAt: u.inventory?.taken_at };
    case 'agents': {
      const online = u.agents.filter((a) => a.state === 'online' && a.estimated_puts_per_hour !== null);
      const window = u.cost_estimate.items.find((i) => i.item === 'agents')?.window_seconds ?? 0;
      return { item, agents: online.length, putsPerHour: online.reduce((s, a) => s + (a.estimated_puts_per_hour ?? 0), 0), windowSeconds: window };
    }
    case 'api': {
      const h = u.api.per_hour;
      return { item, putListPerHour: h ? h.put + h.list : 0, getPerHour: h ? h.get + h.head : 0, windowSeconds: u.api.window_seconds };
    }
    case 'jobs':
      return { item, jobs: u.jobs.flatMap((j) => (j.rate ? [{ job: j.job, runs: j.rate.runs, windowSeconds: j.rate.window_seconds }] : [])) };
  }
}

/** 304 and 412 answers among this instance's GETs and PUTs since it started. */
export function conditionalAnswers(api: Schemas['ProcessRequests']): { notModified: number; preconditionFailed: number } {
  return { notModified: api.total.not_modified, preconditionFailed: api.total.precondition_failed };
}
