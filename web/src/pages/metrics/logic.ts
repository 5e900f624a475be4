import type { Schemas } from '../../lib/api';

export type History = Schemas['NodeMetricsHistory'];
export type Series = History['series'][number];
export type Row = { t: number } & Record<string, number | null>;

/**
 * Merges series into chart rows keyed by timestamp: one row per bucket,
 * one column per series (`key(series)`), value = avg unless `pick` says
 * otherwise. Missing buckets stay null so lines show gaps, not lies.
 */
export function toRows(series: Series[], key: (s: Series) => string | null, value: (avg: number, s: Series) => number = (v) => v): { rows: Row[]; keys: string[] } {
  const byT = new Map<number, Row>();
  const keys: string[] = [];
  for (const s of series) {
    const k = key(s);
    if (k === null) continue;
    if (!keys.includes(k)) keys.push(k);
    for (const p of s.points) {
      const [t, avg] = p;
      let row = byT.get(t);
      if (!row) {
        row = { t };
        byT.set(t, row);
      }
      row[k] = Number.isFinite(avg) ? value(avg, s) : null;
    }
  }
  const rows = [...byT.values()].sort((a, b) => a.t - b.t);
  for (const r of rows) for (const k of keys) if (!(k in r)) r[k] = null;
  return { rows, keys: keys.sort(naturalCompare) };
}

/** "cpu2" < "cpu10". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

/** Per-core busy % from per-device idle %; the "" device is the whole node and is dropped. */
export function perCoreBusy(series: Series[]): { rows: Row[]; keys: string[] } {
  return toRows(
    series.filter((s) => s.metric === 'cpu.idle_pct' && s.device !== ''),
    (s) => s.device,
    (v) => Math.max(0, 100 - v),
  );
}

/** Latest value of each series (last non-null point). */
export function latest(series: Series[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of series) {
    for (let i = s.points.length - 1; i >= 0; i--) {
      const v = s.points[i][1];
      if (Number.isFinite(v)) {
        out.set(`${s.metric}|${s.device}`, v);
        break;
      }
    }
  }
  return out;
}

export interface FsUsage {
  device: string;
  used: number;
  size: number;
  ratio: number;
}

/** Filesystems' current use from fs.used_bytes and fs.size_bytes series, fullest first. */
export function fsUsage(series: Series[]): FsUsage[] {
  const last = latest(series);
  const devices = [...new Set(series.filter((s) => s.metric === 'fs.size_bytes').map((s) => s.device))];
  return devices
    .map((d) => {
      const used = last.get(`fs.used_bytes|${d}`) ?? 0;
      const size = last.get(`fs.size_bytes|${d}`) ?? 0;
      return { device: d, used, size, ratio: size > 0 ? used / size : 0 };
    })
    .filter((f) => f.size > 0)
    .sort((a, b) => b.ratio - a.ratio);
}

/** The API's `range` enum when a preset matches it, else an explicit window. */
export const API_RANGES = ['1h', '6h', '12h', '24h', '2d', '7d', '14d', '30d'] as const;
