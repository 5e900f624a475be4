import type { ReactNode } from 'react';

/**
 * Mutually exclusive buttons in one strip: tabs switching what a page lists
 * (role "tab") or a choice of layout (role "radio").
 */
export function Segmented<T extends string>({
  options,
  value,
  onChange,
  label,
  role = 'radio',
  testId,
  className = '',
}: {
  options: { id: T; label: ReactNode; testId?: string }[];
  value: T;
  onChange: (v: T) => void;
  label: string;
  role?: 'tab' | 'radio';
  testId?: string;
  className?: string;
}) {
  return (
    <div role={role === 'tab' ? 'tablist' : 'radiogroup'} aria-label={label} className={`flex rounded-md border border-line bg-surface-2 p-0.5 ${className}`} data-testid={testId}>
      {options.map((o) => (
        <button
          key={o.id}
          type="button"
          role={role}
          aria-selected={role === 'tab' ? o.id === value : undefined}
          aria-checked={role === 'radio' ? o.id === value : undefined}
          className={`rounded px-2.5 py-1 text-xs font-medium ${o.id === value ? 'bg-surface text-fg shadow-sm' : 'text-muted hover:text-fg'}`}
          onClick={() => onChange(o.id)}
          data-testid={o.testId}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
