import { useTranslation } from 'react-i18next';
import { History } from 'lucide-react';
import { useAt } from '../lib/url';
import { useFormat } from '../lib/i18n/useFormat';

/** Shown when a page displays a past moment (`at` in the URL), with the way back to live. */
export function AtBanner() {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const [at, setAt] = useAt();
  if (at === null) return null;
  return (
    <div role="status" className="flex items-center gap-2 border-b border-info/30 bg-info/10 px-6 py-2 text-[13px] text-info" data-testid="at-banner">
      <History size={14} aria-hidden />
      <span>{t('time.viewingAt', { time: fmt.dateTime(at) })}</span>
      <button type="button" className="ml-auto font-medium underline underline-offset-2" onClick={() => setAt(null)}>
        {t('time.backToLive')}
      </button>
    </div>
  );
}
