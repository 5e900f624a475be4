import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Check, ChevronDown, Search, X } from 'lucide-react';

/** A search box; `/` focuses it from anywhere on the page. */
export function SearchInput({ value, onChange, placeholder, label, testId }: { value: string; onChange: (v: string) => void; placeholder: string; label: string; testId?: string }) {
  const { t } = useTranslation('common');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement)?.tagName;
      if (e.key === '/' && tag !== 'INPUT' && tag !== 'TEXTAREA' && !(e.target as HTMLElement)?.isContentEditable) {
        e.preventDefault();
        ref.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="relative min-w-48 flex-1 sm:max-w-80">
      <Search size={14} className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-faint" aria-hidden />
      <input
        ref={ref}
        type="search"
        aria-label={label}
        className="input w-full pr-7 pl-8"
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
        spellCheck={false}
        autoComplete="off"
      />
      {value ? (
        <button type="button" className="absolute top-1/2 right-1.5 -translate-y-1/2 rounded p-0.5 text-faint hover:text-fg" onClick={() => onChange('')} aria-label={t('action.clear')}>
          <X size={14} aria-hidden />
        </button>
      ) : (
        <kbd className="pointer-events-none absolute top-1/2 right-2 -translate-y-1/2 rounded border border-line px-1 text-[10px] text-faint">/</kbd>
      )}
    </div>
  );
}

/** A labelled native select (fast, accessible, keyboard-friendly). */
export function Select({ label, value, onChange, options, allLabel, testId, className = '' }: { label: string; value: string; onChange: (v: string) => void; options: [value: string, text: string][]; allLabel?: string; testId?: string; className?: string }) {
  return (
    <label className={`flex items-center gap-1.5 ${className}`}>
      <span className="sr-only">{label}</span>
      <select className="input max-w-56" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} title={label}>
        {allLabel !== undefined && <option value="">{allLabel}</option>}
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A button opening a checkable, searchable list: for namespaces and phases. */
export function MultiSelect({ label, values, onChange, options, testId }: { label: string; values: string[]; onChange: (v: string[]) => void; options: [value: string, count?: number][]; testId?: string }) {
  const { t } = useTranslation('common');
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !box.current?.contains(e.target as Node) && setOpen(false);
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  const set = new Set(values);
  const shown = options.filter(([v]) => v.toLowerCase().includes(q.toLowerCase()));
  const summary: ReactNode = values.length === 0 ? t('filter.all') : values.length === 1 ? values[0] : t('filter.selected', { count: values.length });
  return (
    <div className="relative" ref={box}>
      <button type="button" className="btn max-w-64" aria-haspopup="listbox" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid={testId}>
        <span className="text-muted">{label}:</span>
        <span className="truncate">{summary}</span>
        <ChevronDown size={14} aria-hidden />
      </button>
      {open && (
        <div className="card absolute top-9 left-0 z-30 w-64 shadow-xl">
          {options.length > 8 && (
            <div className="border-b border-line p-2">
              <input className="input w-full" placeholder={t('filter.search')} value={q} onChange={(e) => setQ(e.target.value)} aria-label={t('filter.search')} autoFocus />
            </div>
          )}
          <ul role="listbox" aria-multiselectable="true" aria-label={label} className="max-h-72 overflow-y-auto py-1">
            {shown.map(([v, count]) => {
              const on = set.has(v);
              return (
                <li key={v} role="option" aria-selected={on}>
                  <button
                    type="button"
                    className="flex w-full items-center gap-2 px-3 py-1.5 text-left text-[13px] hover:bg-surface-2"
                    onClick={() => onChange(on ? values.filter((x) => x !== v) : [...values, v])}
                  >
                    <span className={`flex size-4 items-center justify-center rounded border ${on ? 'border-accent bg-accent text-accent-fg' : 'border-line-strong'}`}>
                      {on && <Check size={12} aria-hidden />}
                    </span>
                    <span className="flex-1 truncate">{v || t('filter.none')}</span>
                    {count !== undefined && <span className="text-xs text-faint tabular">{count}</span>}
                  </button>
                </li>
              );
            })}
            {shown.length === 0 && <li className="px-3 py-2 text-xs text-muted">{t('state.noMatches')}</li>}
          </ul>
          {values.length > 0 && (
            <div className="border-t border-line p-2">
              <button type="button" className="btn btn-ghost h-7 w-full" onClick={() => onChange([])}>
                {t('action.clear')}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
