import { useMemo } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, NoMatches, QueryView } from '../../common/States';
import { Chip } from '../../common/Badge';
import { kindFields, metaColumns, objectColumn } from '../../common/columns';
import { SearchInput } from '../../common/Inputs';
import { UsageBar } from '../../common/UsageBar';
import { AtBanner } from '../../common/AtBanner';
import { useObjects } from '../../common/resource';
import { ObjectDrawer } from '../../common/detail/ObjectDrawer';
import { api } from '../../lib/api';
import { useFormat } from '../../lib/i18n/useFormat';
import { useRefetchInterval } from '../../lib/refresh';
import { closeDrawer, useAt, useClusterId, useUrlParam, useUrlUpdate } from '../../lib/url';
import { kindByResource, type KObject } from '../../lib/k8s';
import { namespaceRows, type NamespaceRow } from './logic';
import { unhealthyWorkloads } from '../../lib/k8s/summary';

const info = kindByResource('namespaces')!;

export default function NamespacesPage() {
  const { t } = useTranslation('namespaces');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const atIso = at === null ? null : new Date(at).toISOString();
  const refetchInterval = useRefetchInterval(at !== null);
  const nsQ = useObjects<KObject>('namespaces', cluster, atIso);
  const quotasQ = useObjects<KObject>('resourcequotas', cluster, atIso);
  const lrQ = useObjects<KObject>('limitranges', cluster, atIso);
  const sumQ = useQuery({ queryKey: ['ns-summaries', cluster], queryFn: ({ signal }) => api.namespaceSummaries(cluster, signal), refetchInterval, enabled: !!cluster && at === null });
  const [text, setText] = useUrlParam('q');
  const [sel, setSel] = useUrlParam('obj');
  const update = useUrlUpdate();

  const all = useMemo(
    () => namespaceRows(nsQ.data?.items ?? [], at === null ? (sumQ.data?.items ?? []) : [], quotasQ.data?.items ?? [], lrQ.data?.items ?? []),
    [nsQ.data, sumQ.data, quotasQ.data, lrQ.data, at],
  );
  const rows = useMemo(() => {
    const s = text.toLowerCase().trim();
    return s ? all.filter((r) => r.name.includes(s)) : all;
  }, [all, text]);

  const m = metaColumns<NamespaceRow>(t, fmt, at);
  const columns: Column<NamespaceRow>[] = [
    { ...m.name, width: 'minmax(12rem,1.6fr)' },
    objectColumn<NamespaceRow>('phase', t, fmt),
    {
      id: 'pods',
      header: t('col.pods'),
      width: '7rem',
      align: 'right',
      sortValue: (r) => r.summary?.pods?.total,
      cell: (r) => (r.summary ? `${fmt.number(r.summary.pods?.running ?? 0)}/${fmt.number(r.summary.pods?.total ?? 0)}` : '—'),
    },
    {
      id: 'bad',
      header: t('col.podsBad'),
      width: '7rem',
      align: 'right',
      sortValue: (r) => (r.summary?.pods?.pending ?? 0) + (r.summary?.pods?.failed ?? 0),
      cell: (r) => {
        const n = (r.summary?.pods?.pending ?? 0) + (r.summary?.pods?.failed ?? 0);
        return <span className={n ? 'text-warn' : 'text-faint'}>{fmt.number(n)}</span>;
      },
    },
    { id: 'services', header: t('col.services'), width: '6rem', align: 'right', sortValue: (r) => r.summary?.services, cell: (r) => fmt.number(r.summary?.services ?? 0) },
    { id: 'restarts', header: t('col.restarts'), width: '6rem', align: 'right', sortValue: (r) => r.summary?.pods?.restarts, cell: (r) => fmt.number(r.summary?.pods?.restarts ?? 0) },
    {
      id: 'workloads',
      header: t('col.workloads'),
      width: '7rem',
      align: 'right',
      sortValue: (r) => r.summary?.workloads?.total,
      cell: (r) => (r.summary ? <span className={unhealthyWorkloads(r.summary.workloads) > 0 ? 'text-warn' : ''}>{`${fmt.number(r.summary.workloads?.healthy ?? 0)}/${fmt.number(r.summary.workloads?.total ?? 0)}`}</span> : '—'),
    },
    {
      id: 'anomalies',
      header: t('col.anomalies'),
      width: '7rem',
      align: 'right',
      sortValue: (r) => r.summary?.anomalies?.open,
      cell: (r) => ((r.summary?.anomalies?.open ?? 0) > 0 ? <Chip tone="warn">{fmt.number(r.summary?.anomalies?.open)}</Chip> : <span className="text-faint">0</span>),
    },
    {
      id: 'quota',
      header: t('col.quota'),
      width: '9rem',
      sortValue: (r) => r.quotaMax,
      cell: (r) => (r.quotaMax === null ? <span className="text-faint">{t('noQuota')}</span> : <UsageBar compact label={t('col.quota')} ratio={r.quotaMax} text={fmt.percent(r.quotaMax, 0)} />),
    },
    m.age,
  ];

  const selected = all.find((r) => r.name === sel);
  return (
    <>
      <PageHeader title={t('title')} description={t('description')} actions={<RefreshControl updatedAt={nsQ.dataUpdatedAt} fetching={nsQ.isFetching || sumQ.isFetching} onRefresh={() => void Promise.all([nsQ.refetch(), sumQ.refetch(), quotasQ.refetch()])} paused={at !== null} asOf={nsQ.data?.asOf} />}>
        <SearchInput value={text} onChange={(v) => setText(v)} placeholder={t('search')} label={t('search')} testId="namespaces-search" />
      </PageHeader>
      <AtBanner />
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        <QueryView query={nsQ}>
          {() => (
            <DataTable
              label={t('title')}
              columns={columns}
              rows={rows}
              rowKey={(r) => r.uid}
              onRowClick={(r) => setSel(r.name, { push: true })}
              selectedKey={selected?.uid}
              total={all.length}
              empty={all.length ? <NoMatches onClear={() => setText('')} /> : <Empty title={t('empty')} />}
            />
          )}
        </QueryView>
      </div>
      <ObjectDrawer<KObject>
        resource="namespaces"
        kindLabel="Namespace"
        cluster={cluster}
        objectKey={sel ? { namespace: '', name: sel } : null}
        at={atIso}
        onClose={() => update(closeDrawer('obj'), { push: true })}
        summary={(o) => {
          const r = selected;
          if (!r) return [];
          return [
            {
              title: t('drawer.counts'),
              testId: 'kind-fields',
              items: [
                ...kindFields(info, o, t, fmt),
                [t('col.pods'), r.summary ? t('drawer.pods', { running: r.summary.pods?.running ?? 0, total: r.summary.pods?.total ?? 0, pending: r.summary.pods?.pending ?? 0, failed: r.summary.pods?.failed ?? 0 }) : '—'],
                [t('col.workloads'), r.summary ? t('drawer.workloads', { healthy: r.summary.workloads?.healthy ?? 0, total: r.summary.workloads?.total ?? 0 }) : '—'],
                [t('col.anomalies'), fmt.number(r.summary?.anomalies?.open ?? 0)],
                [t('drawer.limitRanges'), fmt.number(r.limitRanges)],
                [
                  t('drawer.links'),
                  <span className="flex gap-3">
                    <Link className="text-accent hover:underline" to={`/c/${cluster}/pods?ns=${encodeURIComponent(r.name)}`}>
                      {t('col.pods')}
                    </Link>
                    <Link className="text-accent hover:underline" to={`/c/${cluster}/workloads?ns=${encodeURIComponent(r.name)}`}>
                      {t('col.workloads')}
                    </Link>
                    <Link className="text-accent hover:underline" to={`/c/${cluster}/anomalies?ns=${encodeURIComponent(r.name)}`}>
                      {t('col.anomalies')}
                    </Link>
                  </span>,
                ],
              ],
            },
            {
              title: t('drawer.quotas'),
              body: r.quotas.length ? (
                <ul className="space-y-2.5" data-testid="quota-lines">
                  {r.quotas.map((l) => (
                    <li key={l.quota + l.resource}>
                      <UsageBar label={`${l.resource} (${l.quota})`} ratio={l.ratio} text={`${l.used} / ${l.hard}`} />
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-[13px] text-muted">{t('drawer.noQuotas')}</p>
              ),
            },
          ];
        }}
      />
    </>
  );
}
