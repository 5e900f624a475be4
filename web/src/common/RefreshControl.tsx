import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RefreshCw } from 'lucide-react';
import { REFRESH_OPTIONS, setRefresh, useRefreshOption, type RefreshOption } from '../lib/refresh';
import { useFormat } from '../lib/i18n/useFormat';

/**
 * Auto-refresh interval, a refresh-now button and when the data shown was
 * last fetched ("Updated 12:03:05", with the relative age on hover).
 */
export function RefreshControl({ updatedAt, fetching, onRefresh, paused }: { updatedAt?: number; fetching?: boolean; onRefresh?: () => void; paused?: boolean }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const opt = useRefreshOption();
  const [, tick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(id);
  }, []);

  return (
    <div className="flex items-center gap-2">
      {updatedAt ? (
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
