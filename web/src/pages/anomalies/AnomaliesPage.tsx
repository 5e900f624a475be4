import { useMemo, useState } from 'react';
import { createPortal } from 'react-dom';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { TimeRangePicker } from '../../common/TimeRangePicker';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, ErrorState, Loading, NoMatches } from '../../common/States';
import { AnomalyStatusChip, Chip, SeverityBadge } from '../../common/Badge';
import { MultiSelect, SearchInput, Select } from '../../common/Inputs';
import { Tabs } from '../../common/Tabs';
import { Card } from '../../common/StatCard';
import { Drawer } from '../../common/Drawer';
import { KeyValue, Section } from '../../common/KeyValue';
import { LogTail } from '../../common/detail/JsonView';
import { TimeSeries } from '../../common/charts';
import { useFormat } from '../../lib/i18n/useFormat';
import { useClusterId, useUrlList, useUrlParam, useUrlText, useUrlTimeRange, useUrlUpdate } from '../../lib/url';
import { anomalySubject, anomalyStatus, objectLink, SEVERITIES, type Anomaly, type KEvent } from '../../lib/k8s';
import { trendRows } from '../cluster/hooks';
import { useAnomalies, useAnomaly, useEvents, useTrend, type AnomalyFilter, type EventFilter } from './hooks';

const KINDS = ['Pod', 'Node', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'PersistentVolumeClaim', 'Service'];

function AnomalyDrawer({ cluster, fingerprint, onClose }: { cluster: string; fingerprint: string | null; onClose: () => void }) {
  const { t } = useTranslation('anomalies');
  const fmt = useFormat();
  const q = useAnomaly(cluster, fingerprint);
  const a = q.data?.anomaly;
  const link = a ? objectLink(cluster, a.kind, a.namespace, a.name) : null;
  return (
    <Drawer open={!!fingerprint} onClose={onClose} title={a ? a.reason || a.rule : t('drawer.title')} subtitle={a ? anomalySubject(a) : undefined}>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : a ? (
        <>
          <Section title={t('drawer.summary')}>
            <div className="mb-3 flex flex-wrap gap-2">
              <SeverityBadge severity={a.severity} />
              <AnomalyStatusChip a={a} detail />
            </div>
            <KeyValue
              items={[
                [t('col.rule'), <span className="font-mono text-xs">{a.rule}</span>],
                [t('col.object'), link ? <Link className="text-accent hover:underline" to={link}>{anomalySubject(a)}</Link> : anomalySubject(a)],
                [t('col.node'), a.node],
                [t('col.message'), a.message],
                [t('col.firstSeen'), fmt.dateTime(a.first_seen)],
                [t('col.lastSeen'), fmt.dateTime(a.last_seen)],
                [t('col.count'), fmt.number(a.count ?? 1)],
                [t('drawer.exitCode'), a.exit_code != null ? String(a.exit_code) : undefined],
                [t('drawer.termReason'), a.termination_reason],
                [t('drawer.termMessage'), a.termination_message ? <span className="font-mono text-xs">{a.termination_message}</span> : undefined],
                [t('drawer.fingerprint'), <span className="font-mono text-xs break-all">{a.fingerprint}</span>],
              ]}
            />
          </Section>
          {(a.log_tail || a.rule.toLowerCase().includes('crash') || a.termination_reason) && (
            <Section title={t('drawer.logTail')}>
              <LogTail text={a.log_tail} />
            </Section>
          )}
          <Section title={t('drawer.transitions')}>
            <ol className="space-y-2 border-l border-line pl-4" data-testid="anomaly-transitions">
              {[...q.data.transitions].reverse().map((tr, i) => (
                <li key={tr.ts + i} className="text-[13px]">
                  <div className="flex items-center gap-2">
                    <Chip tone={tr.state === 'resolved' ? 'ok' : tr.state === 'open' ? 'crit' : 'info'}>{t(`state.${tr.state}`, { defaultValue: tr.state })}</Chip>
                    <time className="text-xs text-muted tabular">{fmt.dateTime(tr.ts)}</time>
                    {tr.count != null && <span className="text-xs text-faint">×{tr.count}</span>}
                  </div>
                  {tr.message && tr.message !== a.message && <p className="mt-0.5 text-xs text-muted">{tr.message}</p>}
                </li>
              ))}
            </ol>
          </Section>
        </>
      ) : null}
    </Drawer>
  );
}

function EventDrawer({ event, cluster, onClose }: { event: KEvent | null; cluster: string; onClose: () => void }) {
  const { t } = useTranslation('anomalies');
  const fmt = useFormat();
  const link = event ? objectLink(cluster, event.involved_kind, event.involved_namespace, event.involved_name) : null;
  return (
    <Drawer open={!!event} onClose={onClose} title={event?.reason ?? ''} subtitle={event ? `${event.involved_kind}/${event.involved_name}` : undefined} width="min(600px, 100vw)">
      {event && (
        <Section title={t('events.detail')}>
          <KeyValue
            cols={1}
            items={[
              [t('events.col.type'), <Chip tone={event.type === 'Warning' ? 'warn' : 'neutral'}>{event.type}</Chip>],
              [t('col.message'), event.message],
              [t('col.object'), link ? <Link className="text-accent hover:underline" to={link}>{`${event.involved_kind} ${event.involved_namespace ? `${event.involved_namespace}/` : ''}${event.involved_name}`}</Link> : `${event.involved_kind} ${event.involved_name}`],
              [t('col.count'), fmt.number(event.count ?? 1)],
              [t('col.firstSeen'), fmt.dateTime(event.first_seen)],
              [t('col.lastSeen'), fmt.dateTime(event.ts)],
              [t('events.col.source'), event.source],
            ]}
          />
        </Section>
      )}
    </Drawer>
  );
}

function AnomaliesView({ cluster, slot }: { cluster: string; slot: HTMLElement | null }) {
  const { t } = useTranslation('anomalies');
  const fmt = useFormat();
  const [range, setRange] = useUrlTimeRange({ kind: 'relative', preset: '24h', ms: 86_400_000 });
  const [state, setState] = useUrlParam('state', 'open');
  const [severity, setSeverity] = useUrlList('severity');
  const [ns, setNs] = useUrlParam('ns');
  const [kind, setKind] = useUrlParam('kind');
  const [urlText] = useUrlParam('q');
  const [selected, setSelected] = useUrlParam('a');
  const update = useUrlUpdate();
  const [text, setText] = useUrlText('q', 350);

  const filter: AnomalyFilter = useMemo(() => ({ state: (['open', 'resolved', 'any'].includes(state) ? state : 'open') as AnomalyFilter['state'], severity, namespace: ns, kind, q: urlText }), [state, severity, ns, kind, urlText]);
  const q = useAnomalies(cluster, filter, range);
  const trend = useTrend(cluster, range, severity);
  const rows = useMemo(() => trendRows(trend.data), [trend.data]);

  const columns: Column<Anomaly>[] = [
    { id: 'severity', header: t('col.severity'), width: '7rem', sortValue: (a) => ({ critical: 0, warning: 1, info: 2 })[a.severity] ?? 3, cell: (a) => <SeverityBadge severity={a.severity} /> },
    { id: 'state', header: t('col.state'), width: '10.5rem', sortValue: (a) => ({ open: 0, cleared: 1, resolved: 2 })[anomalyStatus(a)], cell: (a) => <AnomalyStatusChip a={a} />, title: (a) => (a.resolves_at && anomalyStatus(a) === 'cleared' ? t('common:anomaly.resolvesAt', { time: fmt.dateTime(a.resolves_at) }) : undefined) },
    { id: 'reason', header: t('col.reason'), width: 'minmax(11rem,1.3fr)', sortValue: (a) => a.reason || a.rule, cell: (a) => <span className="font-medium">{a.reason || a.rule}</span>, title: (a) => a.message },
    { id: 'object', header: t('col.object'), width: 'minmax(14rem,2fr)', sortValue: (a) => anomalySubject(a), cell: (a) => anomalySubject(a), title: (a) => anomalySubject(a) },
    { id: 'node', header: t('col.node'), width: 'minmax(8rem,1fr)', sortValue: (a) => a.node, cell: (a) => a.node || <span className="text-faint">—</span> },
    { id: 'count', header: t('col.count'), width: '5rem', align: 'right', sortValue: (a) => a.count, cell: (a) => fmt.number(a.count ?? 1) },
    { id: 'first', header: t('col.firstSeen'), width: '8rem', sortValue: (a) => Date.parse(a.first_seen ?? a.ts), cell: (a) => fmt.relative(a.first_seen), title: (a) => fmt.dateTime(a.first_seen) },
    { id: 'last', header: t('col.lastSeen'), width: '8rem', sortValue: (a) => Date.parse(a.last_seen ?? a.ts), cell: (a) => fmt.relative(a.last_seen), title: (a) => fmt.dateTime(a.last_seen) },
  ];

  return (
    <>
      <div className="flex flex-wrap items-center gap-2 border-b border-line bg-surface px-6 py-2.5" role="search">
        <SearchInput value={text} onChange={setText} placeholder={t('search')} label={t('search')} testId="anomalies-search" />
        <Select label={t('col.state')} value={filter.state} onChange={(v) => setState(v)} options={[['open', t('state.open')], ['resolved', t('state.resolved')], ['any', t('state.any')]]} testId="filter-state" />
        <MultiSelect label={t('col.severity')} values={severity} onChange={setSeverity} options={SEVERITIES.map((s) => [s])} testId="filter-severity" />
        <Select label={t('col.kind')} value={kind} onChange={(v) => setKind(v)} allLabel={t('allKinds')} options={KINDS.map((k) => [k, k])} />
        {ns && (
          <Chip tone="info">
            {t('common:field.namespace')}: {ns}
            <button type="button" className="ml-1" aria-label={t('common:action.clear')} onClick={() => setNs(null)}>
              ×
            </button>
          </Chip>
        )}
      </div>
      {slot &&
        createPortal(
          <>
            <TimeRangePicker value={range} onChange={setRange} />
            <RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching || trend.isFetching} onRefresh={() => void Promise.all([q.refetch(), trend.refetch()])} paused={range.kind === 'absolute'} asOf={q.data?.asOf} />
          </>,
          slot,
        )}
      <div className="flex min-h-0 flex-1 flex-col gap-4 overflow-y-auto p-6">
        <Card title={t('timeline')} testId="anomaly-timeline">
          {trend.isPending ? (
            <div className="skeleton h-[180px]" />
          ) : trend.error ? (
            <ErrorState error={trend.error} compact onRetry={() => void trend.refetch()} />
          ) : (
            <TimeSeries
              label={t('timeline')}
              kind="bar"
              stacked
              integer
              height={180}
              data={rows}
              series={[
                { key: 'critical', name: t('common:severity.critical'), color: 'crit' },
                { key: 'warning', name: t('common:severity.warning'), color: 'warn' },
                { key: 'info', name: t('common:severity.info'), color: 'info' },
              ]}
              xFormat={(x) => (rows.length > 1 && rows[rows.length - 1].t - rows[0].t > 2 * 86_400_000 ? fmt.shortDateTime(x) : fmt.time(x, false))}
              tooltipTime={(x) => fmt.shortDateTime(x)}
              yFormat={(v) => fmt.number(v)}
            />
          )}
        </Card>
        <section className="card flex min-h-[28rem] flex-col" aria-label={t('tab.anomalies')}>
          {q.isPending ? (
            <Loading />
          ) : q.error && !q.data ? (
            <ErrorState error={q.error} onRetry={() => void q.refetch()} />
          ) : (
            <DataTable
              label={t('tab.anomalies')}
              columns={columns}
              rows={q.data?.items ?? []}
              rowKey={(a) => a.fingerprint}
              onRowClick={(a) => setSelected(a.fingerprint, { push: true })}
              selectedKey={selected}
              empty={
                urlText || severity.length || kind || ns ? (
                  <NoMatches onClear={() => { setText(''); update({ q: null, severity: null, kind: null, ns: null }); }} />
                ) : (
                  <Empty title={filter.state === 'open' ? t('emptyOpen') : t('empty')} description={t('emptyHint')} />
                )
              }
            />
          )}
        </section>
      </div>
      <AnomalyDrawer cluster={cluster} fingerprint={selected || null} onClose={() => setSelected(null, { push: true })} />
    </>
  );
}

function EventsView({ cluster, slot }: { cluster: string; slot: HTMLElement | null }) {
  const { t } = useTranslation('anomalies');
  const fmt = useFormat();
  const [range, setRange] = useUrlTimeRange({ kind: 'relative', preset: '24h', ms: 86_400_000 });
  const [type, setType] = useUrlParam('type');
  const [ns, setNs] = useUrlParam('ns');
  const [kind, setKind] = useUrlParam('kind');
  const [reason, setReason] = useUrlParam('reason');
  const [urlText] = useUrlParam('q');
  const [text, setText] = useUrlText('q', 350);
  const [sel, setSel] = useState<KEvent | null>(null);
  const filter: EventFilter = useMemo(() => ({ type: (type === 'Normal' || type === 'Warning' ? type : '') as EventFilter['type'], namespace: ns, reason, kind, q: urlText }), [type, ns, reason, kind, urlText]);
  const q = useEvents(cluster, filter, range, true);
  const reasons = useMemo(() => [...new Set((q.data?.items ?? []).map((e) => e.reason).filter(Boolean) as string[])].sort(), [q.data]);

  const columns: Column<KEvent>[] = [
    { id: 'last', header: t('col.lastSeen'), width: '8.5rem', sortValue: (e) => -Date.parse(e.ts), cell: (e) => fmt.relative(e.ts), title: (e) => fmt.dateTime(e.ts) },
    { id: 'type', header: t('events.col.type'), width: '6.5rem', sortValue: (e) => e.type, cell: (e) => <Chip tone={e.type === 'Warning' ? 'warn' : 'neutral'}>{e.type}</Chip> },
    { id: 'reason', header: t('col.reason'), width: 'minmax(9rem,1fr)', sortValue: (e) => e.reason, cell: (e) => <span className="font-medium">{e.reason}</span> },
    {
      id: 'object',
      header: t('col.object'),
      width: 'minmax(12rem,1.5fr)',
      sortValue: (e) => `${e.involved_kind}/${e.involved_name}`,
      cell: (e) => `${e.involved_kind ?? ''} ${e.involved_namespace ? `${e.involved_namespace}/` : ''}${e.involved_name ?? ''}`,
      title: (e) => `${e.involved_kind ?? ''} ${e.involved_namespace ?? ''}/${e.involved_name ?? ''}`,
    },
    { id: 'message', header: t('col.message'), width: 'minmax(16rem,3fr)', sortValue: (e) => e.message, cell: (e) => <span className="text-muted">{e.message}</span>, title: (e) => e.message },
    { id: 'count', header: t('col.count'), width: '5rem', align: 'right', sortValue: (e) => e.count, cell: (e) => fmt.number(e.count ?? 1) },
  ];

  return (
    <>
      <div className="flex flex-wrap items-center gap-2 border-b border-line bg-surface px-6 py-2.5" role="search">
        <SearchInput value={text} onChange={setText} placeholder={t('events.search')} label={t('events.search')} testId="events-search" />
        <Select label={t('events.col.type')} value={type} onChange={(v) => setType(v)} allLabel={t('events.allTypes')} options={[['Warning', 'Warning'], ['Normal', 'Normal']]} testId="filter-type" />
        <Select label={t('col.reason')} value={reason} onChange={(v) => setReason(v)} allLabel={t('events.allReasons')} options={reasons.map((r) => [r, r])} />
        <Select label={t('col.kind')} value={kind} onChange={(v) => setKind(v)} allLabel={t('allKinds')} options={KINDS.map((k) => [k, k])} />
        {ns && (
          <Chip tone="info">
            {t('common:field.namespace')}: {ns}
            <button type="button" className="ml-1" aria-label={t('common:action.clear')} onClick={() => setNs(null)}>
              ×
            </button>
          </Chip>
        )}
      </div>
      {slot &&
        createPortal(
          <>
            <TimeRangePicker value={range} onChange={setRange} />
            <RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} paused={range.kind === 'absolute'} asOf={q.data?.asOf} />
          </>,
          slot,
        )}
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        {q.isPending ? (
          <Loading />
        ) : q.error && !q.data ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <DataTable
            label={t('tab.events')}
            columns={columns}
            rows={q.data?.items ?? []}
            rowKey={(e) => `${e.uid ?? e.name}-${e.ts}`}
            onRowClick={setSel}
            rowTone={(e) => (e.type === 'Warning' ? '' : undefined)}
            empty={<Empty title={t('events.empty')} description={t('events.emptyHint')} />}
          />
        )}
      </div>
      <EventDrawer event={sel} cluster={cluster} onClose={() => setSel(null)} />
    </>
  );
}

export default function AnomaliesPage() {
  const { t } = useTranslation('anomalies');
  const cluster = useClusterId();
  const [view] = useUrlParam('view', 'anomalies');
  const update = useUrlUpdate();
  // The active view renders its time range and refresh controls into the header.
  const [slot, setSlot] = useState<HTMLElement | null>(null);
  return (
    <>
      <PageHeader title={t('title')} description={t('description')} actions={<div ref={setSlot} className="flex flex-wrap items-center gap-2" />}>
        <Tabs
          label={t('title')}
          value={view}
          onChange={(v) => update({ view: v === 'anomalies' ? null : v, q: null, kind: null, type: null, reason: null, state: null, severity: null, a: null }, { push: true })}
          tabs={[
            { id: 'anomalies', label: t('tab.anomalies') },
            { id: 'events', label: t('tab.events') },
          ]}
          className="-mb-3"
        />
      </PageHeader>
      {view === 'events' ? <EventsView cluster={cluster} slot={slot} /> : <AnomaliesView cluster={cluster} slot={slot} />}
    </>
  );
}
