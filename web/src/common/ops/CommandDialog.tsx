import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../Dialog';
import { ErrorState } from '../States';
import { KeyValue } from '../KeyValue';
import { CommandStatus } from './CommandStatus';
import { useSubmit } from './hooks';
import { buildParams, MAX_REASON, paramType, reasonProblem, targetText, ulid, type ActionInfo, type Target } from './logic';

/**
 * The confirm dialog of a remote operation: names the object and the
 * parameters, asks for a reason, and after submitting shows the command's
 * live status as the API reports it.
 */
export function CommandDialog({
  cluster,
  action,
  target,
  initialParams,
  onClose,
}: {
  cluster: string;
  action: ActionInfo;
  target: Target;
  initialParams?: Record<string, unknown>;
  onClose: () => void;
}) {
  const { t } = useTranslation('ops');
  // One id per dialog: a double click or a retried request is one command.
  const id = useMemo(() => ulid(), []);
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(Object.entries(initialParams ?? {}).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])),
  );
  const [reason, setReason] = useState('');
  const submit = useSubmit(cluster);
  const params = buildParams(action, values);
  const problem = reasonProblem(reason);
  const sent = submit.data;

  return (
    <Dialog
      open
      onClose={onClose}
      title={t('dialog.title', { action: t(`action.${action.name}`, { defaultValue: action.name }) })}
      footer={
        sent ? (
          <button type="button" className="btn" onClick={onClose} data-testid="command-close">
            {t('close')}
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              {t('cancelDialog')}
            </button>
            <button
              type="button"
              className={`btn ${action.read_only ? 'btn-primary' : 'btn-danger'}`}
              disabled={!!problem || submit.isPending}
              onClick={() => submit.mutate({ id, action: action.name, target, params, reason: reason.trim() })}
              data-testid="command-submit"
            >
              {t(action.read_only ? 'dialog.run' : 'dialog.confirm')}
            </button>
          </>
        )
      }
    >
      {sent ? (
        <CommandStatus cluster={cluster} id={sent.id} />
      ) : (
        <>
          <p className="text-[13px]">{t(action.read_only ? 'dialog.readOnly' : 'dialog.changes')}</p>
          <div data-testid="command-preview">
            <KeyValue
              cols={1}
              items={[
                [t('field.action'), <span className="font-mono text-xs">{action.name}</span>],
                [t('field.target'), <span data-testid="command-target">{targetText(target)}</span>],
                [t('field.cluster'), cluster],
                [t('field.params'), params ? <span className="font-mono text-xs" data-testid="command-params">{JSON.stringify(params)}</span> : t('dialog.noParams')],
                [t('field.deadline'), t('dialog.deadline', { minutes: Math.round(action.timeout_seconds / 60) })],
              ]}
            />
          </div>
          {action.params.map((p) => (
            <label key={p} className="block text-[13px]">
              {paramType(p) === 'bool' ? (
                <span className="flex items-center gap-2">
                  <input type="checkbox" checked={values[p] === true} onChange={(e) => setValues({ ...values, [p]: e.target.checked })} data-testid={`param-${p}`} />
                  {t(`param.${p}`, { defaultValue: p })}
                </span>
              ) : (
                <>
                  <span className="text-muted">{t(`param.${p}`, { defaultValue: p })}</span>
                  <input
                    className="input mt-1 w-full"
                    inputMode={paramType(p) === 'int' ? 'numeric' : undefined}
                    value={String(values[p] ?? '')}
                    onChange={(e) => setValues({ ...values, [p]: e.target.value })}
                    data-testid={`param-${p}`}
                  />
                </>
              )}
            </label>
          ))}
          <label className="block text-[13px]">
            <span className="text-muted">{t('dialog.reason')}</span>
            <textarea
              className="input mt-1 h-20 w-full py-1.5"
              value={reason}
              maxLength={MAX_REASON * 2}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={problem === 'long'}
              placeholder={t('dialog.reasonHint')}
              data-testid="command-reason"
            />
            <span className={`text-xs ${problem === 'long' ? 'text-crit' : 'text-muted'}`}>
              {t('dialog.reasonCount', { count: [...reason.trim()].length, max: MAX_REASON })}
            </span>
          </label>
          {submit.error && <ErrorState error={submit.error} compact />}
        </>
      )}
    </Dialog>
  );
}
