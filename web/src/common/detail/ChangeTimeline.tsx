import { useTranslation } from 'react-i18next';
import { Chip } from '../Badge';
import { ErrorState, Loading } from '../States';
import { useFormat } from '../../lib/i18n/useFormat';
import type { Tone } from '../../lib/k8s/types';
import { FieldChanges } from './FieldChanges';
import { useTimeline } from './hooks';

const OP_TONE: Record<string, Tone> = { add: 'ok', update: 'info', delete: 'crit', checkpoint: 'neutral' };

/** What changed on one object over the last days, newest first; `onDiff` opens the YAML diff around a change. */
export function ChangeTimeline({
  cluster,
  kind,
  namespace,
  name,
  uid,
  to,
  onDiff,
}: {
  cluster: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  to?: string;
  onDiff?: (change: { ts: string; op: string }) => void;
}) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const q = useTimeline(cluster, { kind, namespace, name, uid }, '-7d', to);
  if (q.isPending) return <Loading rows={3} />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} compact />;
  const items = [...q.data.items].filter((it) => it.op !== 'checkpoint' || (it.fields?.length ?? 0) > 0).reverse();
  if (!items.length) return <p className="text-[13px] text-muted">{t('detail.noChanges')}</p>;
  return (
    <ol className="relative space-y-3 border-l border-line pl-4" data-testid="change-timeline">
      {items.map((it, i) => (
        <li key={`${it.ts}-${i}`} className="relative">
          <span className="absolute top-1.5 -left-[21px] size-2.5 rounded-full border-2 border-surface bg-line-strong" aria-hidden />
          <div className="flex flex-wrap items-center gap-2 text-xs">
            <time dateTime={it.ts} className="text-muted tabular">
              {fmt.dateTime(it.ts)}
            </time>
            <Chip tone={OP_TONE[it.op] ?? 'neutral'}>{t(`op.${it.op}`)}</Chip>
            {it.resource_version && <span className="text-faint">rv {it.resource_version}</span>}
            {onDiff && it.op !== 'checkpoint' && (
              <button type="button" className="ml-auto text-accent hover:underline" onClick={() => onDiff(it)} data-testid="timeline-diff">
                {t('detailTab.diff')}
              </button>
            )}
          </div>
          <div className="mt-1 space-y-1">
            <FieldChanges fields={it.fields} />
            <FieldChanges fields={it.detail_fields} max={20} />
          </div>
        </li>
      ))}
      {q.data.truncated && <li className="text-xs text-faint">{t('detail.truncated')}</li>}
    </ol>
  );
}
