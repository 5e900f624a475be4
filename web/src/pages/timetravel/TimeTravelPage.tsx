import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ArrowRight, History } from 'lucide-react';
import { PageHeader } from '../../common/PageHeader';
import { Card, StatCard } from '../../common/StatCard';
import { Empty, ErrorState, Loading } from '../../common/States';
import { Chip } from '../../common/Badge';
import { MultiSelect } from '../../common/Inputs';
import { FieldChanges } from '../../common/detail/FieldChanges';
import { useFormat } from '../../lib/i18n/useFormat';
import { useClusterId, useUrlList, useUrlParam, useUrlUpdate } from '../../lib/url';
import { fromLocalInput, parseInstant, toLocalInput } from '../../lib/time';
import { KINDS, objectKey, objectLink } from '../../lib/k8s';
import { SNAPSHOT_KINDS, useDiff, useSnapshotCounts } from './hooks';
import { defaultDiffWindow, snapMinute, SLIDER_WINDOWS, type SliderWindow } from './logic';

const CHANGE_TONE = { added: 'ok', removed: 'crit', changed: 'info' } as const;

function MomentPicker({ at, onCommit }: { at: number; onCommit: (t: number) => void }) {
  const { t } = useTranslation('timetravel');
  const fmt = useFormat();
  const [win, setWin] = useState<SliderWindow>('24h');
  const [now] = useState(() => Date.now());
  const min = now - SLIDER_WINDOWS[win];
  const [v, setV] = useState(at);
  useEffect(() => setV(at), [at]);
  const commit = () => v !== at && onCommit(v);
  return (
    <Card title={t('moment.title')} testId="moment-picker">
      <div className="flex flex-wrap items-center gap-3">
        <History size={16} className="text-muted" aria-hidden />
        <output className="text-base font-semibold tabular" data-testid="moment-value">
          {fmt.dateTime(v)}
        </output>
        <span className="text-xs text-muted">({fmt.relative(v)})</span>
        <div className="flex-1" />
        <label className="flex items-center gap-2 text-xs text-muted">
          {t('moment.exact')}
          <input
            type="datetime-local"
            className="input"
            value={toLocalInput(v)}
            max={toLocalInput(now)}
            onChange={(e) => {
              const x = fromLocalInput(e.target.value);
              if (x !== null) {
                setV(x);
                onCommit(x);
              }
            }}
            data-testid="moment-input"
          />
        </label>
      </div>
      <div className="mt-4 flex items-center gap-3">
        <select className="input h-7 text-xs" value={win} onChange={(e) => setWin(e.target.value as SliderWindow)} aria-label={t('moment.window')}>
          {Object.keys(SLIDER_WINDOWS).map((w) => (
            <option key={w} value={w}>
              {t('moment.last', { range: w })}
            </option>
          ))}
        </select>
        <input
          type="range"
          className="flex-1 accent-(--accent)"
          min={min}
          max={now}
          step={60_000}
          value={Math.max(min, v)}
          aria-label={t('moment.slider')}
          aria-valuetext={fmt.dateTime(v)}
          onChange={(e) => setV(snapMinute(Number(e.target.value), min, now))}
          onPointerUp={commit}
          onKeyUp={commit}
          data-testid="moment-slider"
        />
        <span className="text-xs whitespace-nowrap text-muted">{t('moment.now')}</span>
      </div>
    </Card>
  );
}

function Snapshot({ cluster, at }: { cluster: string; at: number }) {
  const { t } = useTranslation('timetravel');
  const fmt = useFormat();
  const iso = new Date(at).toISOString();
  const qs = useSnapshotCounts(cluster, iso);
  const n = SNAPSHOT_KINDS.length;
  const troubled = qs[n];
  const notReady = qs[n + 1];
  // Before the cluster's history began the API says when it begins (pods
  // and nodes are checkpointed hourly from the agent's first minute).
  const historyStartsAt = (qs[SNAPSHOT_KINDS.indexOf('pods')]?.data as { history_starts_at?: string } | undefined)?.history_starts_at;
  const link = (resource: string) => {
    const enc = encodeURIComponent(iso);
    if (resource === 'pods') return `/c/${cluster}/pods?at=${enc}`;
    if (resource === 'nodes') return `/c/${cluster}/nodes?at=${enc}`;
    if (resource === 'services' || resource === 'ingresses' || resource === 'namespaces') return `/c/${cluster}/${resource}?at=${enc}`;
    if (['deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'].includes(resource)) return `/c/${cluster}/workloads?kind=${resource}&at=${enc}`;
    return undefined;
  };
  return (
    <Card title={t('snapshot.title', { time: fmt.dateTime(at) })} testId="snapshot">
      {historyStartsAt && (
        <p className="mb-3 text-[13px] font-medium text-warn" role="status" data-testid="no-data-before">
          {t('common:time.noDataBefore', { time: fmt.dateTime(historyStartsAt) })} · {t('common:time.noDataBeforeHint')}
        </p>
      )}
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 xl:grid-cols-6">
        {SNAPSHOT_KINDS.map((r, i) => {
          const q = qs[i];
          const kind = KINDS.find((k) => k.resource === r)!.kind;
          return (
            <StatCard
              key={r}
              label={kind}
              to={link(r)}
              value={q.isPending ? <span className="skeleton inline-block h-6 w-12" /> : q.error ? '—' : fmt.number(q.data?.total ?? q.data?.items.length)}
              testId={`snapshot-${r}`}
            />
          );
        })}
        <StatCard label={t('snapshot.troubledPods')} to={`/c/${cluster}/pods?at=${encodeURIComponent(iso)}&phase=Pending,Failed,Unknown`} value={fmt.number(troubled?.data?.total)} tone={(troubled?.data?.total ?? 0) > 0 ? 'warn' : undefined} />
        <StatCard label={t('snapshot.notReadyNodes')} to={`/c/${cluster}/nodes?at=${encodeURIComponent(iso)}&status=notready`} value={fmt.number(notReady?.data?.total)} tone={(notReady?.data?.total ?? 0) > 0 ? 'crit' : undefined} />
      </div>
    </Card>
  );
}

function DiffView({ cluster, at }: { cluster: string; at: number | null }) {
  const { t } = useTranslation('timetravel');
  const [now] = useState(() => Date.now());
  const def = defaultDiffWindow(at, now);
  const [t1raw, setT1] = useUrlParam('t1');
  const [t2raw, setT2] = useUrlParam('t2');
  const [kinds, setKinds] = useUrlList('kinds');
  const [change, setChange] = useUrlList('change');
  const t1 = parseInstant(t1raw) ?? def.t1;
  const t2 = parseInstant(t2raw) ?? def.t2;
  const valid = t1 < t2;
  const params = useMemo(() => ({ from: new Date(t1).toISOString(), to: new Date(t2).toISOString(), kinds, change }), [t1, t2, kinds, change]);
  const q = useDiff(cluster, params, valid);
  const first = q.data?.pages[0];
  const items = useMemo(() => q.data?.pages.flatMap((p) => p.items) ?? [], [q.data]);

  return (
    <Card title={t('diff.title')} testId="diff" bodyClass="p-0">
      <div className="flex flex-wrap items-end gap-3 border-b border-line px-4 py-3">
        <label className="block">
          <span className="label">{t('diff.from')}</span>
          <input type="datetime-local" className="input mt-1 block" value={toLocalInput(t1)} onChange={(e) => setT1(fromLocalInput(e.target.value) !== null ? new Date(fromLocalInput(e.target.value)!).toISOString() : null)} data-testid="diff-from" />
        </label>
        <ArrowRight size={16} className="mb-2 text-muted" aria-hidden />
        <label className="block">
          <span className="label">{t('diff.to')}</span>
          <input type="datetime-local" className="input mt-1 block" value={toLocalInput(t2)} onChange={(e) => setT2(fromLocalInput(e.target.value) !== null ? new Date(fromLocalInput(e.target.value)!).toISOString() : null)} data-testid="diff-to" />
        </label>
        <MultiSelect label={t('diff.kinds')} values={kinds} onChange={setKinds} options={KINDS.filter((k) => !['configmaps', 'secrets', 'endpointslices'].includes(k.resource)).map((k) => [k.resource])} testId="diff-kinds" />
        <MultiSelect label={t('diff.changes')} values={change} onChange={setChange} options={[['added'], ['removed'], ['changed']]} testId="diff-changes" />
        {first && (
          <div className="ml-auto flex gap-2" data-testid="diff-summary">
            <Chip tone="ok">{t('diff.added', { count: first.summary.added ?? 0 })}</Chip>
            <Chip tone="crit">{t('diff.removed', { count: first.summary.removed ?? 0 })}</Chip>
            <Chip tone="info">{t('diff.changed', { count: first.summary.changed ?? 0 })}</Chip>
          </div>
        )}
      </div>
      {!valid ? (
        <p className="p-4 text-[13px] text-crit">{t('common:time.invalid')}</p>
      ) : q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={t('diff.none')} description={t('diff.noneHint')} />
      ) : (
        <>
          <ul className="divide-y divide-line" data-testid="diff-items">
            {items.map((it) => {
              const kind = KINDS.find((k) => k.kind === it.kind || k.resource === it.kind);
              const link = objectLink(cluster, kind?.kind ?? it.kind, it.namespace, it.name);
              const atT2 = link ? `${link}&at=${encodeURIComponent(params.to)}` : null;
              return (
                <li key={`${it.change}-${it.uid}`} className="px-4 py-2.5">
                  <div className="flex flex-wrap items-center gap-2 text-[13px]">
                    <Chip tone={CHANGE_TONE[it.change]}>{t(`diff.change.${it.change}`)}</Chip>
                    <span className="text-muted">{kind?.kind ?? it.kind}</span>
                    {atT2 && it.change !== 'removed' ? (
                      <Link to={atT2} className="font-medium text-accent hover:underline">
                        {objectKey(it)}
                      </Link>
                    ) : (
                      <span className="font-medium">{objectKey(it)}</span>
                    )}
                    {it.fields && it.fields.length > 0 && <span className="text-xs text-faint">{t('diff.fields', { count: it.fields.length })}</span>}
                    {atT2 && it.change === 'changed' && (
                      <Link to={`${atT2}&tab=diff&t1=${encodeURIComponent(params.from)}&t2=${encodeURIComponent(params.to)}`} className="ml-auto text-xs text-accent hover:underline" data-testid="diff-yaml-link">
                        {t('common:detailTab.diff')}
                      </Link>
                    )}
                  </div>
                  {it.change === 'changed' && (
                    <div className="mt-1.5 pl-1">
                      <FieldChanges fields={it.fields} max={8} />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
          {q.hasNextPage && (
            <div className="border-t border-line p-3 text-center">
              <button type="button" className="btn" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage ? t('common:state.loading') : t('diff.more')}
              </button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}

export default function TimeTravelPage() {
  const { t } = useTranslation('timetravel');
  const cluster = useClusterId();
  const [atRaw] = useUrlParam('at');
  const update = useUrlUpdate();
  const [now] = useState(() => Date.now() - 60_000);
  const at = parseInstant(atRaw);
  const shown = at ?? now;
  return (
    <>
      <PageHeader title={t('title')} description={t('description')} />
      <div className="min-h-0 flex-1 space-y-4 overflow-y-auto p-6">
        <MomentPicker at={shown} onCommit={(x) => update({ at: new Date(x).toISOString(), t1: null, t2: null }, { push: true })} />
        <Snapshot cluster={cluster} at={shown} />
        <DiffView key={atRaw} cluster={cluster} at={at} />
      </div>
    </>
  );
}
