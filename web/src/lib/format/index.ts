// Locale-aware formatting built on Intl. Every function takes the locale
// explicitly so it is pure and testable; components get the current locale
// from useFormat() (which binds these to i18next's language).

const nfCache = new Map<string, Intl.NumberFormat>();
function nf(locale: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(opts);
  let f = nfCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, opts);
    nfCache.set(key, f);
  }
  return f;
}

const dfCache = new Map<string, Intl.DateTimeFormat>();
function df(locale: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = locale + JSON.stringify(opts);
  let f = dfCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts);
    dfCache.set(key, f);
  }
  return f;
}

/** Placeholder shown for a missing value. */
export const NONE = '—';

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function formatNumber(locale: string, v: number | null | undefined, maxFractionDigits = 0): string {
  if (!isNum(v)) return NONE;
  return nf(locale, { maximumFractionDigits: maxFractionDigits }).format(v);
}

/** Compact form for stat cards: 12.3K, 4.5M (or 1.2万 in zh/ja). */
export function formatCompact(locale: string, v: number | null | undefined): string {
  if (!isNum(v)) return NONE;
  return nf(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(v);
}

/** ratio 0..1 → "42.5%". */
export function formatPercent(locale: string, ratio: number | null | undefined, maxFractionDigits = 1): string {
  if (!isNum(ratio)) return NONE;
  return nf(locale, { style: 'percent', maximumFractionDigits: maxFractionDigits }).format(ratio);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;
const BYTE_SHORT = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Bytes in binary units (KiB = 1024 B, the unit Kubernetes and the kernel
 * report), e.g. 1536 → "1.5 KiB". Numbers are localized; unit symbols are
 * the IEC ones, identical in every language.
 */
export function formatBytes(locale: string, bytes: number | null | undefined, maxFractionDigits = 1): string {
  if (!isNum(bytes)) return NONE;
  const neg = bytes < 0;
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : maxFractionDigits;
  return `${neg ? '-' : ''}${nf(locale, { maximumFractionDigits: digits }).format(v)} ${BYTE_SHORT[i]}`;
}

/**
 * US dollars for cost estimates: cents from a dollar up, more digits below
 * so that fractions of a cent still show ("$0.0042"); amounts too small
 * for four decimals say so ("<$0.0001") rather than round to zero.
 */
export function formatUSD(locale: string, v: number | null | undefined): string {
  if (!isNum(v)) return NONE;
  const abs = Math.abs(v);
  if (abs > 0 && abs < 0.0001) return `<${nf(locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 4 }).format(0.0001)}`;
  const digits = abs >= 1 || abs === 0 ? 2 : abs >= 0.01 ? 3 : 4;
  return nf(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: digits }).format(v);
}

/**
 * Axis ticks for a byte scale from 0 past `max`, in steps of 1, 2 or 5
 * times a power of 1024 (and of 10 within it), so that formatBytes labels
 * them as round numbers: 0, 1 MiB, 2 MiB… rather than 0, 977 KiB, 1.9 MiB.
 */
export function byteTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1024];
  // The unit max is shown in (max / unit in [1, 1024)); below one unit,
  // only binary fractions (256 KiB, 512 KiB) keep labels round.
  let unit = 1;
  while (unit * 1024 <= max && unit < 1024 ** 5) unit *= 1024;
  const raw = max / unit / target;
  let step: number;
  if (raw <= 0.25 && unit > 1) step = 0.25;
  else if (raw <= 0.5 && unit > 1) step = 0.5;
  else {
    const pow = 10 ** Math.max(0, Math.floor(Math.log10(raw)));
    step = [1, 2, 5, 10].map((m) => m * pow).find((x) => x >= raw) ?? 10 * pow;
  }
  step *= unit;
  const out: number[] = [];
  for (let v = 0; out.length === 0 || out[out.length - 1] < max; v += step) out.push(v);
  return out;
}

/** Byte rate, e.g. "1.2 MiB/s". */
export function formatBytesRate(locale: string, bytesPerSecond: number | null | undefined): string {
  if (!isNum(bytesPerSecond)) return NONE;
  return `${formatBytes(locale, bytesPerSecond)}/s`;
}

/** CPU in millicores as Kubernetes shows it: 250 → "250m", 1500 → "1.5". */
export function formatCpuMilli(locale: string, milli: number | null | undefined): string {
  if (!isNum(milli)) return NONE;
  if (Math.abs(milli) < 1000) return `${formatNumber(locale, milli)}m`;
  return formatNumber(locale, milli / 1000, 2);
}

const DURATION_PARTS: [unit: Intl.RelativeTimeFormatUnit, ms: number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/**
 * A duration in the two largest non-zero units, localized via
 * Intl.NumberFormat unit style: 93_784_000 ms → "1d 2h" (en, narrow),
 * "1天 2小时" (zh). Sub-second durations show milliseconds.
 */
export function formatDuration(locale: string, ms: number | null | undefined): string {
  if (!isNum(ms)) return NONE;
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) {
    return (neg ? '-' : '') + nf(locale, { style: 'unit', unit: 'millisecond', unitDisplay: 'narrow', maximumFractionDigits: 0 }).format(rest);
  }
  const parts: string[] = [];
  // The largest non-zero unit, then the next smaller unit if it is non-zero:
  // "1d 2h", "1d" (not "1d 0h"), "5m 3s".
  const first = DURATION_PARTS.findIndex(([, size]) => rest >= size);
  for (const [unit, size] of DURATION_PARTS.slice(first, first + 2)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(nf(locale, { style: 'unit', unit, unitDisplay: 'narrow' }).format(n));
  }
  return (neg ? '-' : '') + parts.join(' ');
}

/** Age of something created at `from`, relative to `now`: "3d 4h". */
export function formatAge(locale: string, from: string | Date | null | undefined, now: number = Date.now()): string {
  const t = toMillis(from);
  if (t === null) return NONE;
  return formatDuration(locale, Math.max(0, now - t));
}

export function toMillis(v: string | number | Date | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const t = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** Date and time with seconds, in the user's time zone unless given. */
export function formatDateTime(locale: string, v: string | number | Date | null | undefined, timeZone?: string): string {
  const t = toMillis(v);
  if (t === null) return NONE;
  return df(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone }).format(t);
}

/** Short date + time without seconds for axes and dense tables. */
export function formatShortDateTime(locale: string, v: string | number | Date | null | undefined, timeZone?: string): string {
  const t = toMillis(v);
  if (t === null) return NONE;
  return df(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone }).format(t);
}

export function formatTime(locale: string, v: string | number | Date | null | undefined, withSeconds = true, timeZone?: string): string {
  const t = toMillis(v);
  if (t === null) return NONE;
  return df(locale, { hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined, timeZone }).format(t);
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "5 minutes ago", "in 2 hours", "5分前", "5分钟前". */
export function formatRelative(locale: string, v: string | number | Date | null | undefined, now: number = Date.now()): string {
  const t = toMillis(v);
  if (t === null) return NONE;
  const diff = t - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'long' });
  if (abs < 10_000) return rtf.format(0, 'second');
  for (const [unit, size] of RELATIVE_STEPS) {
    if (abs >= size) return rtf.format(Math.round(diff / size), unit);
  }
  return rtf.format(0, 'second');
}

/** Kubernetes quantity → number (bytes for memory, cores for CPU). "250m" → 0.25, "1Gi" → 1073741824. */
export function parseQuantity(q: string | null | undefined): number | null {
  if (q === null || q === undefined) return null;
  const m = /^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$/.exec(q);
  if (!m) return null;
  const n = Number(m[1]);
  const suffix = m[2];
  const bin: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const dec: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  if (suffix in bin) return n * bin[suffix];
  if (suffix in dec) return n * dec[suffix];
  return null;
}
