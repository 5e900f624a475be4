import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { AlertOctagon, Box, Boxes, Cpu, Layers, MemoryStick, Server, CircleAlert, CircleCheck, Info } from 'lucide-react';
import { PageHeader, PageBody } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { Card, StatCard } from '../../common/StatCard';
import { QueryView, Empty } from '../../common/States';
import { AnomalyStatusChip, Chip, Dot, SeverityBadge, StatusBadge } from '../../common/Badge';
import { livenessKey, livenessTone, reasonText, useReasonFormat } from '../fleet/health';
import { UsageBar } from '../../common/UsageBar';
import { TimeSeries } from '../../common/charts';
import { useFormat } from '../../lib/i18n/useFormat';
import { useClusterId } from '../../lib/url';
import { anomalySubject, healthTone } from '../../lib/k8s/anomalies';
import { ratio } from '../../lib/k8s/nodes';
import { capacity, unhealthyWorkloads } from '../../lib/k8s/summary';
import { TONE_TEXT } from '../../common/tone';
import { nodeUsage, trendRows, useClusterOverview, useNodeMetricsList, type Overview } from './hooks';

function HealthCard({ o }: { o: Overview }) {
  const { t } = useTranslation('cluster');
  const fmt = useFormat();
  const fmtReason = useReasonFormat();
  const tone = healthTone(o.health.status);
  const c = o.cluster;
  return (
    <Card title={t('health.title')} testId="health-card" className="lg:row-span-2">
      <div className="flex items-center gap-3" data-testid="cluster-health" data-status={o.health.status} data-liveness={c.status}>
        <StatusBadge status={{ label: t(`fleet:health.${o.health.status}`, { defaultValue: o.health.status }), tone }} />
        <span className="flex items-center gap-1.5 text-xs text-muted">
          <Dot tone={livenessTone(c.status)} />
          {t(livenessKey(c.status))}
        </span>
      </div>
      <ul className="mt-3 space-y-2" aria-label={t('health.reasons')}>
        {o.health.reasons.length === 0 && (
          <li className="flex items-start gap-2 text-[13px] text-muted">
            <CircleCheck size={16} className="mt-px shrink-0 text-ok" aria-hidden />
            {t('health.noReasons')}
          </li>
        )}
        {o.health.reasons.map((r) => {
          const Icon = r.severity === 'critical' ? AlertOctagon : r.severity === 'warning' ? CircleAlert : Info;
          const rt = r.severity === 'critical' ? 'crit' : r.severity === 'warning' ? 'warn' : 'info';
          return (
            <li key={r.code + r.message} className="flex items-start gap-2 text-[13px]" data-testid="health-reason" data-code={r.code}>
              <Icon size={16} className={`mt-px shrink-0 ${TONE_TEXT[rt]}`} aria-label={t(`common:severity.${r.severity}`)} />
              <span>{reasonText(t, fmtReason, r, c)}</span>
            </li>
          );
        })}
      </ul>
      <dl className="mt-4 grid grid-cols-2 gap-x-4 gap-y-2 border-t border-line pt-3 text-xs">
        <dt className="text-muted">{t('health.heartbeat')}</dt>
        <dd className="text-right tabular" title={fmt.dateTime(c.last_heartbeat)}>
          {c.last_heartbeat ? fmt.relative(c.last_heartbeat) : '—'}
        </dd>
        <dt className="text-muted">{t('health.stateUpdated')}</dt>
        <dd className="text-right tabular" title={fmt.dateTime(c.state_updated_at)}>
          {c.state_updated_at ? fmt.relative(c.state_updated_at) : '—'}
        </dd>
        <dt className="text-muted">{t('health.agent')}</dt>
        <dd className="truncate text-right font-mono">{c.agent_version ?? '—'}</dd>
        <dt className="text-muted">{t('health.kubernetes')}</dt>
        <dd className="truncate text-right font-mono">{c.kubernetes_version ?? '—'}</dd>
        <dt className="text-muted">{t('health.synced')}</dt>
        <dd className={`text-right ${c.synced ? '' : 'text-warn'}`}>{c.synced ? t('health.yes') : t('health.no')}</dd>
        <dt className="text-muted">{t('health.lastFlush')}</dt>
        <dd className="text-right tabular" title={fmt.dateTime(c.last_flush)}>
          {c.last_flush ? fmt.relative(c.last_flush) : '—'}
        </dd>
        <dt className="text-muted">{t('health.lastCheckpoint')}</dt>
        <dd className="text-right tabular" title={fmt.dateTime(c.last_checkpoint)}>
          {c.last_checkpoint ? fmt.relative(c.last_checkpoint) : '—'}
        </dd>
        <dt className="text-muted">{t('health.spool')}</dt>
        <dd className={`text-right tabular ${(c.spool_bytes ?? 0) > 0 ? 'text-warn' : ''}`}>{fmt.bytes(c.spool_bytes ?? 0)}</dd>
        <dt className="text-muted">{t('health.errors')}</dt>
        <dd className={`text-right tabular ${(c.errors ?? 0) > 0 ? 'text-warn' : ''}`} title={c.last_error}>
          {fmt.number(c.errors ?? 0)}
        </dd>
      </dl>
    </Card>
  );
}

const WORKLOAD_ROWS = [
  ['deployments', 'Deployment'],
  ['statefulsets', 'StatefulSet'],
  ['daemonsets', 'DaemonSet'],
  ['jobs', 'Job'],
  ['cronjobs', 'CronJob'],
] as const;

function WorkloadSummary({ o, cluster }: { o: Overview; cluster: string }) {
  const { t } = useTranslation('cluster');
  const fmt = useFormat();
  const w = o.summary?.workloads ?? {};
  const unhealthy = unhealthyWorkloads(w);
  const healthy = w.healthy ?? 0;
  const total = w.total ?? 0;
  return (
    <Card title={t('workloads.title')} testId="workload-summary" actions={<Link className="text-xs text-accent hover:underline" to={`/c/${cluster}/workloads`}>{t('viewAll')}</Link>}>
      <UsageBar goodHigh label={t('workloads.healthy')} ratio={total ? healthy / total : null} text={t('workloads.healthyOf', { healthy: fmt.number(healthy), total: fmt.number(total) })} />
      <ul className="mt-4 divide-y divide-line text-[13px]">
        {WORKLOAD_ROWS.map(([res, kind]) => (
          <li key={res} className="flex items-center justify-between py-1.5">
            <Link to={`/c/${cluster}/workloads?kind=${res}`} className="hover:text-accent">
              {kind}
            </Link>
            <span className="tabular text-muted">{fmt.number(o.counts[res] ?? 0)}</span>
          </li>
        ))}
      </ul>
      {unhealthy > 0 && (
        <p className="mt-3 text-xs text-warn">
          {t('workloads.unhealthy', { count: unhealthy })}
        </p>
      )}
    </Card>
  );
}

function NodeBars({ cluster }: { cluster: string }) {
  const { t } = useTranslation('cluster');
  const fmt = useFormat();
  const q = useNodeMetricsList(cluster);
  const rows = useMemo(
    () =>
      (q.data?.items ?? [])
        .map((it) => nodeUsage(it.values, it.node))
        .sort((a, b) => Math.max(b.cpu ?? 0, b.mem ?? 0) - Math.max(a.cpu ?? 0, a.mem ?? 0)),
    [q.data],
  );
  return (
    <Card title={t('nodes.title')} testId="node-bars" className="lg:col-span-3" actions={<Link className="text-xs text-accent hover:underline" to={`/c/${cluster}/nodes`}>{t('viewAll')}</Link>}>
      <QueryView query={q} isEmpty={() => rows.length === 0} empty={<p className="text-[13px] text-muted">{t('nodes.noMetrics')}</p>}>
        {() => (
          <ul className="grid gap-x-8 gap-y-4 md:grid-cols-2 xl:grid-cols-3">
            {rows.slice(0, 12).map((r) => (
              <li key={r.node}>
                <Link to={`/c/${cluster}/metrics?node=${encodeURIComponent(r.node)}`} className="mb-1 block truncate text-[13px] font-medium hover:text-accent">
                  {r.node}
                </Link>
                <div className="grid grid-cols-2 gap-3">
                  <UsageBar label={t('nodes.cpu')} ratio={r.cpu} text={fmt.percent(r.cpu, 0)} />
                  <UsageBar label={t('nodes.mem')} ratio={r.mem} text={r.memUsed === null ? '—' : r.memTotal === null ? fmt.bytes(r.memUsed) : `${fmt.bytes(r.memUsed)} / ${fmt.bytes(r.memTotal)}`} />
                </div>
              </li>
            ))}
            {rows.length > 12 && <li className="text-xs text-muted">{t('nodes.more', { count: rows.length - 12 })}</li>}
          </ul>
        )}
      </QueryView>
    </Card>
  );
}

export default function ClusterPage() {
  const { t } = useTranslation('cluster');
  const fmt = useFormat();
  const cluster = useClusterId();
  const q = useClusterOverview(cluster);
  const rows = useMemo(() => trendRows(q.data?.anomaly_trend), [q.data]);

  return (
    <>
      <PageHeader
        title={t('title', { cluster })}
        description={t('description')}
        actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} asOf={q.data?.cluster.state_updated_at} />}
      />
      <PageBody>
        <QueryView query={q}>
          {(o) => {
            const s = o.summary ?? {};
            const cap = capacity(s);
            const cpu = ratio(cap.cpuRequested, cap.cpuAllocatable);
            const mem = ratio(cap.memRequested, cap.memAllocatable);
            const an = s.anomalies ?? {};
            return (
              <div className="grid gap-4 lg:grid-cols-3">
                <HealthCard o={o} />
                <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:col-span-2" data-testid="stat-cards">
                  <StatCard
                    to={`/c/${cluster}/nodes`}
                    label={t('stat.nodes')}
                    icon={<Server size={16} aria-hidden />}
                    value={`${fmt.number(s.nodes?.ready)}/${fmt.number(s.nodes?.total)}`}
                    sub={t('stat.nodesSub', { count: s.nodes?.not_ready ?? 0, unschedulable: s.nodes?.unschedulable ?? 0 })}
                    tone={(s.nodes?.not_ready ?? 0) > 0 ? 'crit' : undefined}
                  />
                  <StatCard
                    to={`/c/${cluster}/pods`}
                    label={t('stat.pods')}
                    icon={<Box size={16} aria-hidden />}
                    value={fmt.number(s.pods?.total)}
                    sub={
                      <>
                        <span className={`block ${(s.pods?.crash_looping ?? 0) > 0 ? 'text-crit' : (s.pods?.not_ready ?? 0) > 0 ? 'text-warn' : ''}`}>
                          {t('fleet:stat.podsTrouble', { notReady: fmt.number(s.pods?.not_ready ?? 0), crashLooping: fmt.number(s.pods?.crash_looping ?? 0) })}
                        </span>
                        <span className="block">{t('stat.podsSub', { running: fmt.number(s.pods?.running ?? 0), pending: fmt.number(s.pods?.pending ?? 0), failed: fmt.number(s.pods?.failed ?? 0) })}</span>
                      </>
                    }
                    tone={(s.pods?.crash_looping ?? 0) > 0 || (s.pods?.waiting_errors ?? 0) > 0 ? 'crit' : (s.pods?.not_ready ?? 0) > 0 || (s.pods?.failed ?? 0) > 0 ? 'warn' : undefined}
                    testId="stat-pods"
                  />
                  <StatCard
                    to={`/c/${cluster}/workloads`}
                    label={t('stat.workloads')}
                    icon={<Boxes size={16} aria-hidden />}
                    value={`${fmt.number(s.workloads?.healthy)}/${fmt.number(s.workloads?.total)}`}
                    sub={(s.workloads?.below_desired ?? 0) > 0 ? <span className="text-warn">{t('stat.belowDesired', { count: s.workloads?.below_desired ?? 0 })}</span> : t('stat.workloadsSub')}
                    tone={unhealthyWorkloads(s.workloads) > 0 || (s.workloads?.below_desired ?? 0) > 0 ? 'warn' : undefined}
                    testId="stat-workloads"
                  />
                  <StatCard
                    to={`/c/${cluster}/anomalies`}
                    label={t('stat.anomalies')}
                    icon={<AlertOctagon size={16} aria-hidden />}
                    value={fmt.number(an.open)}
                    sub={t('stat.anomaliesSub', { critical: fmt.number(an.critical ?? 0), warning: fmt.number(an.warning ?? 0) })}
                    tone={(an.critical ?? 0) > 0 ? 'crit' : (an.open ?? 0) > 0 ? 'warn' : 'ok'}
                  />
                  <StatCard
                    label={t('stat.cpu')}
                    icon={<Cpu size={16} aria-hidden />}
                    value={fmt.percent(cpu, 0)}
                    sub={`${fmt.cpu(cap.cpuRequested)} / ${fmt.cpu(cap.cpuAllocatable)}`}
                  />
                  <StatCard
                    label={t('stat.mem')}
                    icon={<MemoryStick size={16} aria-hidden />}
                    value={fmt.percent(mem, 0)}
                    sub={`${fmt.bytes(cap.memRequested)} / ${fmt.bytes(cap.memAllocatable)}`}
                  />
                  <StatCard to={`/c/${cluster}/namespaces`} label={t('stat.namespaces')} icon={<Layers size={16} aria-hidden />} value={fmt.number(s.namespaces ?? o.counts.namespaces)} />
                  <StatCard to={`/c/${cluster}/pods?phase=Running`} label={t('stat.restarts')} value={fmt.compact(s.pods?.restarts ?? 0)} sub={t('stat.restartsSub')} />
                </div>
                <Card title={t('trend.title')} className="lg:col-span-2" testId="anomaly-trend">
                  {rows.length === 0 ? (
                    <Empty title={t('trend.empty')} />
                  ) : (
                    <TimeSeries
                      label={t('trend.title')}
                      kind="bar"
                      stacked
                      integer
                      height={220}
                      data={rows}
                      series={[
                        { key: 'critical', name: t('common:severity.critical'), color: 'crit' },
                        { key: 'warning', name: t('common:severity.warning'), color: 'warn' },
                        { key: 'info', name: t('common:severity.info'), color: 'info' },
                      ]}
                      xFormat={(x) => fmt.time(x, false)}
                      tooltipTime={(x) => fmt.shortDateTime(x)}
                      yFormat={(v) => fmt.number(v)}
                    />
                  )}
                </Card>
                <Card
                  title={t('recent.title')}
                  className="lg:col-span-2"
                  testId="recent-anomalies"
                  actions={<Link className="text-xs text-accent hover:underline" to={`/c/${cluster}/anomalies`}>{t('viewAll')}</Link>}
                  bodyClass="p-0"
                >
                  {o.open_anomalies.length === 0 ? (
                    <Empty icon={<CircleCheck size={28} className="text-ok" aria-hidden />} title={t('recent.empty')} />
                  ) : (
                    <ul className="divide-y divide-line">
                      {o.open_anomalies.slice(0, 8).map((a) => (
                        <li key={a.fingerprint}>
                          <Link
                            to={`/c/${cluster}/anomalies?a=${encodeURIComponent(a.fingerprint)}`}
                            className="flex items-center gap-3 px-4 py-2.5 text-[13px] hover:bg-surface-2"
                          >
                            <SeverityBadge severity={a.severity} />
                            <AnomalyStatusChip a={a} />
                            <span className="min-w-0 flex-1">
                              <span className="block truncate font-medium">{a.reason || a.rule}</span>
                              <span className="block truncate text-xs text-muted">{anomalySubject(a)}</span>
                            </span>
                            {(a.count ?? 0) > 1 && <Chip>×{fmt.number(a.count)}</Chip>}
                            <span className="text-xs whitespace-nowrap text-muted" title={fmt.dateTime(a.last_seen)}>
                              {fmt.relative(a.last_seen)}
                            </span>
                          </Link>
                        </li>
                      ))}
                      {o.open_anomalies.length + (o.anomalies_omitted ?? 0) > 8 && (
                        <li className="px-4 py-2 text-xs text-muted">{t('recent.more', { count: o.open_anomalies.length + (o.anomalies_omitted ?? 0) - 8 })}</li>
                      )}
                    </ul>
                  )}
                </Card>
                <WorkloadSummary o={o} cluster={cluster} />
                <NodeBars cluster={cluster} />
              </div>
            );
          }}
        </QueryView>
      </PageBody>
    </>
  );
}

