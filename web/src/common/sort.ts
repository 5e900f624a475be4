// Sorting for tables: pure, stable, numeric-aware ("pod-2" before "pod-10").

export type SortValue = string | number | boolean | null | undefined;
export interface SortState {
  id: string;
  desc: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function compareValues(a: SortValue, b: SortValue): number {
  // Missing values sort last in both directions' natural reading.
  const an = a === null || a === undefined || a === '';
  const bn = b === null || b === undefined || b === '';
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? -1 : 1;
  return collator.compare(String(a), String(b));
}

/** Sorts a copy by one key; ties keep their input order. */
export function sortBy<T>(rows: readonly T[], key: (r: T) => SortValue, desc = false): T[] {
  const keyed = rows.map((r, i) => ({ r, i, k: key(r) }));
  keyed.sort((x, y) => {
    const c = compareValues(x.k, y.k);
    // Missing values stay last even when descending.
    const missing = x.k === null || x.k === undefined || x.k === '' || y.k === null || y.k === undefined || y.k === '';
    return (c !== 0 ? (desc && !missing ? -c : c) : 0) || x.i - y.i;
  });
  return keyed.map((x) => x.r);
}

/** "name" / "-restarts" ↔ SortState, for URLs. */
export function parseSort(s: string | null | undefined, fallback: SortState): SortState {
  if (!s) return fallback;
  return s.startsWith('-') ? { id: s.slice(1), desc: true } : { id: s, desc: false };
}
export function sortString(s: SortState): string {
  return (s.desc ? '-' : '') + s.id;
}
