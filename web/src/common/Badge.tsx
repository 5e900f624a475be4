import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Status, Tone } from '../lib/k8s/types';
import { severityTone } from '../lib/k8s/anomalies';
import { TONE_BG, TONE_CHIP } from './tone';

export function Dot({ tone, className = '' }: { tone: Tone; className?: string }) {
  return <span aria-hidden className={`inline-block size-2 shrink-0 rounded-full ${TONE_BG[tone]} ${className}`} />;
}

export function Chip({ tone = 'neutral', children, title, className = '' }: { tone?: Tone; children: ReactNode; title?: string; className?: string }) {
  return (
    <span
      title={title}
      className={`inline-flex max-w-full items-center gap-1 truncate rounded-full border px-2 py-px text-xs font-medium leading-5 ${TONE_CHIP[tone]} ${className}`}
    >
      {children}
    </span>
  );
}

/** A Kubernetes status (phase, reason): shown as Kubernetes spells it, coloured by meaning. */
export function StatusBadge({ status, title }: { status: Status; title?: string }) {
  return (
    <Chip tone={status.tone} title={title ?? status.label}>
      <Dot tone={status.tone} />
      <span className="truncate">{status.label}</span>
    </Chip>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  const { t } = useTranslation('common');
  return <Chip tone={severityTone(severity)}>{t(`severity.${severity}`, { defaultValue: severity })}</Chip>;
}

/** key=value chips for labels, selectors and taints. */
export function LabelChips({ labels, max = 6 }: { labels?: Record<string, string> | string[] | null; max?: number }) {
  const { t } = useTranslation('common');
  const items = !labels ? [] : Array.isArray(labels) ? labels : Object.entries(labels).map(([k, v]) => (v ? `${k}=${v}` : k));
  if (!items.length) return <span className="text-faint">—</span>;
  const shown = items.slice(0, max);
  return (
    <span className="flex flex-wrap gap-1">
      {shown.map((l) => (
        <span key={l} data-item className="max-w-full truncate rounded border border-line bg-surface-2 px-1.5 font-mono text-[11px] leading-5 text-muted" title={l}>
          {l}
        </span>
      ))}
      {items.length > max && <span className="text-xs text-faint">{t('more', { count: items.length - max })}</span>}
    </span>
  );
}
