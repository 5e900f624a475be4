import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { Column } from '../../common/DataTable';
import { Chip, LabelChips } from '../../common/Badge';
import { useObjects } from '../../common/resource';
import { useFormat } from '../../lib/i18n/useFormat';
import { useAt, useClusterId } from '../../lib/url';
import type { KObject } from '../../lib/k8s';
import { joinEndpoints, noEndpoints, type ServiceRow } from './logic';

export default function ServicesPage() {
  const { t } = useTranslation('services');
  const fmt = useFormat();
  const cluster = useClusterId();
  const [at] = useAt();
  const slices = useObjects<KObject>('endpointslices', cluster, at === null ? null : new Date(at).toISOString());
  const prepare = useCallback((rows: ServiceRow[]) => joinEndpoints(rows, slices.data?.items ?? []), [slices.data]);

  const columns: Column<ServiceRow>[] = useMemo(
    () => [
      { id: 'name', header: t('col.name'), width: 'minmax(14rem,2fr)', sortValue: (s) => s.name, cell: (s) => <span className="font-medium">{s.name}</span>, title: (s) => s.name },
      { id: 'namespace', header: t('col.namespace'), width: 'minmax(8rem,1fr)', sortValue: (s) => s.namespace, cell: (s) => s.namespace },
      { id: 'type', header: t('col.type'), width: '8rem', sortValue: (s) => s.type, cell: (s) => <Chip tone={s.type === 'LoadBalancer' ? 'info' : 'neutral'}>{s.type || 'ClusterIP'}</Chip> },
      { id: 'ip', header: t('col.clusterIp'), width: '9rem', sortValue: (s) => s.cluster_ip, cell: (s) => <span className="font-mono text-xs">{s.cluster_ip || '—'}</span> },
      { id: 'ports', header: t('col.ports'), width: 'minmax(9rem,1.3fr)', sortValue: (s) => s.ports?.[0], cell: (s) => <span className="font-mono text-xs">{s.ports?.join(', ') || '—'}</span>, title: (s) => s.ports?.join('\n') },
      {
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
      },
      { id: 'selector', header: t('col.selector'), width: 'minmax(10rem,1.5fr)', sortValue: (s) => s.selector, cell: (s) => <span className="font-mono text-xs text-muted">{s.selector || '—'}</span>, title: (s) => s.selector },
      { id: 'age', header: t('col.age'), width: '5.5rem', align: 'right', sortValue: (s) => (s.created_at ? -Date.parse(s.created_at) : undefined), cell: (s) => fmt.age(s.created_at) },
    ],
    [t, fmt],
  );

  return (
    <ResourceList<ServiceRow>
      resource="services"
      kindLabel="Service"
      title={t('title')}
      description={t('description')}
      columns={columns}
      prepare={prepare}
      searchPlaceholder={t('search')}
      searchText={(s) => `${s.type ?? ''} ${s.cluster_ip ?? ''} ${s.ports?.join(' ') ?? ''} ${s.selector ?? ''}`}
      emptyTitle={t('empty')}
      summary={(detail) => {
        // The drawer's object comes from the detail route, without the
        // endpoint counts: join them exactly as the list row does.
        const s = joinEndpoints([detail], slices.data?.items ?? [])[0];
        return [
        {
          title: t('drawer.spec'),
          items: [
            [t('col.type'), s.type || 'ClusterIP'],
            [t('col.clusterIp'), s.cluster_ip ? <span className="font-mono">{s.cluster_ip}</span> : undefined],
            [t('col.ports'), s.ports?.length ? <span className="font-mono text-xs">{s.ports.join(', ')}</span> : undefined],
            [t('col.selector'), s.selector ? <LabelChips labels={s.selector.split(',')} /> : t('drawer.noSelector')],
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
