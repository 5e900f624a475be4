import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Status, Tone } from '../lib/k8s/types';
import { anomalyStatus, severityTone } from '../lib/k8s/anomalies';
import { useFormat } from '../lib/i18n/useFormat';
import { TONE_BG, TONE_CHIP } from './tone';

export function Dot({ tone, className = '' }: { tone: Tone; className?: string }) {
  return <span aria-hidden className={`inline-block size-2 shrink-0 rounded-full ${TONE_BG[tone]} ${className}`} />;
}

/** A small label; `fit` keeps it whole (never cut short, never shrunk) for statuses. */
export function Chip({ tone = 'neutral', children, title, className = '', fit }: { tone?: Tone; children: ReactNode; title?: string; className?: string; fit?: boolean }) {
  return (
    <span
      title={title}
      className={`inline-flex items-center gap-1 rounded-full border px-2 py-px text-xs font-medium leading-5 ${fit ? 'shrink-0 whitespace-nowrap' : 'max-w-full truncate'} ${TONE_CHIP[tone]} ${className}`}
    >
      {children}
    </span>
  );
}

/** A Kubernetes status (phase, reason): shown as Kubernetes spells it, coloured by meaning, never cut short. */
export function StatusBadge({ status, title }: { status: Status; title?: string }) {
  return (
    <Chip tone={status.tone} title={title ?? status.label} fit>
      <Dot tone={status.tone} />
      <span>{status.label}</span>
    </Chip>
  );
}

/**
 * An anomaly's status: open, condition cleared (it resolves at T unless it
 * recurs) or resolved. `detail` adds the time in words beside the chip.
 */
export function AnomalyStatusChip({ a, detail }: { a: { status?: string; state?: string; resolves_at?: string; cleared_at?: string }; detail?: boolean }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const st = anomalyStatus(a);
  const tone: Tone = st === 'open' ? 'warn' : st === 'cleared' ? 'info' : 'ok';
  const when = st === 'cleared' && a.resolves_at ? t('anomaly.resolvesAt', { time: fmt.time(a.resolves_at) }) : undefined;
  return (
    <span className="inline-flex min-w-0 items-center gap-2" data-testid="anomaly-status" data-status={st}>
      <Chip tone={tone} title={when} fit>
        {t(`anomaly.${st}`)}
      </Chip>
      {detail && when && <span className="text-xs text-muted">{when}</span>}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  const { t } = useTranslation('common');
  return (
    <Chip tone={severityTone(severity)} fit>
      {t(`severity.${severity}`, { defaultValue: severity })}
    </Chip>
  );
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
