import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { Column } from '../../common/DataTable';
import { Chip } from '../../common/Badge';
import type { KeyValueItem } from '../../common/KeyValue';
import { useObjects } from '../../common/resource';
import { kindFields, kindSearchText, metaColumns, objectColumn } from '../../common/columns';
import { useFormat } from '../../lib/i18n/useFormat';
import { useAt, useClusterId } from '../../lib/url';
import { kindByResource, type KObject } from '../../lib/k8s';
import { joinEndpoints, noEndpoints, type ServiceRow } from './logic';

const info = kindByResource('services')!;

export default function ServicesPage() {
  const { t } = useTranslation('services');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const slices = useObjects<KObject>('endpointslices', cluster, at === null ? null : new Date(at).toISOString());
  const prepare = useCallback((rows: ServiceRow[]) => joinEndpoints(rows, slices.data?.items ?? []), [slices.data]);

  const columns: Column<ServiceRow>[] = useMemo(() => {
    const m = metaColumns<ServiceRow>(t, fmt, at);
    const col = (c: string) => objectColumn<ServiceRow>(c, t, fmt);
    const endpoints: Column<ServiceRow> = {
      id: 'endpoints',
      header: t('col.endpoints'),
      width: '8rem',
      align: 'right',
      sortValue: (s) => s.endpointsReady ?? -1,
      cell: (s) =>
        noEndpoints(s) ? (
          <Chip tone="crit">{t('noEndpoints')}</Chip>
        ) : s.endpointsReady === undefined ? (
          <span className="text-faint">—</span>
        ) : (
          <span className={(s.endpointsNotReady ?? 0) > 0 ? 'text-warn' : ''}>{`${fmt.number(s.endpointsReady)}/${fmt.number((s.endpointsReady ?? 0) + (s.endpointsNotReady ?? 0))}`}</span>
        ),
    };
    return [m.name, m.namespace, col('type'), col('cluster_ip'), col('ports'), endpoints, col('selector'), m.age];
  }, [t, fmt, at]);

  return (
    <ResourceList<ServiceRow>
      resource="services"
      title={t('title')}
      description={t('description')}
      columns={columns}
      prepare={prepare}
      searchPlaceholder={t('search')}
      searchText={(s) => kindSearchText(info, s, t, fmt)}
      emptyTitle={t('empty')}
      summary={(detail) => {
        // The drawer's object comes from the detail route, without the
        // endpoint counts: join them exactly as the list row does.
        const s = joinEndpoints([detail], slices.data?.items ?? [])[0];
        return [
        {
          title: t('drawer.spec'),
          testId: 'kind-fields',
          items: [
            ...kindFields(info, s, t, fmt).map(([label, value, id]): KeyValueItem => [label, id === 'selector' && !s.selector ? t('drawer.noSelector') : value, id]),
            [
              t('col.endpoints'),
              slices.isPending ? undefined : noEndpoints(s) ? <span className="text-crit" data-testid="service-endpoints">{t('drawer.noEndpointsHint')}</span> : s.endpointsReady !== undefined ? <span data-testid="service-endpoints">{t('drawer.endpoints', { ready: s.endpointsReady, notReady: s.endpointsNotReady ?? 0 })}</span> : undefined,
            ],
          ],
        },
      ];
      }}
    />
  );
}
