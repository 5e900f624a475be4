import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { TimeRangePicker } from '../../common/TimeRangePicker';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, QueryView } from '../../common/States';
import { Chip } from '../../common/Badge';
import { SearchInput, Select } from '../../common/Inputs';
import { Drawer } from '../../common/Drawer';
import { KeyValue, Section } from '../../common/KeyValue';
import { JsonView } from '../../common/detail/JsonView';
import { useFormat } from '../../lib/i18n/useFormat';
import { useUrlParam, useUrlTimeRange } from '../../lib/url';
import { useAudit, type AuditFilter, type AuditRecord } from './hooks';

const OUTCOME_TONE = { ok: 'ok', denied: 'warn', error: 'crit' } as const;

function parseParams(p: string | undefined): unknown {
  if (!p) return null;
  try {
    return JSON.parse(p);
  } catch {
    return p;
  }
}

export default function AuditPage() {
  const { t } = useTranslation('admin');
  const fmt = useFormat();
  const [range, setRange] = useUrlTimeRange({ kind: 'relative', preset: '24h', ms: 86_400_000 });
  const [actor, setActor] = useUrlParam('actor');
  const [action, setAction] = useUrlParam('action');
  const [outcome, setOutcome] = useUrlParam('outcome');
  const [sel, setSel] = useState<AuditRecord | null>(null);
  const filter: AuditFilter = useMemo(() => ({ actor, action, outcome: (['ok', 'denied', 'error'].includes(outcome) ? outcome : '') as AuditFilter['outcome'] }), [actor, action, outcome]);
  const q = useAudit(filter, range);
  const actions = useMemo(() => [...new Set((q.data?.items ?? []).map((r) => r.action))].sort(), [q.data]);

  const columns: Column<AuditRecord>[] = [
    { id: 'ts', header: t('audit.col.time'), width: '11rem', sortValue: (r) => -Date.parse(r.ts), cell: (r) => <span className="tabular">{fmt.dateTime(r.ts)}</span> },
    { id: 'actor', header: t('audit.col.actor'), width: 'minmax(8rem,1fr)', sortValue: (r) => r.actor, cell: (r) => <span className="font-medium">{r.actor || '—'}</span> },
    { id: 'role', header: t('audit.col.role'), width: '6.5rem', sortValue: (r) => r.role, cell: (r) => (r.role ? t(`common:role.${r.role}`, { defaultValue: r.role }) : '—') },
    { id: 'action', header: t('audit.col.action'), width: 'minmax(9rem,1fr)', sortValue: (r) => r.action, cell: (r) => <span className="font-mono text-xs">{r.action}</span> },
    { id: 'target', header: t('audit.col.target'), width: 'minmax(10rem,1.5fr)', sortValue: (r) => r.target, cell: (r) => <span className="text-muted">{r.target || '—'}</span>, title: (r) => r.target },
    { id: 'outcome', header: t('audit.col.outcome'), width: '6.5rem', sortValue: (r) => r.outcome, cell: (r) => <Chip tone={OUTCOME_TONE[r.outcome as keyof typeof OUTCOME_TONE] ?? 'neutral'}>{t(`audit.outcome.${r.outcome}`, { defaultValue: r.outcome })}</Chip> },
    { id: 'status', header: t('audit.col.status'), width: '5rem', align: 'right', sortValue: (r) => r.status, cell: (r) => r.status },
    { id: 'ip', header: t('audit.col.ip'), width: '8.5rem', sortValue: (r) => r.source_ip, cell: (r) => <span className="font-mono text-xs">{r.source_ip}</span> },
  ];

  return (
    <>
      <PageHeader
        title={t('audit.title')}
        description={t('audit.description')}
        actions={
          <>
            <TimeRangePicker value={range} onChange={setRange} />
            <RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} paused={range.kind === 'absolute'} />
          </>
        }
      >
        <div className="flex flex-wrap items-center gap-2" role="search">
          <SearchInput value={actor} onChange={(v) => setActor(v)} placeholder={t('audit.actor')} label={t('audit.actor')} />
          <Select label={t('audit.col.action')} value={action} onChange={(v) => setAction(v)} allLabel={t('audit.allActions')} options={[...new Set([...actions, 'login', 'sql.query', 'user.create', 'user.update', 'user.delete'])].sort().map((a) => [a, a])} testId="audit-action" />
          <Select
            label={t('audit.col.outcome')}
            value={outcome}
            onChange={(v) => setOutcome(v)}
            allLabel={t('audit.allOutcomes')}
            options={[
              ['ok', t('audit.outcome.ok')],
              ['denied', t('audit.outcome.denied')],
              ['error', t('audit.outcome.error')],
            ]}
          />
        </div>
      </PageHeader>
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        <QueryView query={q}>
          {(d) => <DataTable label={t('audit.title')} columns={columns} rows={d.items} rowKey={(r) => `${r.request_id ?? ''}-${r.ts}-${r.action}`} onRowClick={setSel} empty={<Empty title={t('audit.empty')} />} />}
        </QueryView>
      </div>
      <Drawer open={!!sel} onClose={() => setSel(null)} title={sel?.action ?? ''} subtitle={sel ? `${sel.actor} · ${fmt.dateTime(sel.ts)}` : undefined} width="min(640px, 100vw)">
        {sel && (
          <>
            <Section title={t('audit.record')}>
              <KeyValue
                items={[
                  [t('audit.col.actor'), sel.actor],
                  [t('audit.col.role'), sel.role],
                  [t('audit.col.action'), sel.action],
                  [t('audit.col.target'), sel.target],
                  [t('audit.col.outcome'), sel.outcome],
                  [t('audit.col.status'), String(sel.status)],
                  [t('audit.col.ip'), sel.source_ip],
                  [t('audit.userAgent'), sel.user_agent],
                  [t('audit.requestId'), sel.request_id ? <span className="font-mono text-xs">{sel.request_id}</span> : undefined],
                  [t('audit.cluster'), sel.cluster],
                ]}
              />
            </Section>
            <Section title={t('audit.params')}>{sel.params ? <JsonView value={parseParams(sel.params)} /> : <p className="text-[13px] text-muted">—</p>}</Section>
          </>
        )}
      </Drawer>
    </>
  );
}
