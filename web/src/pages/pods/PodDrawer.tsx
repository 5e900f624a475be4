import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Drawer } from '../../common/Drawer';
import { Tabs } from '../../common/Tabs';
import { KeyValue, Section } from '../../common/KeyValue';
import { Chip, StatusBadge } from '../../common/Badge';
import { ErrorState, Loading } from '../../common/States';
import { LogTail } from '../../common/detail/JsonView';
import { ConditionsSection, DETAIL_TABS, DetailPanel, detailTabs, MetadataSection } from '../../common/detail/sections';
import { useFormat } from '../../lib/i18n/useFormat';
import { useUrlParam } from '../../lib/url';
import { containerSpecs, containerStatus, podStatus, type Anomaly, type Container, type Pod, type ContainerSpec } from '../../lib/k8s';
import { ActionBar } from '../../common/ops/ActionBar';
import { useAnomalyDetail, usePod } from './hooks';

/** The anomaly that explains a container's crash (most recent with termination info or a log tail). */
function crashAnomaly(anomalies: Anomaly[] | undefined, container: string): Anomaly | undefined {
  return (anomalies ?? [])
    .filter((a) => a.container === container)
    .sort((a, b) => Date.parse(b.last_seen ?? b.ts) - Date.parse(a.last_seen ?? a.ts))[0];
}

function CapturedLogs({ cluster, anomaly }: { cluster: string; anomaly: Anomaly }) {
  const { t } = useTranslation('pods');
  const fmt = useFormat();
  const q = useAnomalyDetail(cluster, anomaly.fingerprint);
  const a = q.data?.anomaly ?? anomaly;
  return (
    <div className="mt-3">
      <div className="mb-1 text-xs text-muted">
        {t('drawer.capturedAt', { time: fmt.dateTime(a.last_seen ?? a.ts), reason: a.reason || a.rule })}
      </div>
      {(a.termination_reason || a.exit_code != null) && (
        <p className="mb-2 text-[13px]">
          {t('drawer.terminated', { reason: a.termination_reason || '—', code: a.exit_code ?? '—' })}
          {a.termination_message && <span className="mt-1 block font-mono text-xs text-muted">{a.termination_message}</span>}
        </p>
      )}
      {q.isPending ? <Loading rows={2} /> : q.error ? <ErrorState error={q.error} compact /> : <LogTail text={a.log_tail} />}
    </div>
  );
}

function ContainerCard({ c, spec, cluster, anomaly }: { c: Container; spec?: ContainerSpec; cluster: string; anomaly?: Anomaly }) {
  const { t } = useTranslation('pods');
  const fmt = useFormat();
  const st = containerStatus(c);
  return (
    <article className="rounded-md border border-line" data-testid="container-card">
      <header className="flex flex-wrap items-center gap-2 border-b border-line bg-surface-2 px-3 py-2">
        <span className="font-medium">{c.name}</span>
        {c.init && <Chip>{t('drawer.init')}</Chip>}
        <StatusBadge status={st} />
        <span className="ml-auto text-xs text-muted">
          {t('drawer.restarts', { count: c.restarts ?? 0 })}
        </span>
      </header>
      <div className="space-y-3 p-3">
        <KeyValue
          items={[
            [t('drawer.image'), <span className="font-mono text-xs break-all">{c.image}</span>],
            [t('drawer.state'), `${c.state ?? '—'}${c.reason ? ` (${c.reason})` : ''}${c.exit_code != null && c.state === 'terminated' ? t('drawer.exit', { code: c.exit_code }) : ''}`],
            [t('drawer.started'), c.started_at ? fmt.dateTime(c.started_at) : undefined],
            [
              t('drawer.lastTermination'),
              c.last_reason ? `${c.last_reason}${c.last_exit_code != null ? t('drawer.exit', { code: c.last_exit_code }) : ''}${c.last_finished_at ? ` · ${fmt.dateTime(c.last_finished_at)}` : ''}` : undefined,
            ],
            [t('drawer.requests'), `${fmt.cpu(c.cpu_request_milli ?? 0)} CPU · ${fmt.bytes(c.mem_request_bytes ?? 0)}`],
            [t('drawer.limits'), c.cpu_limit_milli || c.mem_limit_bytes ? `${c.cpu_limit_milli ? fmt.cpu(c.cpu_limit_milli) : '∞'} CPU · ${c.mem_limit_bytes ? fmt.bytes(c.mem_limit_bytes) : '∞'}` : t('drawer.noLimits')],
            [t('drawer.ports'), spec?.ports.length ? spec.ports.join(', ') : undefined],
            [t('drawer.command'), spec?.command ? <span className="font-mono text-xs break-all">{spec.command}</span> : undefined],
          ]}
        />
        {spec && spec.probes.length > 0 && (
          <div>
            <div className="mb-1 text-xs text-muted">{t('drawer.probes')}</div>
            <ul className="space-y-1 text-xs">
              {spec.probes.map((p) => (
                <li key={p.kind}>
                  <span className="mr-2 inline-block w-20 text-muted">{t(`drawer.probe.${p.kind}`)}</span>
                  <span className="font-mono break-all">{p.text}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        {spec && spec.env.length > 0 && (
          <details>
            <summary className="cursor-pointer text-xs text-muted">{t('drawer.env', { count: spec.env.length })}</summary>
            <ul className="mt-1 space-y-0.5 font-mono text-xs">
              {spec.env.map((e) => (
                <li key={e.name}>
                  {e.name}=<span className="text-muted">{e.value}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
        {anomaly && <CapturedLogs cluster={cluster} anomaly={anomaly} />}
      </div>
    </article>
  );
}

export function PodDrawer({ cluster, podKey, at, onClose }: { cluster: string; podKey: { namespace: string; name: string } | null; at: string | null; onClose: () => void }) {
  const { t } = useTranslation('pods');
  const tc = useTranslation('common').t;
  const fmt = useFormat();
  const [tabRaw, setTab] = useUrlParam('tab', 'overview');
  const tab = ['overview', 'containers', ...DETAIL_TABS].includes(tabRaw) ? tabRaw : 'overview';
  const q = usePod(cluster, podKey, at);
  const pod = q.data?.object as Pod | undefined;
  const specs = useMemo(() => containerSpecs(q.data?.detail), [q.data?.detail]);

  const tabs = [{ id: 'overview', label: t('drawer.tab.overview') }, { id: 'containers', label: t('drawer.tab.containers'), count: pod?.containers?.length }, ...detailTabs(tc, q.data)];

  return (
    <Drawer
      open={!!podKey}
      onClose={onClose}
      title={podKey?.name ?? ''}
      subtitle={
        <span className="flex items-center gap-2">
          {t('drawer.kind')} · {podKey?.namespace}
          {pod && <StatusBadge status={podStatus(pod)} />}
        </span>
      }
    >
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : pod ? (
        <>
          {q.data.deleted && <p className="border-b border-warn/30 bg-warn/10 px-5 py-2 text-[13px] text-warn">{tc('detail.deleted')}</p>}
          {!at && !q.data.deleted && podKey && <ActionBar cluster={cluster} target={{ kind: 'Pod', namespace: podKey.namespace, name: podKey.name }} />}
          <Tabs tabs={tabs} value={tab} onChange={(v) => setTab(v)} label={t('drawer.tabs')} className="px-3">
            {tab === 'overview' && (
              <>
                <Section title={t('drawer.status')}>
                  <KeyValue
                    items={[
                      [t('drawer.phase'), pod.phase],
                      [t('col.ready'), `${pod.ready_containers ?? 0}/${pod.total_containers ?? 0}`],
                      [t('col.restarts'), fmt.number(pod.restarts ?? 0)],
                      [t('col.node'), pod.node ? <Link className="text-accent hover:underline" to={`/c/${cluster}/nodes?node=${encodeURIComponent(pod.node)}`}>{pod.node}</Link> : '—'],
                      [t('col.ip'), pod.pod_ip ? <span className="font-mono">{pod.pod_ip}</span> : undefined],
                      [t('drawer.qos'), pod.qos_class],
                      [t('drawer.started'), pod.start_time ? fmt.dateTime(pod.start_time) : undefined],
                      [t('drawer.serviceAccount'), pod.service_account],
                      [t('drawer.priorityClass'), pod.priority_class],
                      [t('drawer.lastTermination'), pod.last_termination_reason ? `${pod.last_termination_reason}${pod.last_exit_code != null ? t('drawer.exit', { code: pod.last_exit_code }) : ''}` : undefined],
                      [t('drawer.requests'), `${fmt.cpu(pod.cpu_request_milli ?? 0)} CPU · ${fmt.bytes(pod.mem_request_bytes ?? 0)}`],
                      [t('drawer.limits'), `${pod.cpu_limit_milli ? fmt.cpu(pod.cpu_limit_milli) : '∞'} CPU · ${pod.mem_limit_bytes ? fmt.bytes(pod.mem_limit_bytes) : '∞'}`],
                    ]}
                  />
                </Section>
                <ConditionsSection detail={q.data.detail} title={t('drawer.conditions')} empty={<p className="text-[13px] text-muted">{t('drawer.noConditions')}</p>} testId="pod-conditions" />
                <MetadataSection cluster={cluster} o={pod} detail={q.data.detail} />
              </>
            )}
            {tab === 'containers' && (
              <div className="space-y-3 p-5">
                {(pod.containers ?? []).map((c) => (
                  <ContainerCard key={c.name} c={c} spec={specs.get(c.name ?? '')} cluster={cluster} anomaly={crashAnomaly(q.data.anomalies, c.name ?? '')} />
                ))}
              </div>
            )}
            <DetailPanel tab={tab} cluster={cluster} resource="pods" data={q.data} at={at} />
          </Tabs>
        </>
      ) : null}
    </Drawer>
  );
}
