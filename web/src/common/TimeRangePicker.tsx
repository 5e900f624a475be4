import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CalendarClock } from 'lucide-react';
import { fromLocalInput, parseDuration, toLocalInput, type TimeRange } from '../lib/time';
import { useFormat } from '../lib/i18n/useFormat';

/** Relative presets ("last 6 h") plus a custom absolute window. */
export function TimeRangePicker({ value, onChange, presets = ['1h', '6h', '24h', '7d', '30d'] }: { value: TimeRange; onChange: (r: TimeRange) => void; presets?: string[] }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const now = Date.now();
  const [from, setFrom] = useState(toLocalInput(value.kind === 'absolute' ? value.from : now - (value.ms ?? 86_400_000)));
  const [to, setTo] = useState(toLocalInput(value.kind === 'absolute' ? value.to : now));
  const f = fromLocalInput(from);
  const tt = fromLocalInput(to);
  const valid = f !== null && tt !== null && f < tt;

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

  return (
    <div className="relative flex items-center" ref={box}>
      <div role="group" aria-label={t('time.range')} className="flex">
        {presets.map((p, i) => {
          const sel = value.kind === 'relative' && value.preset === p;
          return (
            <button
              key={p}
              type="button"
              aria-pressed={sel}
              onClick={() => onChange({ kind: 'relative', preset: p, ms: parseDuration(p)! })}
              className={`btn h-8 rounded-none px-2.5 text-xs ${i === 0 ? 'rounded-l-md' : '-ml-px'} ${sel ? 'z-[1] border-accent bg-accent/10 text-accent' : ''}`}
              title={t('time.last', { range: p })}
            >
              {p}
            </button>
          );
        })}
        <button
          type="button"
          aria-expanded={open}
          aria-haspopup="dialog"
          onClick={() => setOpen((o) => !o)}
          className={`btn -ml-px h-8 rounded-l-none px-2.5 text-xs ${value.kind === 'absolute' ? 'z-[1] border-accent bg-accent/10 text-accent' : ''}`}
        >
          <CalendarClock size={14} aria-hidden />
          {value.kind === 'absolute' ? `${fmt.shortDateTime(value.from)} – ${fmt.shortDateTime(value.to)}` : t('time.custom')}
        </button>
      </div>
      {open && (
        <div role="dialog" aria-label={t('time.custom')} className="card absolute top-10 right-0 z-30 w-72 space-y-3 p-4 shadow-xl">
          <label className="block">
            <span className="label">{t('time.from')}</span>
            <input type="datetime-local" className="input mt-1 w-full" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="block">
            <span className="label">{t('time.to')}</span>
            <input type="datetime-local" className="input mt-1 w-full" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          {!valid && <p className="text-xs text-crit">{t('time.invalid')}</p>}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn" onClick={() => setOpen(false)}>
              {t('action.cancel')}
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={!valid}
              onClick={() => {
                onChange({ kind: 'absolute', from: f!, to: tt! });
                setOpen(false);
              }}
            >
              {t('action.apply')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
