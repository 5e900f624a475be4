import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, ErrorState, QueryView } from '../../common/States';
import { Select } from '../../common/Inputs';
import { Drawer } from '../../common/Drawer';
import { KeyValue } from '../../common/KeyValue';
import { useFormat } from '../../lib/i18n/useFormat';
import { useUrlParam } from '../../lib/url';
import { useAuth } from '../../lib/auth/AuthProvider';
import { CommandStatus, StateChip } from '../../common/ops/CommandStatus';
import { CommandDialog } from '../../common/ops/CommandDialog';
import { useActions, useCommands, useParse } from '../../common/ops/hooks';
import { ALL_STATES, targetText, whenOf, type ActionInfo, type Command, type Target } from '../../common/ops/logic';
import type { Schemas } from '../../lib/api';

/** A cluster's operations (under /c/:cluster) or the fleet's (/operations): history, detail, and for a cluster the command box. */
export default function OperationsPage() {
  const { t } = useTranslation('ops');
  const fmt = useFormat();
  const cluster = useParams().cluster ?? null;
  const [state, setState] = useUrlParam('state');
  const [action, setAction] = useUrlParam('action');
  const [cursors, setCursors] = useState<string[]>([]);
  const [sel, setSel] = useState<Command | null>(null);
  const actions = useActions();
  const q = useCommands(cluster, { state, action, cursor: cursors[cursors.length - 1] });

  const columns: Column<Command>[] = [
    { id: 'when', header: t('field.when'), width: '11rem', sortValue: (c) => -Date.parse(whenOf(c)), cell: (c) => <span className="tabular">{fmt.dateTime(whenOf(c))}</span> },
    ...(cluster ? [] : [{ id: 'cluster', header: t('field.cluster'), width: '8rem', sortValue: (c: Command) => c.cluster, cell: (c: Command) => c.cluster }]),
    { id: 'action', header: t('field.action'), width: 'minmax(8rem,1fr)', sortValue: (c) => c.action, cell: (c) => t(`action.${c.action}`, { defaultValue: c.action }), title: (c) => c.action },
    { id: 'target', header: t('field.target'), width: 'minmax(10rem,1.5fr)', sortValue: (c) => targetText(c.target), cell: (c) => targetText(c.target) },
    { id: 'by', header: t('field.requestedBy'), width: '8rem', sortValue: (c) => c.requested_by, cell: (c) => c.requested_by },
    { id: 'state', header: t('field.state'), width: '7.5rem', sortValue: (c) => c.state, cell: (c) => <StateChip state={c.state} /> },
    { id: 'summary', header: t('field.summary'), width: 'minmax(10rem,2fr)', sortValue: (c) => c.summary ?? c.error ?? '', cell: (c) => <span className="text-muted">{c.error || c.summary || c.reason || ''}</span> },
  ];

  const filterChanged = (f: () => void) => {
    setCursors([]);
    f();
  };

  return (
    <>
      <PageHeader
        title={t(cluster ? 'page.title' : 'page.fleetTitle')}
        description={t(cluster ? 'page.description' : 'page.fleetDescription')}
        actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} />}
      >
        {cluster && <CommandBox cluster={cluster} catalog={actions.data?.items} />}
        <div className="flex flex-wrap items-center gap-2" role="search">
          <Select label={t('field.state')} value={state} onChange={(v) => filterChanged(() => setState(v))} allLabel={t('page.allStates')} options={ALL_STATES.map((s) => [s, t(`state.${s}`)])} testId="ops-state" />
          <Select
            label={t('field.action')}
            value={action}
            onChange={(v) => filterChanged(() => setAction(v))}
            allLabel={t('page.allActions')}
            options={(actions.data?.items ?? []).map((a) => [a.name, t(`action.${a.name}`, { defaultValue: a.name })])}
            testId="ops-action"
          />
          {cursors.length > 0 && (
            <button type="button" className="btn h-8 text-xs" onClick={() => setCursors([])}>
              {t('page.newest')}
            </button>
          )}
          {q.data?.next_cursor && (
            <button type="button" className="btn h-8 text-xs" onClick={() => setCursors([...cursors, q.data!.next_cursor!])} data-testid="ops-more">
              {t('page.more')}
            </button>
          )}
        </div>
      </PageHeader>
      <div className="flex min-h-0 flex-1 flex-col bg-surface" data-testid="ops-page">
        <QueryView query={q}>
          {(d) => (
            <DataTable label={t('page.title')} columns={columns} rows={d.items} rowKey={(c) => `${c.cluster}/${c.id}`} onRowClick={setSel} empty={<Empty title={t('page.empty')} />} />
          )}
        </QueryView>
      </div>
      <Drawer open={!!sel} onClose={() => setSel(null)} title={sel ? t(`action.${sel.action}`, { defaultValue: sel.action }) : ''} subtitle={sel ? targetText(sel.target) : undefined} width="min(720px, 100vw)">
        {sel && (
          <div className="px-5 py-4">
            <CommandStatus cluster={sel.cluster} id={sel.id} />
          </div>
        )}
      </Drawer>
    </>
  );
}

type Parsed = Schemas['ParsedCommand'];

/** The kubectl command box: the API parses the line; the preview and the confirm dialog show exactly what would be sent. */
function CommandBox({ cluster, catalog }: { cluster: string; catalog: ActionInfo[] | undefined }) {
  const { t } = useTranslation('ops');
  const { can } = useAuth();
  const [line, setLine] = useState('');
  const parse = useParse(cluster);
  const [confirm, setConfirm] = useState<Parsed | null>(null);
  if (!can('operator')) return null;
  const parsed = parse.data;
  const info = parsed && catalog?.find((a) => a.name === parsed.action);
  return (
    <div className="mb-3 space-y-2" data-testid="command-box">
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (line.trim()) parse.mutate(line);
        }}
      >
        <input
          className="input h-8 flex-1 font-mono text-xs"
          value={line}
          onChange={(e) => {
            setLine(e.target.value);
            parse.reset();
          }}
          placeholder={t('page.boxHint')}
          aria-label={t('page.box')}
          spellCheck={false}
          data-testid="command-line"
        />
        <button type="submit" className="btn h-8 text-xs" disabled={!line.trim() || parse.isPending} data-testid="command-parse">
          {t('page.preview')}
        </button>
      </form>
      {parse.error && <ErrorState error={parse.error} compact />}
      {parsed && (
        <div className="card flex flex-wrap items-start gap-4 px-4 py-3" data-testid="command-parsed">
          <div className="min-w-0 flex-1">
            <KeyValue
              items={[
                [t('field.action'), <span className="font-mono text-xs">{parsed.action}</span>],
                [t('field.target'), targetText(parsed.target as Target)],
                [t('field.params'), parsed.params ? <span className="font-mono text-xs">{JSON.stringify(parsed.params)}</span> : t('dialog.noParams')],
              ]}
            />
          </div>
          {parsed.allowed && info ? (
            <button type="button" className="btn btn-primary h-8 text-xs" onClick={() => setConfirm(parsed)} data-testid="command-continue">
              {t(`action.${parsed.action}`, { defaultValue: parsed.action })}…
            </button>
          ) : (
            <p className="text-xs text-warn">{t('page.notAllowed', { action: parsed.action, role: t(`common:role.${parsed.role}`, { defaultValue: parsed.role }) })}</p>
          )}
        </div>
      )}
      {confirm && info && (
        <CommandDialog cluster={cluster} action={info} target={confirm.target as Target} initialParams={confirm.params as Record<string, unknown> | undefined} onClose={() => setConfirm(null)} />
      )}
    </div>
  );
}
