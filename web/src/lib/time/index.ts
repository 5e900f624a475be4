// Time ranges as the URL carries them: either a relative preset ending now
// (`range=6h`) or an absolute window (`from=…&to=…`, ISO 8601). Pure
// functions; the URL hook lives in lib/url.

export const RANGE_PRESETS = ['15m', '1h', '6h', '24h', '7d', '30d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

export type TimeRange =
  | { kind: 'relative'; preset: string; ms: number }
  | { kind: 'absolute'; from: number; to: number };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "15m", "6h", "7d", "2w" → milliseconds; null when malformed. */
export function parseDuration(s: string | null | undefined): number | null {
  if (!s) return null;
  const m = /^(\d{1,6})([smhdw])$/.exec(s.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 ? ms : null;
}

/** Shortest exact string for a duration: 3_600_000 → "1h". */
export function durationString(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm', 's']) {
    if (ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

export function parseInstant(s: string | null | undefined): number | null {
  if (!s) return null;
  // Accept epoch milliseconds too, for hand-written links.
  if (/^\d{10,13}$/.test(s)) return Number(s.length === 10 ? Number(s) * 1000 : s);
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

export const DEFAULT_RANGE: TimeRange = { kind: 'relative', preset: '24h', ms: 86_400_000 };

/** Reads a range from URL params, falling back to `fallback` when absent or invalid. */
export function rangeFromParams(p: URLSearchParams, fallback: TimeRange = DEFAULT_RANGE, maxMs = 31 * 86_400_000): TimeRange {
  const from = parseInstant(p.get('from'));
  const to = parseInstant(p.get('to'));
  if (from !== null && to !== null && from < to && to - from <= maxMs) return { kind: 'absolute', from, to };
  const ms = parseDuration(p.get('range'));
  if (ms !== null && ms <= maxMs) return { kind: 'relative', preset: p.get('range')!, ms };
  return fallback;
}

/** Writes a range into URL params (removing the other form). */
export function rangeToParams(r: TimeRange, p: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(p);
  out.delete('range');
  out.delete('from');
  out.delete('to');
  if (r.kind === 'relative') out.set('range', r.preset);
  else {
    out.set('from', new Date(r.from).toISOString());
    out.set('to', new Date(r.to).toISOString());
  }
  return out;
}

/** The concrete window of a range at `now`. */
export function resolveRange(r: TimeRange, now: number = Date.now()): { from: number; to: number } {
  if (r.kind === 'absolute') return { from: r.from, to: r.to };
  return { from: now - r.ms, to: now };
}

export function rangeMs(r: TimeRange): number {
  return r.kind === 'relative' ? r.ms : r.to - r.from;
}

const NICE_STEPS_S = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/**
 * The smallest "nice" step (seconds) that keeps a series at or below
 * maxPoints, and never below the resolution the data has (minStepS).
 */
export function pickStep(windowMs: number, maxPoints = 240, minStepS = 10): number {
  const want = windowMs / 1000 / maxPoints;
  return NICE_STEPS_S.find((s) => s >= want && s >= minStepS) ?? NICE_STEPS_S[NICE_STEPS_S.length - 1];
}

/** Rounds down to a multiple of stepMs, so cache keys are stable across refreshes. */
export function alignDown(t: number, stepMs: number): number {
  return Math.floor(t / stepMs) * stepMs;
}

/** Value for <input type="datetime-local"> in the browser's zone. */
export function toLocalInput(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(s: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(s)) return null;
  const t = new Date(s).getTime();
  return Number.isFinite(t) ? t : null;
}

/**
 * How far behind now (the server's clock, ms) data of moment asOf is:
 * whole seconds, never negative; null when asOf is not a time.
 */
export function dataBehindMs(asOf: string | number, now: number): number | null {
  const t = typeof asOf === 'number' ? asOf : Date.parse(asOf);
  if (!Number.isFinite(t)) return null;
  return Math.max(0, Math.floor((now - t) / 1000) * 1000);
}
