import { useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PageHeader } from './PageHeader';
import { RefreshControl } from './RefreshControl';
import { DataTable, type Column } from './DataTable';
import { Empty, NoMatches, NotCollected, QueryView } from './States';
import { MultiSelect, SearchInput } from './Inputs';
import { AtBanner, NoDataBefore } from './AtBanner';
import { closeDrawer, useAt, useClusterId, useUrlList, useUrlParam, useUrlUpdate } from '../lib/url';
import { kindByResource, objectKey, parseObjectKey, type ObjectDetail } from '../lib/k8s';
import { filterObjects, namespaceFacet, useObjects } from './resource';
import { ObjectDrawer, type DrawerSection } from './detail/ObjectDrawer';
import type { RelatedLink } from './detail/sections';

export interface ResourceListProps<T extends { namespace?: string; name: string; uid: string }> {
  resource: string;
  /** Defaults: the kind's names from the registry (k8s namespace). */
  kindLabel?: string;
  title?: string;
  description?: string;
  columns: Column<T>[];
  searchPlaceholder?: string;
  /** Extra text the search matches (IPs, hosts, images…). */
  searchText?: (r: T) => string;
  /** The kind's own detail sections for the selected object. */
  summary: (o: T, d: ObjectDetail) => DrawerSection[];
  /** Related objects beyond the ones the registry's reference columns name. */
  related?: (o: T, d: ObjectDetail) => RelatedLink[];
  emptyTitle?: string;
  emptyHint?: string;
  /** Controls placed before the namespace filter (e.g. kind tabs). */
  headerExtra?: ReactNode;
  /** Optional per-row transform/filter after fetching (e.g. join endpoints). */
  prepare?: (rows: T[]) => T[];
  rowTone?: (r: T) => string | undefined;
}

/**
 * The list-and-detail page most kinds share (Headlamp's ResourceListView):
 * namespace and text filters in the URL, a virtualized table, "not
 * collected" when the agent skips the kind, and a detail drawer with the
 * kind's sections, events, change timeline, YAML and YAML diff.
 */
export function ResourceList<T extends { namespace?: string; name: string; uid: string }>(p: ResourceListProps<T>) {
  const { t } = useTranslation('common');
  const cluster = useClusterId();
  const [at] = useAt();
  const atIso = at === null ? null : new Date(at).toISOString();
  const q = useObjects<T>(p.resource, cluster, atIso);
  const [namespaces, setNamespaces] = useUrlList('ns');
  const [text, setText] = useUrlParam('q');
  const [sel, setSel] = useUrlParam('obj');
  const update = useUrlUpdate();
  const info = kindByResource(p.resource);
  const kinds = info ? t(`k8s:kinds.${info.kind}`) : p.resource;
  const title = p.title ?? kinds;
  const search = p.searchPlaceholder ?? t('kindList.search', { kinds });

  const prepare = p.prepare;
  const all = useMemo(() => (prepare ? prepare(q.data?.items ?? []) : (q.data?.items ?? [])), [q.data, prepare]);
  const rows = useMemo(() => filterObjects(all, namespaces, text, p.searchText), [all, namespaces, text, p.searchText]);
  const facet = useMemo(() => namespaceFacet(all), [all]);
  const selected = parseObjectKey(sel || null);

  return (
    <>
      <PageHeader
        title={title}
        description={p.description}
        actions={<RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} paused={at !== null} asOf={q.data?.asOf} />}
      >
        <div className="flex flex-wrap items-center gap-2" role="search">
          {p.headerExtra}
          <SearchInput value={text} onChange={(v) => setText(v)} placeholder={search} label={search} testId={`${p.resource}-search`} />
          {info?.namespaced !== false && <MultiSelect label={t('field.namespace')} values={namespaces} onChange={setNamespaces} options={facet} testId="filter-namespace" />}
        </div>
      </PageHeader>
      <AtBanner historyStartsAt={q.data?.historyStartsAt} />
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        <QueryView query={q}>
          {(d) =>
            !d.collected ? (
              <NotCollected kinds={kinds} reason={d.reason} />
            ) : (
              <DataTable
                label={title}
                columns={p.columns}
                rows={rows}
                rowKey={(r) => r.uid || objectKey(r)}
                onRowClick={(r) => setSel(objectKey(r), { push: true })}
                selectedKey={all.find((r) => objectKey(r) === sel)?.uid}
                total={all.length}
                rowTone={p.rowTone}
                empty={
                  all.length > 0 ? (
                    <NoMatches onClear={() => update({ ns: null, q: null })} />
                  ) : d.historyStartsAt ? (
                    <NoDataBefore time={d.historyStartsAt} />
                  ) : (
                    <Empty title={p.emptyTitle ?? t('kindList.empty', { kinds })} description={p.emptyHint} />
                  )
                }
              />
            )
          }
        </QueryView>
      </div>
      <ObjectDrawer<T>
        resource={p.resource}
        kindLabel={p.kindLabel}
        cluster={cluster}
        objectKey={selected}
        at={atIso}
        summary={p.summary}
        related={p.related}
        onClose={() => update(closeDrawer('obj'), { push: true })}
      />
    </>
  );
}
