import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Chip } from '../Badge';
import { KeyValue } from '../KeyValue';
import { ErrorState, Loading } from '../States';
import { JsonView } from '../detail/JsonView';
import { useFormat } from '../../lib/i18n/useFormat';
import { useActions, useCancel, useCommand, useOutput } from './hooks';
import { CommandDialog } from './CommandDialog';
import { filterLines, isFinal, stateTone, targetText, type CommandDetail } from './logic';

/** A command state as a chip, in the UI language. */
export function StateChip({ state }: { state: string }) {
  const { t } = useTranslation('ops');
  return (
    <Chip tone={stateTone(state)} fit>
      <span data-testid="command-state" data-state={state}>
        {t(`state.${state}`, { defaultValue: state })}
      </span>
    </Chip>
  );
}

/** A command's live status: polled until it ends, with its result and output. */
export function CommandStatus({ cluster, id }: { cluster: string; id: string }) {
  const q = useCommand(cluster, id);
  if (q.isPending) return <Loading rows={3} />;
  if (q.error && !q.data) return <ErrorState error={q.error} onRetry={() => void q.refetch()} compact />;
  return <CommandView cluster={cluster} c={q.data!} />;
}

function CommandView({ cluster, c }: { cluster: string; c: CommandDetail }) {
  const { t } = useTranslation('ops');
  const fmt = useFormat();
  const cancel = useCancel(cluster);
  const stop = useCancel(cluster, true);
  const params = c.params && Object.keys(c.params).length ? c.params : null;
  return (
    <div className="space-y-3" data-testid="command-status">
      <div className="flex flex-wrap items-center gap-2">
        <StateChip state={c.state} />
        {!isFinal(c.state) && <span className="text-xs text-muted">{t(`stateHint.${c.state}`)}</span>}
        {c.can_cancel && (
          <button type="button" className="btn btn-danger ml-auto h-7 text-xs" onClick={() => cancel.mutate(c.id)} disabled={cancel.isPending} data-testid="command-cancel">
            {t('cancel')}
          </button>
        )}
        {c.can_stop && (
          <button type="button" className="btn btn-danger ml-auto h-7 text-xs" onClick={() => stop.mutate(c.id)} disabled={stop.isPending} data-testid="command-stop">
            {t('stop')}
          </button>
        )}
      </div>
      {cancel.error && <ErrorState error={cancel.error} compact />}
      {stop.error && <ErrorState error={stop.error} compact />}
      {c.stop_requested_by && (
        <p className="text-[13px] text-warn" data-testid="command-stop-requested">
          {t(isFinal(c.state) ? 'stopped' : 'stopRequested', { by: c.stop_requested_by })}
        </p>
      )}
      {c.progress && <p className="text-[13px]" data-testid="command-progress">{c.progress}</p>}
      <KeyValue
        items={[
          [t('field.action'), <span className="font-mono text-xs">{c.action}</span>],
          [t('field.target'), targetText(c.target)],
          [t('field.cluster'), c.cluster],
          [t('field.requestedBy'), c.role ? `${c.requested_by} (${t(`common:role.${c.role}`, { defaultValue: c.role })})` : c.requested_by],
          [t('field.reason'), c.reason],
          [t('field.created'), fmt.dateTime(c.created_at)],
          [t('field.deadline'), fmt.dateTime(c.deadline)],
          [t('field.claimedBy'), c.claimed_by],
          [t('field.finished'), c.finished_at ? fmt.dateTime(c.finished_at) : undefined],
          [t('field.summary'), c.summary],
          [t('field.error'), c.error ? <span className="text-crit">{c.error}</span> : undefined],
          [t('field.signature'), c.signature ? t(`signature.${c.signature}`) : undefined],
          [t('field.id'), <span className="font-mono text-xs" data-testid="command-id">{c.id}</span>],
        ]}
      />
      {params && (
        <div>
          <p className="mb-1 text-xs text-muted">{t('field.params')}</p>
          <JsonView value={params} />
        </div>
      )}
      {c.changes && c.changes.length > 0 && (
        <div>
          <p className="mb-1 text-xs text-muted">{t('field.changes')}</p>
          <ul className="list-disc pl-5 text-[13px]" data-testid="command-changes">
            {c.changes.map((ch) => (
              <li key={ch}>{ch}</li>
            ))}
          </ul>
        </div>
      )}
      {(c.output_bytes ?? 0) > 0 &&
        (c.can_read_output ? <OutputViewer cluster={cluster} c={c} /> : <p className="text-xs text-muted">{t('output.notYours')}</p>)}
    </div>
  );
}

/** The output of logs, YAML, describe or history in a monospace viewer; logs can be searched. */
function OutputViewer({ cluster, c }: { cluster: string; c: CommandDetail }) {
  const { t } = useTranslation('ops');
  const q = useOutput(cluster, c.id, true);
  const [search, setSearch] = useState('');
  const [again, setAgain] = useState(false);
  const logs = c.action === 'pod.logs';
  // Following a log is fetching it again: a new command, with its own reason.
  const logsAction = useActions().data?.items.find((a) => a.name === 'pod.logs' && a.allowed);
  if (q.isPending) return <Loading rows={4} />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} compact />;
  const text = q.data ?? '';
  const f = filterLines(text, logs ? search : '');
  return (
    <div>
      <div className="mb-1 flex flex-wrap items-center gap-2">
        <p className="text-xs text-muted">{t(logs ? 'output.logs' : 'output.title', { bytes: c.output_bytes })}</p>
        {logs && (
          <input className="input ml-auto h-7 w-48 text-xs" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t('output.search')} aria-label={t('output.search')} data-testid="output-search" />
        )}
        {logs && search && <span className="text-xs text-muted">{t('output.matched', { matched: f.matched, total: f.total })}</span>}
        {logs && logsAction && (
          <button type="button" className="btn h-7 text-xs" onClick={() => setAgain(true)} data-testid="output-again">
            {t('output.again')}
          </button>
        )}
      </div>
      {again && logsAction && (
        <CommandDialog cluster={cluster} action={logsAction} target={c.target} initialParams={c.params as Record<string, unknown> | undefined} onClose={() => setAgain(false)} />
      )}
      {text.length < (c.output_bytes ?? 0) && <p className="mb-1 text-xs text-warn">{t('output.truncated', { shown: text.length, total: c.output_bytes })}</p>}
      <pre className="max-h-[28rem] overflow-auto rounded border border-line bg-sunken p-3 font-mono text-xs leading-5 whitespace-pre" data-testid="command-output">
        {f.lines.join('\n')}
      </pre>
    </div>
  );
}
