import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Filter } from 'lucide-react';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { DataTable, type Column } from '../../common/DataTable';
import { ErrorState, Loading, NoMatches, Empty } from '../../common/States';
import { StatusBadge } from '../../common/Badge';
import { MultiSelect, SearchInput, Select } from '../../common/Inputs';
import { AtBanner, NoDataBefore } from '../../common/AtBanner';
import { parseSort, sortString, type SortState } from '../../common/sort';
import { metaColumns } from '../../common/columns';
import { useFormat } from '../../lib/i18n/useFormat';
import { closeDrawer, useAt, useClusterId, useUrlList, useUrlParam, useUrlText, useUrlUpdate } from '../../lib/url';
import { objectKey, parseObjectKey, podFacets, podStatus, type Pod, type PodFilter } from '../../lib/k8s';
import { useFilteredPods, usePods } from './hooks';
import { podColumnsSort } from './sortKeys';
import { PodDrawer } from './PodDrawer';

const DEFAULT_SORT: SortState = { id: 'namespace', desc: false };

export default function PodsPage() {
  const { t } = useTranslation('pods');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const atIso = at === null ? null : new Date(at).toISOString();
  const q = usePods(cluster, atIso);

  const [namespaces, setNamespaces] = useUrlList('ns');
  const [phases, setPhases] = useUrlList('phase');
  const [node, setNode] = useUrlParam('node');
  const [problems, setProblems] = useUrlParam('problems');
  const [sortRaw, setSortRaw] = useUrlParam('sort');
  const [podKey, setPodKey] = useUrlParam('pod');
  const update = useUrlUpdate();

  // Typing filters from local state at once; the URL follows after a pause.
  const [text, setText] = useUrlText('q');

  const sort = useMemo(() => parseSort(sortRaw, DEFAULT_SORT), [sortRaw]);
  const filter: PodFilter = useMemo(() => ({ namespaces, phases, node, text, problemsOnly: problems === '1' }), [namespaces, phases, node, text, problems]);
  const pods = q.data?.items;
  const rows = useFilteredPods(pods, sort, filter);
  const facets = useMemo(() => podFacets(pods ?? []), [pods]);
  const filtered = namespaces.length > 0 || phases.length > 0 || !!node || !!text || problems === '1';

  const clear = useCallback(() => {
    setText('');
    update({ ns: null, phase: null, node: null, q: null, problems: null });
  }, [update]);

  const columns: Column<Pod>[] = useMemo(() => {
    const m = metaColumns<Pod>(t, fmt, at);
    return [
      { ...m.name, width: 'minmax(14rem,2.2fr)', sortValue: podColumnsSort.name },
      { ...m.namespace, width: 'minmax(7.5rem,1fr)', sortValue: podColumnsSort.namespace },
      { id: 'status', header: t('col.status'), width: 'minmax(10.5rem,1.1fr)', sortValue: podColumnsSort.status, cell: (p) => <StatusBadge status={podStatus(p)} /> },
      { id: 'ready', header: t('col.ready'), width: '5rem', align: 'right', sortValue: podColumnsSort.ready, cell: (p) => `${p.ready_containers ?? 0}/${p.total_containers ?? 0}` },
      {
        id: 'restarts',
        header: t('col.restarts'),
        width: '5.5rem',
        align: 'right',
        sortValue: podColumnsSort.restarts,
        cell: (p) => <span className={(p.restarts ?? 0) > 0 ? 'text-warn' : 'text-faint'}>{fmt.number(p.restarts ?? 0)}</span>,
      },
      { id: 'node', header: t('col.node'), width: 'minmax(7.5rem,1.2fr)', sortValue: podColumnsSort.node, cell: (p) => p.node || <span className="text-faint">—</span>, title: (p) => p.node },
      { id: 'ip', header: t('col.ip'), width: '8rem', sortValue: podColumnsSort.ip, cell: (p) => <span className="font-mono text-xs">{p.pod_ip || '—'}</span> },
      { id: 'cpu', header: t('col.cpu'), width: '5.5rem', align: 'right', sortValue: podColumnsSort.cpu, cell: (p) => fmt.cpu(p.cpu_request_milli ?? 0) },
      { id: 'mem', header: t('col.mem'), width: '6.5rem', align: 'right', sortValue: podColumnsSort.mem, cell: (p) => fmt.bytes(p.mem_request_bytes ?? 0, 0) },
      { ...m.age, width: '5.75rem', sortValue: podColumnsSort.age },
    ];
  }, [t, fmt, at]);

  const open = useCallback((p: Pod) => setPodKey(objectKey(p), { push: true }), [setPodKey]);
  const total = pods?.length;

  return (
    <>
      <PageHeader
        title={t('title')}
        description={t('description')}
        actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} paused={at !== null} asOf={q.data?.asOf} />}
      >
        <div className="flex flex-wrap items-center gap-2" role="search" aria-label={t('filters')}>
          <SearchInput value={text} onChange={setText} placeholder={t('search')} label={t('search')} testId="pods-search" />
          <MultiSelect label={t('col.namespace')} values={namespaces} onChange={setNamespaces} options={facets.namespaces} testId="filter-namespace" />
          <Select
            label={t('col.node')}
            value={node}
            onChange={(v) => setNode(v)}
            options={facets.nodes.map(([n, c]) => [n, `${n} (${c})`])}
            allLabel={t('allNodes')}
            testId="filter-node"
          />
          <MultiSelect label={t('col.phase')} values={phases} onChange={setPhases} options={facets.phases} testId="filter-phase" />
          <label className="btn cursor-pointer">
            <input type="checkbox" className="accent-(--accent)" checked={problems === '1'} onChange={(e) => setProblems(e.target.checked ? '1' : null)} data-testid="filter-problems" />
            <Filter size={14} aria-hidden />
            {t('problemsOnly')}
          </label>
          {filtered && (
            <button type="button" className="btn btn-ghost" onClick={clear}>
              {t('common:action.clearFilters')}
            </button>
          )}
        </div>
      </PageHeader>
      <AtBanner historyStartsAt={q.data?.historyStartsAt} />
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        {q.isPending ? (
          <div>
            {q.progress && (
              <p className="px-6 pt-4 text-xs text-muted" role="status">
                {t('loadingProgress', { loaded: fmt.number(q.progress.loaded), total: fmt.number(q.progress.total) })}
              </p>
            )}
            <Loading rows={12} />
          </div>
        ) : q.error && !q.data ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <DataTable
            label={t('title')}
            columns={columns}
            rows={rows}
            rowKey={(p) => p.uid || objectKey(p)}
            onRowClick={open}
            selectedKey={pods?.find((p) => objectKey(p) === podKey)?.uid ?? null}
            sort={sort}
            onSortChange={(s) => setSortRaw(sortString(s) === sortString(DEFAULT_SORT) ? null : sortString(s))}
            presorted
            total={total}
            empty={(total ?? 0) > 0 ? <NoMatches onClear={clear} /> : q.data?.historyStartsAt ? <NoDataBefore time={q.data.historyStartsAt} /> : <Empty title={t('empty')} description={at ? t('emptyAt') : t('emptyHint')} />}
          />
        )}
      </div>
      <PodDrawer cluster={cluster} podKey={parseObjectKey(podKey)} at={atIso} onClose={() => update(closeDrawer('pod'), { push: true })} />
    </>
  );
}
