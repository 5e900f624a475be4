import { useEffect, useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { TimeRangePicker } from '../../common/TimeRangePicker';
import { Card, StatCard } from '../../common/StatCard';
import { Empty, ErrorState, QueryView } from '../../common/States';
import { Select } from '../../common/Inputs';
import { UsageBar } from '../../common/UsageBar';
import { TimeSeries, type SeriesDef } from '../../common/charts';
import { useFormat, type Formatters } from '../../lib/i18n/useFormat';
import { useClusterId, useUrlParam, useUrlTimeRange } from '../../lib/url';
import { rangeMs } from '../../lib/time';
import { nodeUsage, useNodeMetricsList } from '../cluster/hooks';
import { useNodes } from '../nodes/hooks';
import { fsUsage, naturalCompare, perCoreBusy, toRows, type History, type Row } from './logic';
import { useCurrent, useHistory } from './hooks';
import { useQueryClient } from '@tanstack/react-query';

function Panel({ title, q, children, testId }: { title: string; q: { isPending: boolean; error: unknown; data?: History; refetch: () => unknown }; children: (h: History) => ReactNode; testId?: string }) {
  const { t } = useTranslation('metrics');
  return (
    <Card title={title} testId={testId}>
      {q.isPending ? (
        <div className="skeleton h-[200px]" />
      ) : q.error && !q.data ? (
        <ErrorState error={q.error} compact onRetry={() => void q.refetch()} />
      ) : !q.data || q.data.series.every((s) => s.points.length === 0) ? (
        <p className="flex h-[200px] items-center justify-center text-[13px] text-muted">{t('noData')}</p>
      ) : (
        children(q.data)
      )}
    </Card>
  );
}

function Chart({ rows, series, yFormat, label, kind = 'line', stacked, yDomain, fmt, long }: { rows: Row[]; series: SeriesDef[]; yFormat: (v: number) => string; label: string; kind?: 'line' | 'area'; stacked?: boolean; yDomain?: [number | 'auto', number | 'auto']; fmt: Formatters; long: boolean }) {
  return (
    <TimeSeries
      label={label}
      data={rows}
      series={series}
      kind={kind}
      stacked={stacked}
      height={200}
      yFormat={yFormat}
      yDomain={yDomain}
      xFormat={(x) => (long ? fmt.shortDateTime(x) : fmt.time(x, false))}
      tooltipTime={(x) => fmt.dateTime(x)}
    />
  );
}

const MAX_LINES = 16;

export default function MetricsPage() {
  const { t } = useTranslation('metrics');
  const fmt = useFormat();
  const qc = useQueryClient();
  const cluster = useClusterId();
  const list = useNodeMetricsList(cluster);
  const nodeList = useNodes(cluster, null);
  // Nodes known to the cluster plus any that report metrics (the current
  // list only holds nodes that reported recently; history may go further back).
  const nodes = useMemo(
    () => [...new Set([...(nodeList.data?.items ?? []).map((n) => n.name), ...(list.data?.items ?? []).map((i) => i.node)])].sort(naturalCompare),
    [list.data, nodeList.data],
  );
  const [node, setNode] = useUrlParam('node');
  const [range, setRange] = useUrlTimeRange({ kind: 'relative', preset: '1h', ms: 3_600_000 });
  useEffect(() => {
    if (!node && nodes.length) setNode(nodes[0]);
  }, [node, nodes, setNode]);
  const long = rangeMs(range) > 2 * 86_400_000;

  const cpu = useHistory(cluster, node, ['cpu.user_pct', 'cpu.system_pct', 'cpu.iowait_pct', 'cpu.steal_pct'], range, '');
  const cores = useHistory(cluster, node, ['cpu.idle_pct'], range);
  const load = useHistory(cluster, node, ['load.1m', 'load.5m', 'load.15m'], range);
  const mem = useHistory(cluster, node, ['mem.used_bytes', 'mem.cached_bytes', 'mem.buffers_bytes', 'mem.total_bytes', 'mem.swap_used_bytes'], range);
  const psi = useHistory(cluster, node, ['psi.some_avg10_pct', 'psi.full_avg10_pct'], range);
  const fs = useHistory(cluster, node, ['fs.used_bytes', 'fs.size_bytes'], range);
  const disk = useHistory(cluster, node, ['disk.read_bytes_per_s', 'disk.write_bytes_per_s', 'disk.util_pct'], range);
  const net = useHistory(cluster, node, ['net.rx_bytes_per_s', 'net.tx_bytes_per_s', 'net.rx_errors_per_s', 'net.tx_errors_per_s'], range);
  const temp = useHistory(cluster, node, ['temp.celsius'], range);
  const current = useCurrent(cluster, node);

  const values = list.data?.items.find((i) => i.node === node)?.values ?? {};
  const usage = nodeUsage(values, node);
  const pct = (v: number) => `${fmt.number(v, 1)}%`;
  const procs = useMemo(() => {
    const series = current.data?.series ?? [];
    const cpuBy = new Map(series.filter((s) => s.metric === 'proc.cpu_pct').map((s) => [s.device, s.value]));
    const rssBy = new Map(series.filter((s) => s.metric === 'proc.rss_bytes').map((s) => [s.device, s.value]));
    return [...new Set([...cpuBy.keys(), ...rssBy.keys()])]
      .map((p) => ({ name: p, cpu: cpuBy.get(p) ?? 0, rss: rssBy.get(p) ?? 0 }))
      .sort((a, b) => b.cpu - a.cpu)
      .slice(0, 10);
  }, [current.data]);

  const refreshAll = () => void qc.invalidateQueries({ queryKey: ['node-history', cluster, node] });
  const updatedAt = Math.max(cpu.dataUpdatedAt, mem.dataUpdatedAt);

  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('description')}
        actions={
          <>
            <TimeRangePicker value={range} onChange={setRange} presets={['1h', '6h', '24h', '7d', '30d']} />
            <RefreshControl updatedAt={updatedAt || undefined} fetching={cpu.isFetching || mem.isFetching} onRefresh={refreshAll} paused={range.kind === 'absolute'} />
          </>
        }
      >
        {nodes.length > 0 && <Select label={t('node')} value={node} onChange={(v) => setNode(v)} options={nodes.map((n) => [n, n])} testId="metrics-node" />}
      </PageHeader>
      <div className="min-h-0 flex-1 overflow-y-auto p-6">
        <QueryView query={nodeList} isEmpty={() => nodes.length === 0} empty={<Empty title={t('noNodes')} description={t('noNodesHint')} />}>
          {() => (
            <div className="grid gap-4 xl:grid-cols-2">
              <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 xl:col-span-2" data-testid="metrics-now">
                <StatCard label={t('now.cpu')} value={fmt.percent(usage.cpu, 0)} />
                <StatCard label={t('now.load')} value={fmt.number(usage.load1, 2)} sub={t('now.loadSub')} />
                <StatCard label={t('now.mem')} value={fmt.percent(usage.mem, 0)} sub={usage.memUsed !== null ? `${fmt.bytes(usage.memUsed)} / ${fmt.bytes(usage.memTotal)}` : undefined} />
                <StatCard label={t('now.uptime')} value={fmt.duration((values['host.uptime_seconds'] ?? NaN) * 1000)} />
              </div>
              <Panel title={t('panel.cpu')} q={cpu} testId="panel-cpu">
                {(h) => {
                  const { rows } = toRows(h.series, (s) => (s.device === '' ? s.metric : null));
                  return (
                    <Chart
                      fmt={fmt}
                      long={long}
                      label={t('panel.cpu')}
                      rows={rows}
                      kind="area"
                      stacked
                      yDomain={[0, 100]}
                      yFormat={pct}
                      series={[
                        { key: 'cpu.user_pct', name: t('s.user'), color: 0 },
                        { key: 'cpu.system_pct', name: t('s.system'), color: 4 },
                        { key: 'cpu.iowait_pct', name: t('s.iowait'), color: 2 },
                        { key: 'cpu.steal_pct', name: t('s.steal'), color: 3 },
                      ]}
                    />
                  );
                }}
              </Panel>
              <Panel title={t('panel.cores')} q={cores} testId="panel-cores">
                {(h) => {
                  const { rows, keys } = perCoreBusy(h.series);
                  if (!keys.length) return <p className="text-[13px] text-muted">{t('noData')}</p>;
                  return <Chart fmt={fmt} long={long} label={t('panel.cores')} rows={rows} yDomain={[0, 100]} yFormat={pct} series={keys.map((k, i) => ({ key: k, name: k, color: i }))} />;
                }}
              </Panel>
              <Panel title={t('panel.load')} q={load}>
                {(h) => {
                  const { rows } = toRows(h.series, (s) => s.metric);
                  return (
                    <Chart
                      fmt={fmt}
                      long={long}
                      label={t('panel.load')}
                      rows={rows}
                      yFormat={(v) => fmt.number(v, 2)}
                      series={[
                        { key: 'load.1m', name: '1m', color: 0 },
                        { key: 'load.5m', name: '5m', color: 1 },
                        { key: 'load.15m', name: '15m', color: 2 },
                      ]}
                    />
                  );
                }}
              </Panel>
              <Panel title={t('panel.memory')} q={mem} testId="panel-memory">
                {(h) => {
                  const { rows } = toRows(h.series, (s) => s.metric);
                  return (
                    <Chart
                      fmt={fmt}
                      long={long}
                      label={t('panel.memory')}
                      rows={rows}
                      yFormat={(v) => fmt.bytes(v, 0)}
                      series={[
                        { key: 'mem.used_bytes', name: t('s.used'), color: 0 },
                        { key: 'mem.cached_bytes', name: t('s.cached'), color: 1 },
                        { key: 'mem.buffers_bytes', name: t('s.buffers'), color: 5 },
                        { key: 'mem.swap_used_bytes', name: t('s.swap'), color: 3 },
                        { key: 'mem.total_bytes', name: t('s.total'), color: 7 },
                      ]}
                    />
                  );
                }}
              </Panel>
              <Panel title={t('panel.psi')} q={psi}>
                {(h) => {
                  const { rows, keys } = toRows(h.series, (s) => `${s.metric.includes('full') ? 'full' : 'some'} ${s.device || 'cpu'}`);
                  return <Chart fmt={fmt} long={long} label={t('panel.psi')} rows={rows} yFormat={pct} series={keys.map((k, i) => ({ key: k, name: k, color: i }))} />;
                }}
              </Panel>
              <Panel title={t('panel.fs')} q={fs} testId="panel-fs">
                {(h) => {
                  const now = fsUsage(h.series);
                  const { rows, keys } = toRows(
                    h.series.filter((s) => s.metric === 'fs.used_bytes'),
                    (s) => s.device,
                  );
                  return (
                    <div className="space-y-4">
                      <ul className="space-y-2">
                        {now.slice(0, 6).map((f) => (
                          <li key={f.device}>
                            <UsageBar label={f.device} ratio={f.ratio} text={`${fmt.bytes(f.used)} / ${fmt.bytes(f.size)}`} />
                          </li>
                        ))}
                      </ul>
                      <Chart fmt={fmt} long={long} label={t('panel.fs')} rows={rows} yFormat={(v) => fmt.bytes(v, 0)} series={keys.slice(0, MAX_LINES).map((k, i) => ({ key: k, name: k, color: i }))} />
                    </div>
                  );
                }}
              </Panel>
              <Panel title={t('panel.disk')} q={disk} testId="panel-disk">
                {(h) => {
                  const { rows, keys } = toRows(
                    h.series.filter((s) => s.metric !== 'disk.util_pct'),
                    (s) => `${s.device} ${s.metric === 'disk.read_bytes_per_s' ? t('s.read') : t('s.write')}`,
                  );
                  return <Chart fmt={fmt} long={long} label={t('panel.disk')} rows={rows} yFormat={(v) => fmt.bytesRate(v)} series={keys.slice(0, MAX_LINES).map((k, i) => ({ key: k, name: k, color: i }))} />;
                }}
              </Panel>
              <Panel title={t('panel.network')} q={net} testId="panel-network">
                {(h) => {
                  const { rows, keys } = toRows(
                    h.series.filter((s) => s.metric.endsWith('bytes_per_s')),
                    (s) => `${s.device} ${s.metric.startsWith('net.rx') ? t('s.rx') : t('s.tx')}`,
                  );
                  return <Chart fmt={fmt} long={long} label={t('panel.network')} rows={rows} yFormat={(v) => fmt.bytesRate(v)} series={keys.slice(0, MAX_LINES).map((k, i) => ({ key: k, name: k, color: i }))} />;
                }}
              </Panel>
              <Panel title={t('panel.temp')} q={temp} testId="panel-temp">
                {(h) => {
                  const { rows, keys } = toRows(h.series, (s) => s.device || 'temp');
                  return <Chart fmt={fmt} long={long} label={t('panel.temp')} rows={rows} yFormat={(v) => `${fmt.number(v, 0)} °C`} series={keys.slice(0, MAX_LINES).map((k, i) => ({ key: k, name: k, color: i }))} />;
                }}
              </Panel>
              <Card title={t('panel.procs')} testId="panel-procs" bodyClass="p-0">
                {procs.length === 0 ? (
                  <p className="p-4 text-[13px] text-muted">{t('noData')}</p>
                ) : (
                  <table className="w-full text-[13px]">
                    <thead className="bg-surface-2 text-xs text-muted">
                      <tr>
                        <th scope="col" className="px-4 py-2 text-left font-semibold">{t('proc.name')}</th>
                        <th scope="col" className="px-4 py-2 text-right font-semibold">{t('proc.cpu')}</th>
                        <th scope="col" className="px-4 py-2 text-right font-semibold">{t('proc.rss')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {procs.map((p) => (
                        <tr key={p.name} className="border-t border-line">
                          <td className="truncate px-4 py-1.5 font-mono text-xs">{p.name}</td>
                          <td className="px-4 py-1.5 text-right tabular">{pct(p.cpu)}</td>
                          <td className="px-4 py-1.5 text-right tabular">{fmt.bytes(p.rss)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </Card>
            </div>
          )}
        </QueryView>
      </div>
    </>
  );
}
