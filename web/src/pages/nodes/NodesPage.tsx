import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, NoMatches, QueryView } from '../../common/States';
import { Chip, LabelChips, StatusBadge } from '../../common/Badge';
import { SearchInput, Select } from '../../common/Inputs';
import { UsageBar } from '../../common/UsageBar';
import { AtBanner, NoDataBefore } from '../../common/AtBanner';
import { Drawer } from '../../common/Drawer';
import { Tabs } from '../../common/Tabs';
import { KeyValue, Section } from '../../common/KeyValue';
import { ErrorState, Loading } from '../../common/States';
import { ConditionsSection, DETAIL_TABS, DetailPanel, detailTabs, MetadataSection } from '../../common/detail/sections';
import { useFormat } from '../../lib/i18n/useFormat';
import { closeDrawer, useAt, useClusterId, useUrlParam, useUrlUpdate } from '../../lib/url';
import { metaColumns } from '../../common/columns';
import { nodePressures, nodeRoles, nodeStatus, type Node } from '../../lib/k8s';
import type { NodeUsage } from '../cluster/hooks';
import { ActionBar } from '../../common/ops/ActionBar';
import { useNode, useNodes, useNodeUsage } from './hooks';

function NodeDrawer({ cluster, name, at, usage, onClose }: { cluster: string; name: string | null; at: string | null; usage?: NodeUsage; onClose: () => void }) {
  const { t } = useTranslation('nodes');
  const tc = useTranslation('common').t;
  const fmt = useFormat();
  const [tabRaw, setTab] = useUrlParam('tab', 'overview');
  const tab = tabRaw === 'overview' || DETAIL_TABS.includes(tabRaw) ? tabRaw : 'overview';
  const q = useNode(cluster, name, at);
  const n = q.data?.object as Node | undefined;
  return (
    <Drawer open={!!name} onClose={onClose} title={name ?? ''} subtitle={<span className="flex items-center gap-2">{t('kind')} {n && <StatusBadge status={nodeStatus(n)} />}</span>}>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : n ? (
        <>
          {!at && !q.data.deleted && name && <ActionBar cluster={cluster} target={{ kind: 'Node', name }} />}
          <Tabs
            tabs={[{ id: 'overview', label: t('tab.overview') }, ...detailTabs(tc, q.data)]}
            value={tab}
            onChange={(v) => setTab(v)}
            label={t('tabs')}
            className="px-3"
          >
            {tab === 'overview' && (
              <>
                <Section title={t('usage')} actions={<Link className="text-xs text-accent hover:underline" to={`/c/${cluster}/metrics?node=${encodeURIComponent(n.name)}`}>{t('openMetrics')}</Link>}>
                  <div className="grid gap-4 sm:grid-cols-2">
                    <UsageBar label={t('cpuUsage')} ratio={usage?.cpu ?? null} text={fmt.percent(usage?.cpu, 0)} />
                    <UsageBar label={t('memUsage')} ratio={usage?.mem ?? null} text={usage?.memUsed != null ? `${fmt.bytes(usage.memUsed)} / ${fmt.bytes(usage.memTotal)}` : '—'} />
                  </div>
                  {!usage && <p className="mt-2 text-xs text-muted">{t('noMetrics')}</p>}
                </Section>
                <Section title={t('capacity')}>
                  <KeyValue
                    items={[
                      [t('cpuAlloc'), `${fmt.cpu(n.cpu_allocatable_milli)} / ${fmt.cpu(n.cpu_capacity_milli)}`],
                      [t('memAlloc'), `${fmt.bytes(n.mem_allocatable_bytes)} / ${fmt.bytes(n.mem_capacity_bytes)}`],
                      [t('podsAlloc'), `${fmt.number(n.pods_allocatable)} / ${fmt.number(n.pods_capacity)}`],
                    ]}
                  />
                </Section>
                <Section title={t('info')}>
                  <KeyValue
                    items={[
                      [t('col.roles'), nodeRoles(n)],
                      [t('internalIp'), n.internal_ip ? <span className="font-mono">{n.internal_ip}</span> : undefined],
                      [t('col.kubelet'), n.kubelet_version],
                      [t('os'), n.os_image],
                      [t('kernel'), n.kernel_version],
                      [t('runtime'), n.container_runtime],
                      [t('arch'), n.architecture],
                      [t('col.zone'), n.zone],
                      [t('instanceType'), n.instance_type],
                      [t('pods'), <Link className="text-accent hover:underline" to={`/c/${cluster}/pods?node=${encodeURIComponent(n.name)}`}>{t('podsOnNode')}</Link>],
                    ]}
                  />
                </Section>
                <ConditionsSection
                  detail={q.data.detail}
                  title={t('conditions')}
                  badTone="crit"
                  testId="node-conditions"
                  fallback={[
                    { type: 'Ready', status: n.ready ? 'True' : (n.ready_status ?? 'False'), reason: n.ready_reason },
                    ...['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'].map((type) => ({ type, status: nodePressures(n).includes(type) ? 'True' : 'False' })),
                  ]}
                />
                <Section title={t('taints')}>
                  {n.taints?.length ? (
                    <LabelChips labels={n.taints.map((x) => `${x.key}${x.value ? `=${x.value}` : ''}:${x.effect}`)} max={20} />
                  ) : (
                    <p className="text-[13px] text-muted">{t('noTaints')}</p>
                  )}
                  {n.unschedulable && <p className="mt-2 text-[13px] text-warn">{t('cordoned')}</p>}
                </Section>
                <MetadataSection cluster={cluster} o={n} detail={q.data.detail} />
            </>
          )}
          <DetailPanel tab={tab} cluster={cluster} resource="nodes" data={q.data} at={at} />
        </Tabs>
        </>
      ) : null}
    </Drawer>
  );
}

export default function NodesPage() {
  const { t } = useTranslation('nodes');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const atIso = at === null ? null : new Date(at).toISOString();
  const q = useNodes(cluster, atIso);
  const usage = useNodeUsage(cluster);
  const [text, setText] = useUrlParam('q');
  const [status, setStatus] = useUrlParam('status');
  const [selected, setSelected] = useUrlParam('node');
  const update = useUrlUpdate();

  const all = q.data?.items;
  const rows = useMemo(() => {
    const s = text.toLowerCase().trim();
    return (all ?? []).filter((n) => {
      if (status === 'ready' && !n.ready) return false;
      if (status === 'notready' && n.ready) return false;
      if (status === 'cordoned' && !n.unschedulable) return false;
      if (status === 'pressure' && nodePressures(n).length === 0) return false;
      if (s && !`${n.name} ${n.internal_ip ?? ''} ${n.roles?.join(' ') ?? ''} ${n.zone ?? ''} ${n.kubelet_version ?? ''}`.toLowerCase().includes(s)) return false;
      return true;
    });
  }, [all, text, status]);

  const m = metaColumns<Node>(t, fmt, at);
  const columns: Column<Node>[] = [
    m.name,
    {
      id: 'status',
      header: t('col.status'),
      width: 'minmax(9rem,1.3fr)',
      sortValue: (n) => nodeStatus(n).label,
      cell: (n) => (
        <span className="flex items-center gap-1">
          <StatusBadge status={nodeStatus(n)} />
          {nodePressures(n).map((p) => (
            <Chip key={p} tone="warn" title={p}>
              {p.replace('Pressure', '')}
            </Chip>
          ))}
        </span>
      ),
    },
    { id: 'roles', header: t('col.roles'), width: 'minmax(7rem,1fr)', sortValue: (n) => nodeRoles(n), cell: (n) => <span className="text-muted">{nodeRoles(n)}</span> },
    { id: 'cpu', header: t('col.cpu'), width: '8rem', sortValue: (n) => usage.get(n.name)?.cpu, cell: (n) => <UsageBar compact label={t('col.cpu')} ratio={usage.get(n.name)?.cpu ?? null} text={fmt.percent(usage.get(n.name)?.cpu, 0)} /> },
    { id: 'mem', header: t('col.mem'), width: '8rem', sortValue: (n) => usage.get(n.name)?.mem, cell: (n) => <UsageBar compact label={t('col.mem')} ratio={usage.get(n.name)?.mem ?? null} text={fmt.percent(usage.get(n.name)?.mem, 0)} /> },
    { id: 'alloc', header: t('col.alloc'), width: '10rem', align: 'right', sortValue: (n) => n.cpu_allocatable_milli, cell: (n) => `${fmt.cpu(n.cpu_allocatable_milli)} · ${fmt.bytes(n.mem_allocatable_bytes, 0)}` },
    { id: 'taints', header: t('col.taints'), width: '5rem', align: 'right', sortValue: (n) => n.taints?.length ?? 0, cell: (n) => fmt.number(n.taints?.length ?? 0) },
    { id: 'kubelet', header: t('col.kubelet'), width: '7rem', sortValue: (n) => n.kubelet_version, cell: (n) => <span className="font-mono text-xs">{n.kubelet_version}</span> },
    { id: 'zone', header: t('col.zone'), width: '8rem', sortValue: (n) => n.zone, cell: (n) => n.zone || '—' },
    m.age,
  ];

  return (
    <>
      <PageHeader title={t('title')} description={t('description')} actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} paused={at !== null} asOf={q.data?.asOf} />}>
        <div className="flex flex-wrap items-center gap-2" role="search">
          <SearchInput value={text} onChange={(v) => setText(v)} placeholder={t('search')} label={t('search')} testId="nodes-search" />
          <Select
            label={t('col.status')}
            value={status}
            onChange={(v) => setStatus(v)}
            allLabel={t('status.all')}
            options={[
              ['ready', t('status.ready')],
              ['notready', t('status.notready')],
              ['cordoned', t('status.cordoned')],
              ['pressure', t('status.pressure')],
            ]}
          />
        </div>
      </PageHeader>
      <AtBanner historyStartsAt={q.data?.historyStartsAt} />
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        <QueryView query={q}>
          {() => (
            <DataTable
              label={t('title')}
              columns={columns}
              rows={rows}
              rowKey={(n) => n.uid || n.name}
              onRowClick={(n) => setSelected(n.name, { push: true })}
              selectedKey={all?.find((n) => n.name === selected)?.uid}
              total={all?.length}
              empty={all?.length ? <NoMatches onClear={() => { setText(''); setStatus(''); }} /> : q.data?.historyStartsAt ? <NoDataBefore time={q.data.historyStartsAt} /> : <Empty title={t('empty')} />}
            />
          )}
        </QueryView>
      </div>
      <NodeDrawer cluster={cluster} name={selected || null} at={atIso} usage={selected ? usage.get(selected) : undefined} onClose={() => update(closeDrawer('node'), { push: true })} />
    </>
  );
}
