import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useActions } from './hooks';
import { actionsFor, type ActionInfo, type Target } from './logic';
import { CommandDialog } from './CommandDialog';

/**
 * The remote operations an object's kind offers, as buttons — only those
 * the API says the caller's role may ask for. Each opens the confirm
 * dialog.
 */
export function ActionBar({ cluster, target }: { cluster: string; target: Target }) {
  const { t } = useTranslation('ops');
  const q = useActions();
  const [open, setOpen] = useState<ActionInfo | null>(null);
  const list = actionsFor(q.data?.items, target.kind);
  if (!q.data || list.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-1.5 border-b border-line px-5 py-2.5" data-testid="action-bar">
      <span className="mr-1 text-xs font-semibold tracking-wide text-muted uppercase">{t('actions')}</span>
      {!q.data.enabled ? (
        <span className="text-xs text-muted" data-testid="actions-off">
          {t('off')}
        </span>
      ) : (
        list.map((a) => (
          <button key={a.name} type="button" className="btn h-7 text-xs" onClick={() => setOpen(a)} data-testid={`action-${a.name}`}>
            {t(`action.${a.name}`, { defaultValue: a.verb })}
          </button>
        ))
      )}
      {open && <CommandDialog cluster={cluster} action={open} target={target} onClose={() => setOpen(null)} />}
    </div>
  );
}
