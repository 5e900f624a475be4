import { useTranslation } from 'react-i18next';
import { Chip, SeverityBadge } from '../Badge';
import { useFormat } from '../../lib/i18n/useFormat';
import type { Anomaly, KEvent } from '../../lib/k8s/types';
import { isOpen } from '../../lib/k8s/anomalies';

export function EventList({ events }: { events?: KEvent[] | null }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  if (!events?.length) return <p className="text-[13px] text-muted">{t('detail.noEvents')}</p>;
  return (
    <ul className="space-y-2" data-testid="related-events">
      {[...events]
        .sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts))
        .map((e) => (
          <li key={`${e.uid ?? e.name}-${e.ts}`} className="text-[13px]">
            <div className="flex flex-wrap items-center gap-2">
              <Chip tone={e.type === 'Warning' ? 'warn' : 'neutral'}>{e.type}</Chip>
              <span className="font-medium">{e.reason}</span>
              {(e.count ?? 1) > 1 && <span className="text-xs text-muted">×{e.count}</span>}
              <time className="ml-auto text-xs text-muted tabular" dateTime={e.ts} title={fmt.dateTime(e.ts)}>
                {fmt.relative(e.ts)}
              </time>
            </div>
            <p className="mt-0.5 break-words text-muted">{e.message}</p>
          </li>
        ))}
    </ul>
  );
}

export function AnomalyList({ anomalies, onOpen }: { anomalies?: Anomaly[] | null; onOpen?: (a: Anomaly) => void }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  if (!anomalies?.length) return <p className="text-[13px] text-muted">{t('detail.noAnomalies')}</p>;
  return (
    <ul className="space-y-2" data-testid="related-anomalies">
      {anomalies.map((a) => (
        <li key={a.fingerprint + a.ts} className="text-[13px]">
          <div className="flex flex-wrap items-center gap-2">
            <SeverityBadge severity={a.severity} />
            <Chip tone={isOpen(a) ? 'warn' : 'ok'}>{isOpen(a) ? t('anomaly.open') : t('anomaly.resolved')}</Chip>
            {onOpen ? (
              <button type="button" className="font-medium text-accent hover:underline" onClick={() => onOpen(a)}>
                {a.reason || a.rule}
              </button>
            ) : (
              <span className="font-medium">{a.reason || a.rule}</span>
            )}
            {a.container && <span className="text-xs text-muted">{a.container}</span>}
            <span className="ml-auto text-xs text-muted tabular" title={fmt.dateTime(a.last_seen)}>
              {fmt.relative(a.last_seen)}
            </span>
          </div>
          {a.message && <p className="mt-0.5 break-words text-muted">{a.message}</p>}
        </li>
      ))}
    </ul>
  );
}
