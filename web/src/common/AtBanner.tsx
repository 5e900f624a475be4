import { useTranslation } from 'react-i18next';
import { History } from 'lucide-react';
import { useAt } from '../lib/url';
import { useFormat } from '../lib/i18n/useFormat';
import { Empty } from './States';

/**
 * Shown when a page displays a past moment (`at` in the URL), with the way
 * back to live. historyStartsAt (from the API) says the moment is before
 * the cluster's history began: there is no data, not an empty cluster.
 */
export function AtBanner({ historyStartsAt }: { historyStartsAt?: string | null }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const [at, setAt] = useAt();
  if (at === null) return null;
  return (
    <div role="status" className="flex flex-wrap items-center gap-2 border-b border-info/30 bg-info/10 px-6 py-2 text-[13px] text-info" data-testid="at-banner">
      <History size={14} aria-hidden />
      <span>{t('time.viewingAt', { time: fmt.dateTime(at) })}</span>
      {historyStartsAt && (
        <span className="font-medium text-warn" data-testid="no-data-before">
          {t('time.noDataBefore', { time: fmt.dateTime(historyStartsAt) })}
        </span>
      )}
      <button type="button" className="ml-auto font-medium underline underline-offset-2" onClick={() => setAt(null)}>
        {t('time.backToLive')}
      </button>
    </div>
  );
}

/** The empty state of a list at a moment before history began. */
export function NoDataBefore({ time }: { time: string }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  return <Empty title={t('time.noDataBefore', { time: fmt.dateTime(time) })} description={t('time.noDataBeforeHint')} />;
}
