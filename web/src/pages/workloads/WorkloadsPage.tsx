import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { Column } from '../../common/DataTable';
import type { DrawerSection } from '../../common/detail/ObjectDrawer';
import { Chip, LabelChips, StatusBadge } from '../../common/Badge';
import { useFormat, type Formatters } from '../../lib/i18n/useFormat';
import { useClusterId, useUrlParam, useUrlUpdate } from '../../lib/url';
import { WORKLOAD_KINDS, kindByResource, replicasText, workloadStatus, type Workload, type WorkloadResource } from '../../lib/k8s';
import { toMillis } from '../../lib/format';

type T = (k: string, o?: Record<string, unknown>) => string;

function columnsFor(kind: WorkloadResource, t: T, fmt: Formatters): Column<Workload>[] {
  const name: Column<Workload> = { id: 'name', header: t('col.name'), width: 'minmax(14rem,2fr)', sortValue: (w) => w.name, cell: (w) => <span className="font-medium">{w.name}</span>, title: (w) => w.name };
  const ns: Column<Workload> = { id: 'namespace', header: t('col.namespace'), width: 'minmax(8rem,1fr)', sortValue: (w) => w.namespace, cell: (w) => w.namespace };
  const status: Column<Workload> = { id: 'status', header: t('col.status'), width: 'minmax(9rem,1.2fr)', sortValue: (w) => workloadStatus(w).label, cell: (w) => <StatusBadge status={workloadStatus(w)} /> };
  const age: Column<Workload> = { id: 'age', header: t('col.age'), width: '5.5rem', align: 'right', sortValue: (w) => (w.created_at ? -Date.parse(w.created_at) : undefined), cell: (w) => fmt.age(w.created_at) };
  const num = (id: string, header: string, get: (w: Workload) => number | undefined): Column<Workload> => ({ id, header, width: '6rem', align: 'right', sortValue: get, cell: (w) => fmt.number(get(w) ?? 0) });
  const images: Column<Workload> = { id: 'images', header: t('col.images'), width: 'minmax(12rem,2fr)', sortValue: (w) => w.images?.[0], cell: (w) => <span className="font-mono text-xs">{w.images?.join(', ')}</span>, title: (w) => w.images?.join('\n') };
  const ready: Column<Workload> = { id: 'ready', header: t('col.ready'), width: '6rem', align: 'right', sortValue: (w) => (w.desired ? (w.ready ?? 0) / w.desired : 1), cell: (w) => <span className={(w.ready ?? 0) < (w.desired ?? 0) ? 'text-warn' : ''}>{replicasText(w)}</span> };
  switch (kind) {
    case 'deployments':
      return [name, ns, status, ready, num('updated', t('col.updated'), (w) => w.updated), num('available', t('col.available'), (w) => w.available), images, age];
    case 'statefulsets':
      return [name, ns, status, ready, num('updated', t('col.updated'), (w) => w.updated), images, age];
    case 'daemonsets':
      return [name, ns, status, num('desired', t('col.desired'), (w) => w.desired), num('current', t('col.current'), (w) => w.current), ready, num('available', t('col.available'), (w) => w.available), images, age];
    case 'jobs':
      return [
        name,
        ns,
        status,
        { id: 'completions', header: t('col.completions'), width: '7rem', align: 'right', sortValue: (w) => w.succeeded, cell: (w) => `${w.succeeded ?? 0}/${w.completions ?? 1}` },
        num('active', t('col.active'), (w) => w.active),
        num('failed', t('col.failed'), (w) => w.failed),
        {
          id: 'duration',
          header: t('col.duration'),
          width: '7rem',
          align: 'right',
          sortValue: (w) => jobDuration(w),
          cell: (w) => fmt.duration(jobDuration(w)),
        },
        age,
      ];
    case 'cronjobs':
      return [
        name,
        ns,
        status,
        { id: 'schedule', header: t('col.schedule'), width: '8rem', sortValue: (w) => w.schedule, cell: (w) => <span className="font-mono text-xs">{w.schedule}</span> },
        num('active', t('col.active'), (w) => w.active),
        { id: 'last', header: t('col.lastSchedule'), width: '9rem', sortValue: (w) => toMillis(w.last_schedule_time), cell: (w) => (w.last_schedule_time ? fmt.relative(w.last_schedule_time) : '—'), title: (w) => fmt.dateTime(w.last_schedule_time) },
        { id: 'lastok', header: t('col.lastSuccess'), width: '9rem', sortValue: (w) => toMillis(w.last_successful_time), cell: (w) => (w.last_successful_time ? fmt.relative(w.last_successful_time) : '—'), title: (w) => fmt.dateTime(w.last_successful_time) },
        age,
      ];
  }
}

export function jobDuration(w: Workload): number | undefined {
  const s = toMillis(w.start_time);
  if (s === null) return undefined;
  const e = toMillis(w.completion_time) ?? (w.job_status === 'Running' || w.active ? Date.now() : null);
  return e === null ? undefined : Math.max(0, e - s);
}

function summaryFor(w: Workload, t: T, fmt: Formatters, cluster: string): DrawerSection[] {
  const sections: DrawerSection[] = [];
  if (w.kind === 'Job') {
    sections.push({
      title: t('drawer.job'),
      items: [
        [t('col.status'), <StatusBadge status={workloadStatus(w)} />],
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
        [t('col.status'), <StatusBadge status={workloadStatus(w)} />],
        [t('col.schedule'), <span className="font-mono">{w.schedule}</span>],
        [t('drawer.suspended'), w.suspend ? t('yes') : t('no')],
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
        [t('col.status'), <StatusBadge status={workloadStatus(w)} />],
        [t('col.desired'), fmt.number(w.desired ?? 0)],
        [t('col.current'), w.current != null ? fmt.number(w.current) : undefined],
        [t('col.ready'), fmt.number(w.ready ?? 0)],
        [t('col.available'), w.available != null ? fmt.number(w.available) : undefined],
        [t('col.updated'), w.updated != null ? fmt.number(w.updated) : undefined],
        [t('drawer.strategy'), w.strategy],
        [t('drawer.generation'), w.generation != null ? `${w.observed_generation ?? '?'} / ${w.generation}` : undefined],
        [t('drawer.paused'), w.paused ? t('yes') : undefined],
      ],
    });
  }
  sections.push({
    title: t('drawer.template'),
    items: [
      [t('col.images'), w.images?.length ? <span className="font-mono text-xs break-all">{w.images.join('\n')}</span> : undefined],
      [t('drawer.selector'), w.selector ? <LabelChips labels={w.selector.split(',')} max={20} /> : undefined],
      [
        t('drawer.pods'),
        <Link className="text-accent hover:underline" to={`/c/${cluster}/pods?ns=${encodeURIComponent(w.namespace ?? '')}&q=${encodeURIComponent(w.name)}`}>
          {t('drawer.podsLink')}
        </Link>,
      ],
    ],
  });
  if (w.conditions?.length) {
    sections.push({
      title: t('drawer.conditions'),
      body: (
        <ul className="space-y-1.5 text-[13px]">
          {w.conditions.map((c) => (
            <li key={c.type} className="flex flex-wrap items-center gap-2">
              <Chip tone={c.status === 'True' ? (c.type === 'ReplicaFailure' ? 'crit' : 'ok') : 'warn'}>{c.type}</Chip>
              <span>{c.status}</span>
              {c.reason && <span className="text-muted">{c.reason}</span>}
              {c.message && <span className="w-full text-xs text-muted">{c.message}</span>}
            </li>
          ))}
        </ul>
      ),
    });
  }
  return sections;
}

export default function WorkloadsPage() {
  const { t } = useTranslation('workloads');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [kindRaw] = useUrlParam('kind', 'deployments');
  const update = useUrlUpdate();
  const kind = (WORKLOAD_KINDS as readonly string[]).includes(kindRaw) ? (kindRaw as WorkloadResource) : 'deployments';
  const columns = useMemo(() => columnsFor(kind, t, fmt), [kind, t, fmt]);
  const info = kindByResource(kind)!;

  const kindSwitch = (
    <div role="tablist" aria-label={t('kinds')} className="flex rounded-md border border-line bg-surface-2 p-0.5" data-testid="workload-kinds">
      {WORKLOAD_KINDS.map((k) => (
        <button
          key={k}
          role="tab"
          type="button"
          aria-selected={k === kind}
          className={`rounded px-2.5 py-1 text-xs font-medium ${k === kind ? 'bg-surface text-fg shadow-sm' : 'text-muted hover:text-fg'}`}
          onClick={() => update({ kind: k === 'deployments' ? null : k, obj: null, tab: null }, { push: true })}
        >
          {t(`kind.${k}`)}
        </button>
      ))}
    </div>
  );

  return (
    <ResourceList<Workload>
      key={kind}
      resource={kind}
      kindLabel={info.kind}
      title={t('title')}
      description={t('description')}
      columns={columns}
      headerExtra={kindSwitch}
      searchPlaceholder={t('search')}
      searchText={(w) => `${w.images?.join(' ') ?? ''} ${workloadStatus(w).label}`}
      summary={(w) => summaryFor(w, t, fmt, cluster)}
      emptyTitle={t('empty', { kind: t(`kind.${kind}`) })}
    />
  );
}
