import type { ReactNode } from 'react';

/** One field: label, value and, optionally, a stable id (data-field) naming what it shows. */
export type KeyValueItem = [label: string, value: ReactNode | undefined | null, id?: string];

/** A definition list for object fields; rows with undefined values are skipped. */
export function KeyValue({ items, cols = 2 }: { items: KeyValueItem[]; cols?: 1 | 2 }) {
  const shown = items.filter(([, v]) => v !== undefined && v !== null && v !== '');
  return (
    <dl className={`grid gap-x-6 gap-y-2.5 text-[13px] ${cols === 2 ? 'sm:grid-cols-2' : ''}`}>
      {shown.map(([k, v, id]) => (
        <div key={k} className="min-w-0" data-field={id}>
          <dt className="text-xs text-muted">{k}</dt>
          <dd className="mt-0.5 break-words">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section({ title, children, actions, testId }: { title: ReactNode; children: ReactNode; actions?: ReactNode; testId?: string }) {
  return (
    <section className="border-b border-line px-5 py-4 last:border-b-0" data-testid={testId}>
      <div className="mb-3 flex items-center justify-between gap-2">
        <h3 className="text-xs font-semibold tracking-wide text-muted uppercase">{title}</h3>
        {actions}
      </div>
      {children}
    </section>
  );
}
