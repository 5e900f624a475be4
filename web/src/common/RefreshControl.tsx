import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RefreshCw } from 'lucide-react';
import { REFRESH_OPTIONS, setRefresh, useRefreshOption, type RefreshOption } from '../lib/refresh';
import { useFormat } from '../lib/i18n/useFormat';
import { serverNow } from '../lib/api/http';
import { dataBehindMs } from '../lib/time';

/**
 * Auto-refresh interval, a refresh-now button and how old the data shown
 * is: "as of 12:03:41, 6 s behind" (the moment the data reflects, against
 * the server's clock) when the page knows it, else when it was fetched.
 */
export function RefreshControl({
  updatedAt,
  fetching,
  onRefresh,
  paused,
  asOf,
}: {
  updatedAt?: number;
  fetching?: boolean;
  onRefresh?: () => void;
  paused?: boolean;
  /** The moment the data shown reflects (a list's as_of): shown as "as of 12:03:41, 6 s behind". */
  asOf?: string | null;
}) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const opt = useRefreshOption();
  const [, tick] = useState(0);
  const live = !!asOf && !paused;
  useEffect(() => {
    const id = setInterval(() => tick((n) => n + 1), live ? 1_000 : 15_000);
    return () => clearInterval(id);
  }, [live]);
  const behind = asOf ? dataBehindMs(asOf, serverNow()) : null;

  return (
    <div className="flex items-center gap-2">
      {asOf && behind !== null ? (
        <span className="text-xs text-muted tabular whitespace-nowrap" title={fmt.dateTime(asOf)} data-testid="data-age" data-as-of={asOf} data-behind-seconds={Math.round(behind / 1000)}>
          {paused ? t('refresh.asOfPast', { time: fmt.time(asOf) }) : t('refresh.asOf', { time: fmt.time(asOf), behind: fmt.duration(Math.max(behind, 1000)) })}
        </span>
      ) : updatedAt ? (
        <span className="hidden text-xs text-muted tabular md:inline" title={fmt.relative(updatedAt)} data-testid="updated-at">
          {t('refresh.updated', { time: fmt.time(updatedAt) })}
        </span>
      ) : null}
      <div className="flex items-center">
        <button
          type="button"
          className="btn btn-icon rounded-r-none"
          onClick={onRefresh}
          disabled={!onRefresh}
          aria-label={t('refresh.now')}
          title={t('refresh.now')}
        >
          <RefreshCw size={14} className={fetching ? 'animate-spin' : ''} aria-hidden />
        </button>
        <label className="sr-only" htmlFor="refresh-interval">
          {t('refresh.interval')}
        </label>
        <select
          id="refresh-interval"
          className="input -ml-px h-8 rounded-l-none pr-7 text-xs"
          value={paused ? 'off' : opt}
          disabled={paused}
          title={paused ? t('refresh.pausedAt') : t('refresh.interval')}
          onChange={(e) => setRefresh(e.target.value as RefreshOption)}
          data-testid="refresh-interval"
        >
          {REFRESH_OPTIONS.map((o) => (
            <option key={o} value={o}>
              {o === 'off' ? t('refresh.off') : t('refresh.every', { interval: o })}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
