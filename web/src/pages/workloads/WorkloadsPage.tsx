import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { Column } from '../../common/DataTable';
import type { DrawerSection } from '../../common/detail/ObjectDrawer';
import { LabelChips, StatusBadge } from '../../common/Badge';
import { Segmented } from '../../common/Segmented';
import { countColumn, metaColumns, statusColumn, type TFn } from '../../common/columns';
import { useFormat, type Formatters } from '../../lib/i18n/useFormat';
import { useAt, useClusterId, useUrlParam, useUrlUpdate } from '../../lib/url';
import { WORKLOAD_KINDS, isWorkload, kindByResource, replicasText, revision, workloadStatus, type ObjectDetail, type Workload, type WorkloadResource } from '../../lib/k8s';
import { toMillis } from '../../lib/format';
import { jobDuration } from './logic';
import { RolloutHistory } from './RolloutHistory';

function columnsFor(kind: WorkloadResource, t: TFn, fmt: Formatters, at: number | null): Column<Workload>[] {
  const { name, namespace: ns, age, owner } = metaColumns<Workload>(t, fmt, at);
  const status = statusColumn<Workload>(t, workloadStatus);
  const num = (id: string, get: (w: Workload) => number | null | undefined) => countColumn<Workload>(id, t(`col.${id}`), fmt, get);
  const images: Column<Workload> = { id: 'images', header: t('col.images'), width: 'minmax(12rem,2fr)', sortValue: (w) => w.images?.[0], cell: (w) => <span className="font-mono text-xs">{w.images?.join(', ')}</span>, title: (w) => w.images?.join('\n') };
  const ready: Column<Workload> = { id: 'ready', header: t('col.ready'), width: '6rem', align: 'right', sortValue: (w) => (w.desired ? (w.ready ?? 0) / w.desired : 1), cell: (w) => <span className={(w.ready ?? 0) < (w.desired ?? 0) ? 'text-warn' : ''}>{replicasText(w)}</span> };
  switch (kind) {
    case 'deployments':
      return [name, ns, status, ready, num('updated', (w) => w.updated), num('available', (w) => w.available), images, age];
    case 'statefulsets':
      return [name, ns, status, ready, num('updated', (w) => w.updated), images, age];
    case 'daemonsets':
      return [name, ns, status, num('desired', (w) => w.desired), num('current', (w) => w.current), ready, num('available', (w) => w.available), images, age];
    case 'replicasets':
      return [name, ns, status, ready, num('available', (w) => w.available), images, owner, age];
    case 'jobs':
      return [
        name,
        ns,
        status,
        { id: 'completions', header: t('col.completions'), width: '7rem', align: 'right', sortValue: (w) => w.succeeded, cell: (w) => `${w.succeeded ?? 0}/${w.completions ?? 1}` },
        num('active', (w) => w.active),
        num('failed', (w) => w.failed),
        { id: 'duration', header: t('col.duration'), width: '7rem', align: 'right', sortValue: (w) => jobDuration(w), cell: (w) => fmt.duration(jobDuration(w)) },
        age,
      ];
    case 'cronjobs':
      return [
        name,
        ns,
        status,
        { id: 'schedule', header: t('col.schedule'), width: '8rem', sortValue: (w) => w.schedule, cell: (w) => <span className="font-mono text-xs">{w.schedule}</span> },
        num('active', (w) => w.active),
        { id: 'last', header: t('col.lastSchedule'), width: '9rem', sortValue: (w) => toMillis(w.last_schedule_time), cell: (w) => (w.last_schedule_time ? fmt.relative(w.last_schedule_time) : '—'), title: (w) => fmt.dateTime(w.last_schedule_time) },
        { id: 'lastok', header: t('col.lastSuccess'), width: '9rem', sortValue: (w) => toMillis(w.last_successful_time), cell: (w) => (w.last_successful_time ? fmt.relative(w.last_successful_time) : '—'), title: (w) => fmt.dateTime(w.last_successful_time) },
        age,
      ];
  }
}

function summaryFor(w: Workload, d: ObjectDetail, t: TFn, fmt: Formatters, cluster: string, at: string | null): DrawerSection[] {
  const sections: DrawerSection[] = [];
  const yes = (b?: boolean | null) => (b ? t('common:value.yes') : t('common:value.no'));
  if (w.kind === 'Job') {
    sections.push({
      title: t('drawer.job'),
      items: [
        [t('common:field.status'), <StatusBadge status={workloadStatus(w)} />],
        [t('col.completions'), `${w.succeeded ?? 0}/${w.completions ?? 1}`],
        [t('col.active'), fmt.number(w.active ?? 0)],
        [t('col.failed'), fmt.number(w.failed ?? 0)],
        [t('drawer.started'), w.start_time ? fmt.dateTime(w.start_time) : undefined],
        [t('drawer.completed'), w.completion_time ? fmt.dateTime(w.completion_time) : undefined],
        [t('col.duration'), fmt.duration(jobDuration(w))],
      ],
    });
  } else if (w.kind === 'CronJob') {
    sections.push({
      title: t('drawer.cronjob'),
      items: [
        [t('common:field.status'), <StatusBadge status={workloadStatus(w)} />],
        [t('col.schedule'), <span className="font-mono">{w.schedule}</span>],
        [t('drawer.suspended'), yes(w.suspend)],
        [t('col.active'), fmt.number(w.active ?? 0)],
        [t('col.lastSchedule'), w.last_schedule_time ? fmt.dateTime(w.last_schedule_time) : undefined],
        [t('col.lastSuccess'), w.last_successful_time ? fmt.dateTime(w.last_successful_time) : undefined],
        [t('drawer.lastJobStatus'), w.last_job_status],
      ],
    });
  } else {
    sections.push({
      title: t('drawer.replicas'),
      items: [
        [t('common:field.status'), <StatusBadge status={workloadStatus(w)} />, 'status'],
        [t('col.desired'), fmt.number(w.desired ?? 0), 'desired'],
        [t('col.current'), w.current != null ? fmt.number(w.current) : undefined, 'current'],
        [t('col.ready'), fmt.number(w.ready ?? 0), 'ready'],
        [t('col.available'), w.available != null ? fmt.number(w.available) : undefined, 'available'],
        [t('col.updated'), w.updated != null ? fmt.number(w.updated) : undefined, 'updated'],
        [t('drawer.revision'), revision(d.detail), 'revision'],
        [t('drawer.strategy'), w.strategy],
        [t('drawer.generation'), w.generation != null ? `${w.observed_generation ?? '?'} / ${w.generation}` : undefined],
        [t('drawer.paused'), w.paused ? yes(true) : undefined],
      ],
    });
  }
  sections.push({
    title: t('drawer.template'),
    items: [
      [t('col.images'), w.images?.length ? <span className="font-mono text-xs break-all">{w.images.join('\n')}</span> : undefined, 'images'],
      [t('drawer.selector'), w.selector ? <LabelChips labels={w.selector.split(',')} max={20} /> : undefined, 'selector'],
      [
        t('drawer.pods'),
        <Link className="text-accent hover:underline" to={`/c/${cluster}/pods?ns=${encodeURIComponent(w.namespace ?? '')}&q=${encodeURIComponent(w.name)}`}>
          {t('drawer.podsLink')}
        </Link>,
      ],
    ],
  });
  if (w.kind === 'Deployment') {
    sections.push({ title: t('drawer.history'), body: <RolloutHistory cluster={cluster} deployment={w} detail={d.detail} at={at} /> });
  }
  return sections;
}

export default function WorkloadsPage() {
  const { t } = useTranslation('workloads');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const atIso = at === null ? null : new Date(at).toISOString();
  const [kindRaw] = useUrlParam('kind', WORKLOAD_KINDS[0]);
  const update = useUrlUpdate();
  const kind = isWorkload(kindRaw) ? kindRaw : WORKLOAD_KINDS[0];
  const columns = useMemo(() => columnsFor(kind, t, fmt, at), [kind, t, fmt, at]);
  const info = kindByResource(kind)!;

  const kindSwitch = (
    <Segmented
      role="tab"
      label={t('kinds')}
      testId="workload-kinds"
      value={kind}
      onChange={(k) => update({ kind: k === WORKLOAD_KINDS[0] ? null : k, obj: null, tab: null }, { push: true })}
      options={WORKLOAD_KINDS.map((k) => ({ id: k, label: t(`k8s:kinds.${kindByResource(k)!.kind}`) }))}
    />
  );

  return (
    <ResourceList<Workload>
      key={kind}
      resource={kind}
      title={t('title')}
      description={t('description')}
      columns={columns}
      headerExtra={kindSwitch}
      searchPlaceholder={t('search')}
      searchText={(w) => `${w.images?.join(' ') ?? ''} ${workloadStatus(w).label}`}
      summary={(w, d) => summaryFor(w, d, t, fmt, cluster, atIso)}
      emptyTitle={t('empty', { kind: t(`k8s:kinds.${info.kind}`) })}
    />
  );
}
