import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ArrowRight } from 'lucide-react';
import { ErrorState, Loading } from '../States';
import { Segmented } from '../Segmented';
import { useObject } from '../resource';
import { useTimeline } from './hooks';
import { ApiError } from '../../lib/api/http';
import { useFormat } from '../../lib/i18n/useFormat';
import { fromLocalInput, parseInstant, toLocalInput } from '../../lib/time';
import { useUrlParam, useUrlUpdate } from '../../lib/url';
import { aroundChange, changeMoments, defaultFrom } from './moments';
import { diffStat, split, toYaml, unified, type LineType } from './yaml';

const ROW: Record<LineType, string> = { same: '', add: 'bg-ok/10', del: 'bg-crit/10' };
const MARK: Record<LineType, string> = { same: ' ', add: '+', del: '-' };

/** The object's YAML at one moment: '' when it did not exist then. */
function useYamlAt(resource: string, cluster: string, key: { namespace: string; name: string }, at: number | null) {
  const q = useObject(resource, cluster, at === null ? null : key, at === null ? null : new Date(at).toISOString());
  const missing = q.error instanceof ApiError && q.error.status === 404;
  return { q, missing, yaml: missing ? '' : q.data ? toYaml(q.data.detail ?? null) : undefined };
}

/**
 * The time-travel diff of one object: its YAML at two moments (t1, t2 in
 * the URL), unified or side by side. By default t2 is the moment viewed
 * and t1 just before the object's last change; its recent changes are one
 * click away.
 */
export default function YamlDiff({ cluster, resource, object: o, at }: { cluster: string; resource: string; object: { namespace?: string; name: string; uid: string }; at: string | null }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const [t1raw] = useUrlParam('t1');
  const [t2raw] = useUrlParam('t2');
  const [mode, setMode] = useUrlParam('diff', 'unified');
  const update = useUrlUpdate();
  const [now] = useState(() => Date.now());
  const timeline = useTimeline(cluster, { kind: resource, namespace: o.namespace, name: o.name, uid: o.uid }, '-7d', at ?? undefined);
  const changes = useMemo(() => changeMoments(timeline.data?.items ?? []), [timeline.data]);
  const t2 = parseInstant(t2raw) ?? parseInstant(at) ?? now;
  const t1 = parseInstant(t1raw) ?? (timeline.isPending ? null : defaultFrom(changes, t2));
  const key = { namespace: o.namespace ?? '', name: o.name };
  const a = useYamlAt(resource, cluster, key, t1);
  const b = useYamlAt(resource, cluster, key, t2);
  const set = (x: number | null, y: number | null) => update({ t1: x === null ? null : new Date(x).toISOString(), t2: y === null ? null : new Date(y).toISOString() });

  const ready = a.yaml !== undefined && b.yaml !== undefined;
  const stat = useMemo(() => (ready ? diffStat(a.yaml!, b.yaml!) : null), [ready, a.yaml, b.yaml]);
  const rows = useMemo(() => (ready && mode !== 'split' ? unified(a.yaml!, b.yaml!) : []), [ready, mode, a.yaml, b.yaml]);
  const pairs = useMemo(() => (ready && mode === 'split' ? split(a.yaml!, b.yaml!) : []), [ready, mode, a.yaml, b.yaml]);
  const err = [a, b].find((s) => s.q.error && !s.missing)?.q;

  const moment = (label: string, v: number | null, onChange: (x: number) => void, testId: string) => (
    <label className="block">
      <span className="label">{label}</span>
      <input
        type="datetime-local"
        className="input mt-1 block"
        value={v === null ? '' : toLocalInput(v)}
        onChange={(e) => {
          const x = fromLocalInput(e.target.value);
          if (x !== null) onChange(x);
        }}
        data-testid={testId}
      />
    </label>
  );

  return (
    <div className="space-y-3" data-testid="yaml-diff">
      <div className="flex flex-wrap items-end gap-3">
        {moment(t('time.from'), t1, (x) => set(x, t2), 'yaml-diff-from')}
        <ArrowRight size={16} className="mb-2 text-muted" aria-hidden />
        {moment(t('time.to'), t2, (x) => set(t1, x), 'yaml-diff-to')}
        {changes.length > 0 && (
          <label className="block">
            <span className="label">{t('yamlDiff.change')}</span>
            <select
              className="input mt-1 block"
              value=""
              onChange={(e) => {
                const c = changes[Number(e.target.value)];
                if (c) {
                  const m = aroundChange(c);
                  set(m.t1, m.t2);
                }
              }}
              data-testid="yaml-diff-changes"
            >
              <option value="">{t('yamlDiff.pick')}</option>
              {changes.slice(0, 20).map((c, i) => (
                <option key={c.ts + i} value={i}>
                  {`${t(`op.${c.op}`, { defaultValue: c.op })} · ${fmt.dateTime(c.ts)}`}
                </option>
              ))}
            </select>
          </label>
        )}
        <Segmented
          className="ml-auto"
          label={t('yamlDiff.layout')}
          value={mode === 'split' ? 'split' : 'unified'}
          onChange={(m) => setMode(m)}
          options={(['unified', 'split'] as const).map((m) => ({ id: m, label: t(`yamlDiff.${m}`), testId: `yaml-diff-mode-${m}` }))}
        />
      </div>
      {t1 !== null && t1 >= t2 ? (
        <p className="text-[13px] text-crit">{t('time.invalid')}</p>
      ) : err ? (
        <ErrorState error={err.error} onRetry={() => void err.refetch()} compact />
      ) : !ready || !stat ? (
        <Loading rows={6} />
      ) : (
        <>
          <p className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted" data-testid="yaml-diff-stat">
            <span>
              <time dateTime={new Date(t1!).toISOString()}>{fmt.dateTime(t1)}</time> → <time dateTime={new Date(t2).toISOString()}>{fmt.dateTime(t2)}</time>
            </span>
            {a.missing && <span>{t('yamlDiff.absentBefore')}</span>}
            {b.missing && <span>{t('yamlDiff.absentAfter')}</span>}
            <span className="text-ok" data-testid="yaml-diff-added">
              {t('yamlDiff.added', { count: stat.added })}
            </span>
            <span className="text-crit" data-testid="yaml-diff-removed">
              {t('yamlDiff.removed', { count: stat.removed })}
            </span>
          </p>
          {stat.added + stat.removed === 0 ? (
            <p className="text-[13px] text-muted" data-testid="yaml-diff-same">
              {t('yamlDiff.same')}
            </p>
          ) : mode === 'split' ? (
            <div className="overflow-auto rounded-md border border-line font-mono text-xs leading-relaxed" data-testid="yaml-diff-split">
              <table className="w-full table-fixed border-collapse">
                <colgroup>
                  <col className="w-10" />
                  <col />
                  <col className="w-10" />
                  <col />
                </colgroup>
                <tbody>
                  {pairs.map((p, i) =>
                    'skip' in p ? (
                      <tr key={i} className="bg-surface-2 text-faint">
                        <td colSpan={4} className="px-2">
                          {t('yamlDiff.unchanged', { count: p.skip })}
                        </td>
                      </tr>
                    ) : (
                      <tr key={i}>
                        <td className="px-1 text-right text-faint select-none">{p.left?.no}</td>
                        <td className={`border-r border-line px-2 break-all whitespace-pre-wrap ${p.left ? ROW[p.left.type] : ''}`} data-type={p.left?.type}>
                          {p.left?.text}
                        </td>
                        <td className="px-1 text-right text-faint select-none">{p.right?.no}</td>
                        <td className={`px-2 break-all whitespace-pre-wrap ${p.right ? ROW[p.right.type] : ''}`} data-type={p.right?.type}>
                          {p.right?.text}
                        </td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
            </div>
          ) : (
            <div className="overflow-auto rounded-md border border-line font-mono text-xs leading-relaxed" data-testid="yaml-diff-unified">
              {rows.map((r, i) =>
                r.type === 'skip' ? (
                  <div key={i} className="bg-surface-2 px-2 text-faint">
                    {t('yamlDiff.unchanged', { count: r.count })}
                  </div>
                ) : (
                  <div key={i} className={`flex ${ROW[r.type]}`} data-type={r.type}>
                    <span className="w-10 shrink-0 px-1 text-right text-faint select-none">{r.a}</span>
                    <span className="w-10 shrink-0 px-1 text-right text-faint select-none">{r.b}</span>
                    <span className="w-4 shrink-0 text-center select-none">{MARK[r.type]}</span>
                    <span className="break-all whitespace-pre-wrap" data-line>
                      {r.text}
                    </span>
                  </div>
                ),
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}
