import { Fragment, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Archive, CircleDollarSign, Info, Layers3, RadioTower, TriangleAlert } from 'lucide-react';
import { PageHeader, PageBody } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { Card, StatCard } from '../../common/StatCard';
import { Empty, QueryView } from '../../common/States';
import { Chip, Dot } from '../../common/Badge';
import { DataTable, type Column } from '../../common/DataTable';
import { UsageBar } from '../../common/UsageBar';
import { Bars } from '../../common/charts';
import { TONE_TEXT } from '../../common/tone';
import { useFormat, type Formatters } from '../../lib/i18n/useFormat';
import { byteTicks } from '../../lib/format';
import { useSystemUsage } from './hooks';
import {
  agentTone,
  agentTotals,
  clusterRows,
  conditionalAnswers,
  costBasis,
  costLines,
  hasGap,
  jobTone,
  notices,
  OTHER_KEY,
  requestRows,
  spoolRatio,
  storageByTable,
  tableRows,
  type CostItem,
  type Inventory,
  type Usage,
  type UsageAgent,
  type UsageJob,
} from './logic';

/** Self-monitoring (admin): what AtlHyper keeps in the store, what it does there, and what that costs. */
export default function SystemPage() {
  const { t } = useTranslation('system');
  const q = useSystemUsage();
  return (
    <>
      <PageHeader title={t('title')} description={t('description')} actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} />} />
      <PageBody className="flex flex-col gap-5">
        <QueryView query={q}>{(u) => <Report u={u} />}</QueryView>
      </PageBody>
    </>
  );
}

function Report({ u }: { u: Usage }) {
  return (
    <>
      <Notices u={u} />
      <Stats u={u} />
      <div className="grid items-start gap-4 xl:grid-cols-3">
        <StorageByTable inv={u.inventory} />
        <div className="flex min-w-0 flex-col gap-4">
          <StorageByCluster inv={u.inventory} />
          <Jobs jobs={u.jobs} />
        </div>
      </div>
      <Agents u={u} />
      <div className="grid gap-4 xl:grid-cols-5">
        <Requests u={u} />
        <Cost u={u} />
      </div>
    </>
  );
}

function Notices({ u }: { u: Usage }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const list = notices(u);
  if (list.length === 0) return null;
  return (
    <ul className="card space-y-1.5 px-4 py-3" role="status" aria-label={t('notice.title')} data-testid="system-notices">
      {list.map((n) => {
        const params =
          n.key === 'notice.inventory_stale'
            ? { age: fmt.duration(Number(n.params.seconds) * 1000) }
            : n.key === 'notice.job_never_ran'
              ? { job: t(`jobs.name.${n.params.job}`, { defaultValue: String(n.params.job) }) }
              : n.params;
        const Icon = n.tone === 'warn' ? TriangleAlert : Info;
        return (
          <li key={n.key + JSON.stringify(n.params)} className="flex items-start gap-2 text-[13px]">
            <Icon size={16} className={`mt-px shrink-0 ${TONE_TEXT[n.tone]}`} aria-hidden />
            <span>{t(n.key, params)}</span>
          </li>
        );
      })}
    </ul>
  );
}

function Stats({ u }: { u: Usage }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const inv = u.inventory;
  const a = agentTotals(u.agents);
  const cost = u.cost_estimate;
  return (
    <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="system-stats">
      <StatCard
        label={t('stat.cost')}
        icon={<CircleDollarSign size={16} aria-hidden />}
        value={cost.items.length ? fmt.usd(cost.total_usd) : '—'}
        sub={
          cost.per_cluster && cost.items.length
            ? t('stat.costPerCluster', { usd: fmt.usd(cost.per_cluster.usd_per_month), n: fmt.number(cost.items.length) })
            : t('stat.costSub', { n: fmt.number(cost.items.length) })
        }
        testId="stat-cost"
      />
      <StatCard
        label={t('stat.storage')}
        icon={<Archive size={16} aria-hidden />}
        value={inv ? fmt.bytes(inv.bytes) : '—'}
        sub={inv ? t('stat.storageSub', { objects: fmt.number(inv.objects), tables: fmt.number(inv.tables.filter((x) => x.objects > 0).length) }) : t('stat.noInventory')}
        testId="stat-storage"
      />
      <StatCard
        label={t('stat.backlog')}
        icon={<Layers3 size={16} aria-hidden />}
        value={inv ? fmt.number(inv.compaction_backlog) : '—'}
        sub={inv ? t('stat.backlogSub', { merged: fmt.number(inv.compacted_objects) }) : t('stat.noInventory')}
        tone={inv ? (inv.compaction_backlog > 0 ? 'warn' : 'ok') : undefined}
        testId="stat-backlog"
      />
      <StatCard
        label={t('stat.agents')}
        icon={<RadioTower size={16} aria-hidden />}
        value={`${fmt.number(a.agentsOnline)}/${fmt.number(a.agents)}`}
        sub={t('stat.agentsSub', { spool: fmt.bytes(a.spoolBytes), errors: fmt.number(a.agentErrors) })}
        tone={a.agents === 0 ? undefined : a.agentsOnline < a.agents ? 'warn' : 'ok'}
        testId="stat-agents"
      />
    </div>
  );
}

function Th({ children, right }: { children: ReactNode; right?: boolean }) {
  return (
    <th scope="col" className={`px-4 py-2 font-semibold whitespace-nowrap ${right ? 'text-right' : 'text-left'}`}>
      {children}
    </th>
  );
}

function StorageByTable({ inv }: { inv: Inventory | null }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  if (!inv) {
    return (
      <Card title={t('storage.title')} className="xl:col-span-2" testId="storage-tables">
        <Empty title={t('storage.empty')} description={t('storage.emptyHint')} />
      </Card>
    );
  }
  const chart = storageByTable(inv);
  const rows = tableRows(inv);
  return (
    <Card
      title={t('storage.title')}
      className="xl:col-span-2"
      bodyClass="p-0"
      testId="storage-tables"
      actions={<span className="text-xs text-muted" title={fmt.dateTime(inv.taken_at)}>{t('storage.taken', { time: fmt.relative(inv.taken_at) })}</span>}
    >
      {chart.data.length > 0 && (
        <div className="px-4 pt-3" data-testid="storage-chart">
          <Bars
            label={t('storage.chart')}
            horizontal
            stacked
            height={Math.max(140, chart.data.length * 34 + 50)}
            data={chart.data}
            series={chart.series.map((s, i) => ({ key: s.key, name: s.cluster === null ? t('storage.other') : clusterName(t, s.cluster), color: s.key === OTHER_KEY ? 7 : i }))}
            valueFormat={(v) => fmt.bytes(v)}
            ticks={byteTicks(chart.max)}
          />
        </div>
      )}
      <div className="overflow-x-auto">
        <table className="w-full text-[13px]" aria-label={t('storage.title')}>
          <thead className="bg-surface-2 text-xs text-muted">
            <tr>
              <Th>{t('storage.col.table')}</Th>
              <Th right>{t('storage.col.objects')}</Th>
              <Th right>{t('storage.col.compacted')}</Th>
              <Th right>{t('storage.col.bytes')}</Th>
              <Th right>{t('storage.col.avg')}</Th>
              <Th>{t('storage.col.share')}</Th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.table} className="border-t border-line" data-testid="storage-row">
                <td className="px-4 py-1.5 font-mono text-xs">{r.table}</td>
                <td className="px-4 py-1.5 text-right tabular">{fmt.number(r.objects)}</td>
                <td className="px-4 py-1.5 text-right tabular text-muted">{fmt.number(r.compacted)}</td>
                <td className="px-4 py-1.5 text-right tabular">{fmt.bytes(r.bytes)}</td>
                <td className="px-4 py-1.5 text-right tabular text-muted">{fmt.bytes(r.avgBytes)}</td>
                <td className="w-40 px-4 py-1.5">
                  <UsageBar compact tone="info" label={r.table} ratio={r.share} text={fmt.percent(r.share)} />
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr className="border-t border-line-strong font-semibold">
              <td className="px-4 py-2">{t('storage.total')}</td>
              <td className="px-4 py-2 text-right tabular">{fmt.number(inv.objects)}</td>
              <td className="px-4 py-2 text-right tabular">{fmt.number(inv.compacted_objects)}</td>
              <td className="px-4 py-2 text-right tabular">{fmt.bytes(inv.bytes)}</td>
              <td className="px-4 py-2 text-right tabular">{fmt.bytes(inv.objects > 0 ? inv.bytes / inv.objects : null)}</td>
              <td />
            </tr>
          </tfoot>
        </table>
      </div>
    </Card>
  );
}

function clusterName(t: (k: string) => string, id: string) {
  return id === '_global' ? t('clusters.global') : id;
}

function StorageByCluster({ inv }: { inv: Inventory | null }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const rows = inv ? clusterRows(inv) : [];
  return (
    <Card title={t('clusters.title')} testId="storage-clusters">
      {rows.length === 0 ? (
        <p className="text-[13px] text-muted">{inv ? t('clusters.empty') : t('storage.empty')}</p>
      ) : (
        <ul className="space-y-3.5">
          {rows.map((r) => (
            <li key={r.cluster} data-testid="cluster-share">
              <UsageBar label={clusterName(t, r.cluster)} ratio={r.share} text={`${fmt.bytes(r.bytes)} · ${fmt.percent(r.share, 0)}`} tone="info" />
              <p className="mt-1 truncate text-xs text-muted" title={r.largest.map(([tb, n]) => `${tb}: ${fmt.bytes(n)}`).join('\n')}>
                {r.objects !== null && t('clusters.objects', { objects: fmt.number(r.objects) })}
                {r.objects !== null && r.largest.length > 0 && ' · '}
                {r.largest.map(([tb]) => tb).join(', ')}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Jobs({ jobs }: { jobs: UsageJob[] }) {
  const { t } = useTranslation('system');
  return (
    <Card title={t('jobs.title')} testId="jobs" bodyClass="p-0">
      <div className="divide-y divide-line">
        {jobs.map((j) => (
          <JobPanel key={j.job} j={j} />
        ))}
      </div>
    </Card>
  );
}

function JobPanel({ j }: { j: UsageJob }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const c = j.compaction;
  const rows: [string, ReactNode][] = [];
  if (j.state !== 'never_run') {
    rows.push([t('jobs.lastRun'), <span title={fmt.dateTime(j.finished)}>{fmt.relative(j.finished)}</span>]);
    rows.push([t('jobs.duration'), fmt.duration(j.duration_ms)]);
    if (j.every_seconds) rows.push([t('jobs.every'), fmt.duration(j.every_seconds * 1000)]);
    if (j.rate) {
      const h = j.rate.per_hour;
      rows.push([
        t('jobs.rate', { window: fmt.duration(j.rate.window_seconds * 1000), runs: fmt.number(j.rate.runs) }),
        t('jobs.rateValue', { put: fmt.number(h.put, 1), get: fmt.number(h.get + h.head, 1), list: fmt.number(h.list, 1) }),
      ]);
    }
    if (j.requests) {
      rows.push([
        t('jobs.requests'),
        t('jobs.requestsValue', { put: fmt.number(j.requests.put), get: fmt.number(j.requests.get + j.requests.head), list: fmt.number(j.requests.list), delete: fmt.number(j.requests.delete) }),
      ]);
    }
  }
  if (c) {
    rows.push([t('jobs.merged'), t('jobs.mergedValue', { merged: fmt.number(c.objects_merged), written: fmt.number(c.objects_written), in: fmt.bytes(c.bytes_in), out: fmt.bytes(c.bytes_out) })]);
    rows.push([t('jobs.deleted'), fmt.number(c.objects_deleted)]);
    rows.push([t('jobs.expired'), fmt.number(c.objects_expired)]);
    rows.push([t('jobs.partitions'), fmt.number(c.partitions)]);
    rows.push([t('jobs.corrupt'), <span className={c.corrupt_count > 0 ? 'font-semibold text-crit' : ''}>{fmt.number(c.corrupt_count)}</span>]);
  }
  return (
    <section className="min-w-0 px-4 py-3" data-testid={`job-${j.job}`}>
      <div className="mb-2 flex items-center gap-2">
        <h3 className="text-[13px] font-semibold">{t(`jobs.name.${j.job}`, { defaultValue: j.job })}</h3>
        <Chip tone={jobTone(j)}>
          <Dot tone={jobTone(j)} />
          {t(`jobs.state.${j.state}`)}
        </Chip>
      </div>
      {j.state === 'never_run' && <p className="text-[13px] text-muted">{t('jobs.neverHint')}</p>}
      {j.error && <p className="mb-2 rounded border border-crit/25 bg-crit/10 px-2 py-1 font-mono text-xs break-words text-crit">{j.error}</p>}
      {rows.length > 0 && (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-[13px]">
          {rows.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-muted">{k}</dt>
              <dd className="min-w-0 text-right tabular">{v}</dd>
            </div>
          ))}
        </dl>
      )}
      {c && c.corrupt.length > 0 && (
        <div className="mt-3">
          <p className="text-xs text-muted">{t('jobs.corruptHint')}</p>
          <ul className="mt-1 max-h-32 space-y-0.5 overflow-y-auto font-mono text-[11px] text-crit" data-testid="corrupt-objects">
            {c.corrupt.map((k) => (
              <li key={k} className="truncate" title={k}>
                {k}
              </li>
            ))}
          </ul>
        </div>
      )}
      {c && c.errors.length > 0 && (
        <ul className="mt-3 space-y-0.5 font-mono text-[11px] text-crit">
          {c.errors.map((e) => (
            <li key={e} className="break-words">
              {e}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function agentColumns(t: (k: string, o?: Record<string, unknown>) => string, fmt: Formatters): Column<UsageAgent>[] {
  return [
    {
      id: 'cluster',
      header: t('agents.col.cluster'),
      width: 'minmax(9rem,1.2fr)',
      sortValue: (a) => a.cluster,
      cell: (a) => (
        <span className="flex min-w-0 items-center gap-2 font-medium">
          <Dot tone={agentTone(a)} />
          <span className="truncate">{a.cluster}</span>
        </span>
      ),
    },
    { id: 'state', header: t('agents.col.state'), width: '8rem', sortValue: (a) => a.state, cell: (a) => <Chip tone={agentTone(a)}>{t(`agents.state.${a.state}`)}</Chip> },
    {
      id: 'heartbeat',
      header: t('agents.col.heartbeat'),
      width: '9rem',
      sortValue: (a) => a.age_seconds ?? Infinity,
      cell: (a) => <span className={a.state === 'offline' ? 'text-crit' : 'text-muted'}>{a.last_heartbeat ? fmt.relative(a.last_heartbeat) : '—'}</span>,
      title: (a) => (a.last_heartbeat ? `${fmt.dateTime(a.last_heartbeat)}${a.version ? ` · ${a.version}` : ''}` : undefined),
    },
    {
      id: 'spool',
      header: t('agents.col.spool'),
      width: 'minmax(11rem,1.3fr)',
      sortValue: (a) => a.spool.bytes,
      cell: (a) =>
        a.state === 'no_heartbeat' ? (
          <span className="text-faint">—</span>
        ) : (
          <span className="flex w-full min-w-0 items-center gap-2">
            <span className="w-16 shrink-0">
              <UsageBar compact label={t('agents.col.spool')} ratio={spoolRatio(a)} text={fmt.percent(spoolRatio(a), 0)} />
            </span>
            <span className={`truncate text-xs tabular ${a.spool.full ? 'font-semibold text-warn' : 'text-muted'}`}>
              {t('agents.spoolValue', { objects: fmt.number(a.spool.objects), bytes: fmt.bytes(a.spool.bytes) })}
              {a.spool.full && ` · ${t('agents.spoolFull')}`}
            </span>
          </span>
        ),
      title: (a) => (a.spool.max_bytes ? t('agents.spoolTitle', { max: fmt.bytes(a.spool.max_bytes), oldest: a.spool.oldest ? fmt.dateTime(a.spool.oldest) : '—' }) : undefined),
    },
    { id: 'flush', header: t('agents.col.flush'), width: '9rem', sortValue: (a) => (a.last_flush ? -Date.parse(a.last_flush) : Infinity), cell: (a) => <span className="text-muted">{a.last_flush ? fmt.relative(a.last_flush) : '—'}</span>, title: (a) => fmt.dateTime(a.last_flush) },
    {
      id: 'written',
      header: t('agents.col.written'),
      width: '11rem',
      align: 'right',
      sortValue: (a) => a.written.bytes,
      cell: (a) => <span className="text-xs tabular">{t('agents.writtenValue', { objects: fmt.number(a.written.objects), bytes: fmt.bytes(a.written.bytes) })}</span>,
      title: (a) => t('agents.writtenTitle', { rows: fmt.number(a.written.rows), uptime: fmt.duration(a.uptime_seconds * 1000) }),
    },
    {
      id: 'errors',
      header: t('agents.col.errors'),
      width: '5.5rem',
      align: 'right',
      sortValue: (a) => a.errors,
      cell: (a) => <span className={a.errors > 0 ? 'text-warn' : 'text-muted'}>{fmt.number(a.errors)}</span>,
      title: (a) => (a.last_error ? `${a.last_error}${a.last_error_at ? ` (${fmt.dateTime(a.last_error_at)})` : ''}` : undefined),
    },
    {
      id: 'puts',
      header: t('agents.col.puts'),
      width: '7.5rem',
      align: 'right',
      sortValue: (a) => a.estimated_puts_per_hour ?? -1,
      cell: (a) => (a.estimated_puts_per_hour === null ? <span className="text-faint">{a.state === 'no_heartbeat' ? '—' : t('agents.pending')}</span> : <span className="tabular">{fmt.number(a.estimated_puts_per_hour, 1)}</span>),
    },
  ];
}

function Agents({ u }: { u: Usage }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  return (
    <Card title={t('agents.title')} testId="agents" bodyClass="p-0">
      <DataTable
        label={t('agents.title')}
        columns={agentColumns(t, fmt)}
        rows={u.agents}
        rowKey={(a) => a.cluster}
        maxHeight={420}
        empty={<Empty title={t('agents.empty')} />}
      />
      {hasGap(u, 'agent_requests_unreported') && (
        <p className="flex items-start gap-2 border-t border-line px-4 py-2.5 text-xs text-muted" data-testid="agents-gap">
          <Info size={14} className="mt-px shrink-0 text-info" aria-hidden />
          {t('agents.gap')}
        </p>
      )}
    </Card>
  );
}

function Requests({ u }: { u: Usage }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const api = u.api;
  const rows = requestRows(api);
  const cond = conditionalAnswers(api);
  return (
    <Card title={t('requests.title')} className="xl:col-span-2" testId="requests" bodyClass="p-0">
      <p className="px-4 pt-3 text-xs text-muted" title={fmt.dateTime(api.started_at)}>
        {t('requests.since', { uptime: fmt.duration(api.uptime_seconds * 1000) })} · {t('requests.bytes', { in: fmt.bytes(api.total.bytes_in), out: fmt.bytes(api.total.bytes_out) })}
        {api.total.errors > 0 && <span className="text-warn"> · {t('requests.errors', { n: fmt.number(api.total.errors) })}</span>}
      </p>
      {api.per_hour ? (
        <div className="px-4 pt-2">
          <Bars
            label={t('requests.chart')}
            height={150}
            legend={false}
            data={rows.map((r) => ({ label: t(`requests.type.${r.type}`), perHour: r.perHour ?? 0 }))}
            series={[{ key: 'perHour', name: t('requests.col.perHour'), color: 0 }]}
            valueFormat={(v) => fmt.compact(v)}
          />
        </div>
      ) : (
        <p className="mx-4 mt-2 flex items-start gap-2 rounded border border-info/25 bg-info/10 px-3 py-2 text-xs text-info" data-testid="rate-pending">
          <Info size={14} className="mt-px shrink-0" aria-hidden />
          {t('requests.pending', { window: fmt.duration(api.window_seconds * 1000) })}
        </p>
      )}
      <table className="mt-2 w-full text-[13px]" aria-label={t('requests.title')}>
        <thead className="bg-surface-2 text-xs text-muted">
          <tr>
            <Th>{t('requests.col.type')}</Th>
            <Th right>{t('requests.col.total')}</Th>
            <Th right>{t('requests.col.perHour')}</Th>
            <Th right>{t('requests.col.price')}</Th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.type} className="border-t border-line" data-testid={`requests-${r.type}`}>
              <td className="px-4 py-1.5 font-mono text-xs">{t(`requests.type.${r.type}`)}</td>
              <td className="px-4 py-1.5 text-right tabular">{fmt.number(r.total)}</td>
              <td className="px-4 py-1.5 text-right tabular">{r.perHour === null ? '—' : fmt.number(r.perHour, 1)}</td>
              <td className="px-4 py-1.5 text-right text-xs text-muted">{t(`requests.price.${r.price}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="border-t border-line px-4 py-2.5 text-xs text-muted">
        {api.per_hour ? `${t('requests.window', { window: fmt.duration(api.window_seconds * 1000) })} · ` : ''}
        {t('requests.scope')}
      </p>
      <p className="border-t border-line px-4 py-2.5 text-xs text-muted" data-testid="requests-conditional">
        {t('requests.conditional', { notModified: fmt.number(cond.notModified), preconditionFailed: fmt.number(cond.preconditionFailed) })}
      </p>
    </Card>
  );
}

/** The item's inputs in the reader's language (the API's `basis` is English; it stays as the tooltip). */
function basisText(t: (k: string, o?: Record<string, unknown>) => string, fmt: Formatters, u: Usage, item: CostItem['item']): string {
  const b = costBasis(u, item);
  switch (b.item) {
    case 'storage':
      return t('cost.basis.storage', { bytes: fmt.bytes(b.bytes), objects: fmt.number(b.objects), time: fmt.dateTime(b.takenAt) });
    case 'agents':
      return t('cost.basis.agents', { agents: fmt.number(b.agents), rate: fmt.number(b.putsPerHour, 1), window: fmt.duration(b.windowSeconds * 1000) });
    case 'api':
      return t('cost.basis.api', { putList: fmt.number(b.putListPerHour, 1), get: fmt.number(b.getPerHour, 1), window: fmt.duration(b.windowSeconds * 1000) });
    case 'jobs':
      return t('cost.basis.jobs', {
        jobs: b.jobs.map((j) => t('cost.basis.jobRuns', { job: t(`jobs.name.${j.job}`, { defaultValue: j.job }), runs: fmt.number(j.runs), window: fmt.duration(j.windowSeconds * 1000) })).join('; '),
      });
  }
}

function Cost({ u }: { u: Usage }) {
  const { t } = useTranslation('system');
  const fmt = useFormat();
  const c = u.cost_estimate;
  const { items, unpriced } = costLines(u);
  return (
    <Card
      title={t('cost.title')}
      className="xl:col-span-3"
      testId="cost"
      bodyClass="p-0"
      actions={
        <Chip tone="info" title={t('cost.intro')}>
          {t('cost.badge')}
        </Chip>
      }
    >
      <p className="px-4 pt-3 text-xs text-muted">{t('cost.intro')}</p>
      <div className="overflow-x-auto">
        <table className="mt-2 w-full text-[13px]" aria-label={t('cost.title')}>
          <thead className="bg-surface-2 text-xs text-muted">
            <tr>
              <Th>{t('cost.col.item')}</Th>
              <Th right>{t('cost.col.storage')}</Th>
              <Th right>{t('cost.col.putList')}</Th>
              <Th right>{t('cost.col.get')}</Th>
              <Th right>{t('cost.col.usd')}</Th>
            </tr>
          </thead>
          <tbody>
            {items.map((it) => (
              <Fragment key={it.item}>
                <tr className="border-t border-line" data-testid={`cost-${it.item}`}>
                  <td className="px-4 pt-2 font-medium whitespace-nowrap">{t(`cost.item.${it.item}`)}</td>
                  <td className="px-4 pt-2 text-right tabular">{it.storage_gb ? fmt.number(it.storage_gb, 3) : '—'}</td>
                  <td className="px-4 pt-2 text-right tabular">{it.put_list_requests_per_month ? fmt.number(it.put_list_requests_per_month) : '—'}</td>
                  <td className="px-4 pt-2 text-right tabular">{it.get_requests_per_month ? fmt.number(it.get_requests_per_month) : '—'}</td>
                  <td className="px-4 pt-2 text-right font-medium tabular">{fmt.usd(it.usd_per_month)}</td>
                </tr>
                <tr>
                  <td colSpan={5} className="px-4 pt-0.5 pb-2 text-xs text-muted" title={it.basis}>
                    {basisText(t, fmt, u, it.item)}
                  </td>
                </tr>
              </Fragment>
            ))}
            {unpriced.map((i) => (
              <tr key={i} className="border-t border-line text-muted" data-testid={`cost-${i}`}>
                <td className="px-4 py-1.5">{t(`cost.item.${i}`)}</td>
                <td colSpan={4} className="px-4 py-1.5 text-right text-xs">
                  {t(`cost.unpriced.${i}`)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr className="border-t border-line-strong">
              <td className="px-4 py-2 font-semibold whitespace-nowrap">{t('cost.total')}</td>
              <td colSpan={3} />
              <td className="px-4 py-2 text-right text-base font-semibold tabular" data-testid="cost-total">
                {fmt.usd(c.total_usd)}
              </td>
            </tr>
            {c.per_cluster && (
              <tr className="border-t border-line" data-testid="cost-per-cluster">
                <td className="px-4 py-2 whitespace-nowrap" title={c.per_cluster.basis}>
                  {t('cost.perCluster')}
                </td>
                <td colSpan={3} className="px-4 py-2 text-xs text-muted" title={c.per_cluster.basis}>
                  {t('cost.perClusterBasis', { n: fmt.number(c.per_cluster.clusters) })}
                </td>
                <td className="px-4 py-2 text-right font-semibold tabular">{fmt.usd(c.per_cluster.usd_per_month)}</td>
              </tr>
            )}
          </tfoot>
        </table>
      </div>
      <div className="space-y-1 border-t border-line px-4 py-2.5 text-xs text-muted">
        <p>
          {t('cost.prices', {
            putList: fmt.usd(c.prices.put_list_per_1000),
            get: fmt.usd(c.prices.get_per_1000),
            storage: fmt.usd(c.prices.storage_per_gb_month),
            hours: fmt.number(c.hours_per_month),
          })}
        </p>
        <p>
          {t('cost.excludesTitle')}: {c.excludes.map((e) => t(`cost.excludes.${e}`)).join(' · ')}
        </p>
      </div>
    </Card>
  );
}
