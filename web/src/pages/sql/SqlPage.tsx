import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Download, Play, Table2, BookOpen, AlertTriangle } from 'lucide-react';
import { PageHeader } from '../../common/PageHeader';
import { DataTable, type Column } from '../../common/DataTable';
import { Empty, ErrorState, Loading } from '../../common/States';
import { Chip } from '../../common/Badge';
import { MultiSelect } from '../../common/Inputs';
import { TimeRangePicker } from '../../common/TimeRangePicker';
import { Tabs } from '../../common/Tabs';
import { useFormat } from '../../lib/i18n/useFormat';
import { useTheme } from '../../lib/theme';
import { useUrlList, useUrlParam, useUrlTimeRange } from '../../lib/url';
import { resolveRange, type TimeRange } from '../../lib/time';
import type { Schemas } from '../../lib/api';
import { cellText, completionSchema, DEFAULT_SQL, isNumericType, type SQLResult } from './logic';
import { useDownload, useRunSql, useSqlExamples, useSqlSchema } from './hooks';

const SqlEditor = lazy(() => import('./SqlEditor'));
const MAX_RANGE = 31 * 86_400_000;

function requestBody(sqlText: string, clusters: string[], range: TimeRange, maxRows: number): Schemas['SQLRequest'] {
  const { from, to } = resolveRange(range);
  return { sql: sqlText, clusters: clusters.length ? clusters : undefined, from: new Date(from).toISOString(), to: new Date(to).toISOString(), max_rows: maxRows };
}

function ResultGrid({ result }: { result: SQLResult }) {
  const { t } = useTranslation('sql');
  const columns: Column<unknown[]>[] = useMemo(
    () =>
      result.columns.map((c, i) => ({
        id: String(i),
        header: c.name,
        width: isNumericType(c.type) ? 'minmax(7rem,1fr)' : 'minmax(10rem,2fr)',
        align: isNumericType(c.type) ? 'right' : 'left',
        sortValue: (r: unknown[]) => {
          const v = r[i];
          return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : v === null || v === undefined ? null : JSON.stringify(v);
        },
        cell: (r: unknown[]) => (r[i] === null || r[i] === undefined ? <span className="text-faint italic">NULL</span> : <span className="font-mono text-xs">{cellText(r[i])}</span>),
        title: (r: unknown[]) => cellText(r[i]),
      })),
    [result],
  );
  const rows = useMemo(() => result.rows.map((r, i) => Object.assign(r, { __i: i })), [result]);
  return <DataTable label={t('results')} columns={columns} rows={rows} rowKey={(r) => String((r as unknown as { __i: number }).__i)} rowHeight={32} empty={<Empty title={t('noRows')} />} />;
}

export default function SqlPage() {
  const { t } = useTranslation('sql');
  const fmt = useFormat();
  const [, effective] = useTheme();
  const schemaQ = useSqlSchema();
  const examplesQ = useSqlExamples();
  const [urlSql, setUrlSql] = useUrlParam('sql');
  const [text, setText] = useState(urlSql || DEFAULT_SQL);
  const [clusters, setClusters] = useUrlList('clusters');
  const [range, setRange] = useUrlTimeRange({ kind: 'relative', preset: '24h', ms: 86_400_000 }, MAX_RANGE);
  const [side, setSide] = useState<'schema' | 'examples'>('schema');
  const run = useRunSql();
  const dl = useDownload();
  // The grid shows up to 10,000 rows; downloads may take the API's whole limit.
  const maxRows = Math.min(10_000, schemaQ.data?.limits?.max_rows ?? 10_000);
  const maxDownload = schemaQ.data?.limits?.max_rows ?? 10_000;
  const hints = useMemo(() => completionSchema(schemaQ.data), [schemaQ.data]);

  const execute = useCallback(() => {
    if (!text.trim() || run.isPending) return;
    setUrlSql(text.length < 4000 ? text : null);
    run.mutate(requestBody(text, clusters, range, maxRows));
  }, [text, clusters, range, maxRows, run, setUrlSql]);

  const download = (format: 'csv' | 'parquet') => dl.mutate({ body: requestBody(text, clusters, range, maxDownload), format });

  const insert = (s: string) => setText((cur) => (cur.endsWith('\n') || cur === '' ? cur + s : `${cur} ${s}`));

  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('description')}
        actions={
          <>
            <MultiSelect label={t('clusters')} values={clusters} onChange={setClusters} options={(schemaQ.data?.clusters ?? []).map((c) => [c])} testId="sql-clusters" />
            <TimeRangePicker value={range} onChange={setRange} presets={['1h', '6h', '24h', '7d', '30d']} />
          </>
        }
      />
      <div className="flex min-h-0 flex-1">
        <aside className="hidden w-64 shrink-0 flex-col border-r border-line bg-surface md:flex" aria-label={t('sidebar')}>
          <Tabs
            label={t('sidebar')}
            value={side}
            onChange={(v) => setSide(v as 'schema' | 'examples')}
            tabs={[
              { id: 'schema', label: <><Table2 size={14} aria-hidden /> {t('schema')}</> },
              { id: 'examples', label: <><BookOpen size={14} aria-hidden /> {t('examples')}</> },
            ]}
            className="px-2"
          />
          <div className="min-h-0 flex-1 overflow-y-auto p-2 text-[13px]">
            {side === 'schema' ? (
              schemaQ.isPending ? (
                <Loading rows={8} />
              ) : schemaQ.error ? (
                <ErrorState error={schemaQ.error} compact />
              ) : (
                <ul data-testid="sql-schema">
                  {schemaQ.data.tables.map((tb) => (
                    <li key={tb.name}>
                      <details>
                        <summary className="cursor-pointer rounded px-1.5 py-1 font-mono hover:bg-surface-2" title={t(`table.${tb.name}`, { defaultValue: tb.doc })} data-testid={`sql-table-${tb.name}`}>
                          {tb.name}
                        </summary>
                        <ul className="mb-1 ml-3 border-l border-line pl-2">
                          {tb.columns.map((c) => (
                            <li key={c.name}>
                              <button type="button" className="flex w-full items-center justify-between gap-2 rounded px-1 py-0.5 text-left hover:bg-surface-2" onClick={() => insert(c.name)} title={t('insert')}>
                                <span className="truncate font-mono text-xs">{c.name}</span>
                                <span className="truncate text-[11px] text-faint">{c.type.toLowerCase()}</span>
                              </button>
                            </li>
                          ))}
                        </ul>
                      </details>
                    </li>
                  ))}
                </ul>
              )
            ) : examplesQ.isPending ? (
              <Loading rows={6} />
            ) : examplesQ.error ? (
              <ErrorState error={examplesQ.error} compact />
            ) : (
              <ul className="space-y-1" data-testid="sql-examples">
                {examplesQ.data.items.map((ex) => (
                  <li key={ex.id}>
                    <button type="button" className="w-full rounded px-2 py-1.5 text-left hover:bg-surface-2" onClick={() => setText(ex.sql)} data-testid={`example-${ex.id}`}>
                      <span className="block font-medium">{t(`example.${ex.id}.title`, { defaultValue: ex.title })}</span>
                      {ex.description && <span className="block text-xs text-muted">{t(`example.${ex.id}.description`, { defaultValue: ex.description })}</span>}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          {schemaQ.data?.limits && (
            <p className="border-t border-line p-2 text-[11px] text-faint">
              {t('limits', { rows: fmt.number(schemaQ.data.limits.max_rows), seconds: schemaQ.data.limits.timeout_seconds, days: schemaQ.data.limits.max_range_days })}
            </p>
          )}
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <div className="h-56 shrink-0 border-b border-line">
            <Suspense fallback={<div className="skeleton m-3 h-48" />}>
              <SqlEditor value={text} onChange={setText} onRun={execute} schema={hints} dark={effective === 'dark'} label={t('editor')} placeholder={t('placeholder')} />
            </Suspense>
          </div>
          <div className="flex flex-wrap items-center gap-2 border-b border-line bg-surface px-4 py-2">
            <button type="button" className="btn btn-primary" onClick={execute} disabled={run.isPending || !text.trim()} data-testid="sql-run">
              <Play size={14} aria-hidden /> {run.isPending ? t('running') : t('run')}
            </button>
            <kbd className="hidden text-xs text-faint sm:inline">{t('runHint')}</kbd>
            <div className="flex-1" />
            {run.data && (
              <span className="text-xs text-muted" data-testid="sql-stats">
                {t('stats', { count: run.data.row_count, rows: fmt.number(run.data.row_count), ms: fmt.number(run.data.elapsed_ms, 0) })}
              </span>
            )}
            {run.data?.truncated && (
              <Chip tone="warn">
                <AlertTriangle size={12} aria-hidden /> {t('truncated', { max: fmt.number(maxRows) })}
              </Chip>
            )}
            <button type="button" className="btn" onClick={() => download('csv')} disabled={dl.isPending || !text.trim()} data-testid="sql-csv">
              <Download size={14} aria-hidden /> CSV
            </button>
            <button type="button" className="btn" onClick={() => download('parquet')} disabled={dl.isPending || !text.trim()} data-testid="sql-parquet">
              <Download size={14} aria-hidden /> Parquet
            </button>
          </div>
          {dl.error && (
            <div className="border-b border-line">
              <ErrorState error={dl.error} compact />
            </div>
          )}
          <div className="flex min-h-0 flex-1 flex-col bg-surface" aria-live="polite">
            {run.isPending ? (
              <Loading />
            ) : run.error ? (
              <div data-testid="sql-error">
                <ErrorState error={run.error} onRetry={execute} />
              </div>
            ) : run.data ? (
              <ResultGrid result={run.data} />
            ) : (
              <Empty title={t('idle')} description={t('idleHint')} />
            )}
          </div>
        </div>
      </div>
    </>
  );
}
