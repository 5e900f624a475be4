import type { FieldChange } from '../../lib/k8s/types';

export function showValue(v: unknown): string {
  if (v === undefined) return '∅';
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v);
}

/** "field: old → new" lines, old struck through in red, new in green. */
export function FieldChanges({ fields, max = 50 }: { fields?: FieldChange[] | null; max?: number }) {
  if (!fields?.length) return null;
  return (
    <ul className="space-y-0.5 font-mono text-xs" data-testid="field-changes">
      {fields.slice(0, max).map((f, i) => (
        <li key={f.field + i} className="flex min-w-0 flex-wrap items-baseline gap-x-1.5">
          <span className="text-muted">{f.field}:</span>
          {'from' in f && <span className="max-w-[40ch] truncate text-crit line-through decoration-crit/50" title={showValue(f.from)}>{showValue(f.from)}</span>}
          {'from' in f && 'to' in f && <span className="text-faint">→</span>}
          {'to' in f && <span className="max-w-[40ch] truncate text-ok" title={showValue(f.to)}>{showValue(f.to)}</span>}
        </li>
      ))}
      {fields.length > max && <li className="text-faint">… +{fields.length - max}</li>}
    </ul>
  );
}
