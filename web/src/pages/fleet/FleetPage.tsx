import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { AlertOctagon, Box, Server, Globe } from 'lucide-react';
import { PageHeader, PageBody } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { StatCard } from '../../common/StatCard';
import { QueryView, Empty, NoMatches } from '../../common/States';
import { DataTable, type Column } from '../../common/DataTable';
import { Chip, Dot, StatusBadge } from '../../common/Badge';
import { SearchInput } from '../../common/Inputs';
import { UsageBar } from '../../common/UsageBar';
import { useFormat } from '../../lib/i18n/useFormat';
import { healthTone } from '../../lib/k8s/anomalies';
import { useUrlParam } from '../../lib/url';
import { fleetAsOf, fleetRows, useFleet, type FleetRow } from './hooks';
import { livenessKey, livenessTone, reasonText, useReasonFormat } from './health';

export default function FleetPage() {
  const { t } = useTranslation('fleet');
  const fmt = useFormat();
  const fmtReason = useReasonFormat();
  const nav = useNavigate();
  const q = useFleet();
  const [text, setText] = useUrlParam('q');
  const [sortState, setSort] = useState<{ id: string; desc: boolean }>({ id: 'health', desc: false });

  const rows = useMemo(() => fleetRows(q.data?.clusters ?? []), [q.data]);
  const shown = useMemo(() => {
    const s = text.toLowerCase().trim();
    return s ? rows.filter((r) => r.id.toLowerCase().includes(s) || r.c.health.status.includes(s)) : rows;
  }, [rows, text]);

  const columns: Column<FleetRow>[] = [
    {
      id: 'cluster',
      header: t('col.cluster'),
      width: 'minmax(10rem,1.2fr)',
      sortValue: (r) => r.id,
      cell: (r) => (
        <span className="flex items-center gap-2 font-medium" title={t(livenessKey(r.c.status))}>
          <Dot tone={livenessTone(r.c.status)} />
          <span className="truncate">{r.id}</span>
          {r.c.status === 'offline' && <Chip tone="crit" className="shrink-0">{t('offline')}</Chip>}
          {r.c.status === 'stale' && <Chip tone="warn" className="shrink-0">{t('stale')}</Chip>}
        </span>
      ),
    },
    {
      id: 'health',
      header: t('col.health'),
      width: 'minmax(13rem,2fr)',
      sortValue: (r) => r.healthRank,
      cell: (r) => (
        <span className="flex min-w-0 items-center gap-2" data-testid={`health-${r.id}`} data-status={r.c.health.status}>
          <StatusBadge status={{ label: t(`health.${r.c.health.status}`, { defaultValue: r.c.health.status }), tone: healthTone(r.c.health.status) }} />
          <span className="truncate text-xs text-muted" data-testid="health-reason">
            {r.c.health.reasons[0] ? reasonText(t, fmtReason, r.c.health.reasons[0], r.c) : ''}
          </span>
        </span>
      ),
      title: (r) => r.c.health.reasons.map((x) => reasonText(t, fmtReason, x, r.c)).join('\n'),
    },
    { id: 'nodes', header: t('col.nodes'), width: '6.5rem', align: 'right', sortValue: (r) => r.nodesTotal, cell: (r) => <span className={r.nodesReady < r.nodesTotal ? 'text-warn' : ''}>{`${fmt.number(r.nodesReady)}/${fmt.number(r.nodesTotal)}`}</span> },
    {
      id: 'pods',
      header: t('col.pods'),
      width: '7.5rem',
      align: 'right',
      sortValue: (r) => r.podsTotal,
      cell: (r) => <span className={r.podsBad ? 'text-warn' : ''}>{`${fmt.number(r.podsRunning)}/${fmt.number(r.podsTotal)}`}</span>,
      title: (r) => `${t('podsTitle', { bad: r.podsBad })} · ${t('stat.podsTrouble', { notReady: r.podsNotReady, crashLooping: r.podsCrashLooping })}`,
    },
    {
      id: 'anomalies',
      header: t('col.anomalies'),
      width: '9.5rem',
      sortValue: (r) => r.critical * 1e6 + r.warning * 1e3 + r.info,
      title: (r) => [t('sev.critical', { count: r.critical }), t('sev.warning', { count: r.warning }), t('sev.info', { count: r.info })].join(' · '),
      cell: (r) =>
        r.critical + r.warning + r.info === 0 ? (
          <span className="text-faint">{t('none')}</span>
        ) : (
          <span className="flex gap-1 tabular">
            {r.critical > 0 && <Chip tone="crit" className="px-1.5">{fmt.number(r.critical)}</Chip>}
            {r.warning > 0 && <Chip tone="warn" className="px-1.5">{fmt.number(r.warning)}</Chip>}
            {r.info > 0 && <Chip tone="info" className="px-1.5">{fmt.number(r.info)}</Chip>}
          </span>
        ),
    },
    { id: 'cpu', header: t('col.cpu'), width: '6.5rem', sortValue: (r) => r.cpu, cell: (r) => <UsageBar compact label={t('col.cpu')} ratio={r.cpu} text={fmt.percent(r.cpu, 0)} /> },
    { id: 'mem', header: t('col.mem'), width: '6.5rem', sortValue: (r) => r.mem, cell: (r) => <UsageBar compact label={t('col.mem')} ratio={r.mem} text={fmt.percent(r.mem, 0)} /> },
    {
      id: 'heartbeat',
      header: t('col.heartbeat'),
      width: '8.5rem',
      sortValue: (r) => r.c.heartbeat_age_seconds,
      cell: (r) => <span className={r.c.status === 'online' ? 'text-muted' : r.c.status === 'stale' ? 'text-warn' : 'text-crit'}>{r.c.last_heartbeat ? fmt.relative(r.c.last_heartbeat) : '—'}</span>,
      title: (r) => `${fmt.dateTime(r.c.last_heartbeat)} · ${t('col.agent')} ${r.c.agent_version ?? '—'}`,
    },
  ];

  const totals = q.data?.totals;
  const trouble = useMemo(() => rows.reduce((a, r) => ({ notReady: a.notReady + r.podsNotReady, crashLooping: a.crashLooping + r.podsCrashLooping }), { notReady: 0, crashLooping: 0 }), [rows]);
  const asOf = useMemo(() => fleetAsOf(q.data?.clusters ?? []), [q.data]);
  return (
    <>
      <PageHeader title={t('title')} description={t('description')} actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} asOf={asOf} />} />
      <PageBody className="flex flex-col gap-5">
        <QueryView query={q}>
          {() => (
            <>
              <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="fleet-totals">
                <StatCard
                  label={t('stat.clusters')}
                  icon={<Globe size={16} aria-hidden />}
                  value={fmt.number(totals?.clusters)}
                  sub={t('stat.clustersSub', { online: fmt.number(totals?.online ?? 0), offline: fmt.number(totals?.offline ?? 0) })}
                  tone={(totals?.offline ?? 0) > 0 ? 'warn' : undefined}
                />
                <StatCard
                  label={t('stat.nodes')}
                  icon={<Server size={16} aria-hidden />}
                  value={fmt.number(totals?.nodes)}
                  sub={t('stat.nodesSub', { ready: fmt.number(totals?.nodes_ready ?? 0) })}
                  tone={(totals?.nodes_ready ?? 0) < (totals?.nodes ?? 0) ? 'warn' : undefined}
                />
                <StatCard
                  label={t('stat.pods')}
                  icon={<Box size={16} aria-hidden />}
                  value={fmt.compact(totals?.pods)}
                  sub={
                    <>
                      <span className={`block ${trouble.crashLooping ? 'text-crit' : trouble.notReady ? 'text-warn' : ''}`}>{t('stat.podsTrouble', { notReady: fmt.number(trouble.notReady), crashLooping: fmt.number(trouble.crashLooping) })}</span>
                      <span className="block">{t('stat.podsSub', { running: fmt.number(totals?.pods_running ?? 0), pending: fmt.number(totals?.pods_pending ?? 0), failed: fmt.number(totals?.pods_failed ?? 0) })}</span>
                    </>
                  }
                  tone={trouble.crashLooping > 0 ? 'crit' : trouble.notReady > 0 || (totals?.pods_failed ?? 0) > 0 ? 'warn' : undefined}
                  testId="stat-pods"
                />
                <StatCard
                  label={t('stat.anomalies')}
                  icon={<AlertOctagon size={16} aria-hidden />}
                  value={fmt.number(totals?.anomalies_open)}
                  sub={t('stat.anomaliesSub', { critical: fmt.number(totals?.anomalies_critical ?? 0) })}
                  tone={(totals?.anomalies_critical ?? 0) > 0 ? 'crit' : (totals?.anomalies_open ?? 0) > 0 ? 'warn' : 'ok'}
                />
              </div>
              <section className="card flex min-h-0 flex-col" aria-label={t('clusters')}>
                <div className="flex items-center gap-3 border-b border-line px-4 py-2.5">
                  <h2 className="text-sm font-semibold">{t('clusters')}</h2>
                  <div className="flex-1" />
                  <SearchInput value={text} onChange={(v) => setText(v)} placeholder={t('search')} label={t('search')} />
                </div>
                <DataTable
                  label={t('clusters')}
                  columns={columns}
                  rows={shown}
                  rowKey={(r) => r.id}
                  onRowClick={(r) => nav(`/c/${encodeURIComponent(r.id)}`)}
                  sort={sortState}
                  onSortChange={setSort}
                  total={rows.length}
                  maxHeight={640}
                  empty={rows.length === 0 ? <Empty title={t('empty')} description={t('emptyHint')} /> : <NoMatches onClear={() => setText('')} />}
                />
              </section>
            </>
          )}
        </QueryView>
      </PageBody>
    </>
  );
}
