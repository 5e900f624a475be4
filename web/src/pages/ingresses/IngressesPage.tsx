import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { Column } from '../../common/DataTable';
import { Chip } from '../../common/Badge';
import { useFormat } from '../../lib/i18n/useFormat';
import type { KObject } from '../../lib/k8s';

export default function IngressesPage() {
  const { t } = useTranslation('ingresses');
  const fmt = useFormat();
  const columns: Column<KObject>[] = useMemo(
    () => [
      { id: 'name', header: t('col.name'), width: 'minmax(12rem,1.6fr)', sortValue: (i) => i.name, cell: (i) => <span className="font-medium">{i.name}</span>, title: (i) => i.name },
      { id: 'namespace', header: t('col.namespace'), width: 'minmax(8rem,1fr)', sortValue: (i) => i.namespace, cell: (i) => i.namespace },
      { id: 'class', header: t('col.class'), width: '8rem', sortValue: (i) => i.ingress_class, cell: (i) => (i.ingress_class ? <Chip>{i.ingress_class}</Chip> : <span className="text-faint">—</span>) },
      {
        id: 'hosts',
        header: t('col.hosts'),
        width: 'minmax(14rem,2fr)',
        sortValue: (i) => i.hosts?.[0],
        cell: (i) => <span className="font-mono text-xs">{i.hosts?.join(', ') || '*'}</span>,
        title: (i) => i.hosts?.join('\n'),
      },
      {
        id: 'backends',
        header: t('col.backends'),
        width: 'minmax(14rem,2fr)',
        sortValue: (i) => i.backends?.[0],
        cell: (i) => <span className="font-mono text-xs text-muted">{i.backends?.join(', ') || '—'}</span>,
        title: (i) => i.backends?.join('\n'),
      },
      { id: 'age', header: t('col.age'), width: '5.5rem', align: 'right', sortValue: (i) => (i.created_at ? -Date.parse(i.created_at) : undefined), cell: (i) => fmt.age(i.created_at) },
    ],
    [t, fmt],
  );
  return (
    <ResourceList<KObject>
      resource="ingresses"
      kindLabel="Ingress"
      title={t('title')}
      description={t('description')}
      columns={columns}
      searchPlaceholder={t('search')}
      searchText={(i) => `${i.ingress_class ?? ''} ${i.hosts?.join(' ') ?? ''} ${i.backends?.join(' ') ?? ''}`}
      emptyTitle={t('empty')}
      emptyHint={t('emptyHint')}
      summary={(i) => [
        {
          title: t('drawer.routing'),
          items: [
            [t('col.class'), i.ingress_class || t('drawer.defaultClass')],
            [
              t('col.hosts'),
              <ul className="font-mono text-xs">
                {(i.hosts?.length ? i.hosts : ['*']).map((h) => (
                  <li key={h}>{h}</li>
                ))}
              </ul>,
            ],
            [
              t('col.backends'),
              i.backends?.length ? (
                <ul className="font-mono text-xs">
                  {i.backends.map((b) => (
                    <li key={b}>{b}</li>
                  ))}
                </ul>
              ) : undefined,
            ],
          ],
        },
      ]}
    />
  );
}
