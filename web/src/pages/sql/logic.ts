import type { Schemas } from '../../lib/api';

export type SQLSchema = Schemas['SQLSchema'];
export type SQLResult = Schemas['SQLResult'];

/** CodeMirror's SQL completion wants { table: [columns] }. */
export function completionSchema(s: SQLSchema | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of s?.tables ?? []) out[t.name] = t.columns.map((c) => c.name);
  return out;
}

/** A result cell as text: nulls visible, objects as JSON, long values whole (the grid truncates visually). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Numeric DuckDB types align right. */
export function isNumericType(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL)/i.test(type);
}

/** File name for a download: atlhyper-query-20260102-150405.csv */
export function downloadName(ext: 'csv' | 'parquet', now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `atlhyper-query-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}.${ext}`;
}

export const DEFAULT_SQL = `-- Pods that restarted most in the last 24 h
SELECT cluster, namespace, name, max(restarts) AS restarts
FROM pods
GROUP BY ALL
ORDER BY restarts DESC
LIMIT 50`;
