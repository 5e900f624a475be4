import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import { kindColumns, kindFields, kindSearchText } from '../../common/columns';
import { useFormat } from '../../lib/i18n/useFormat';
import { useAt } from '../../lib/url';
import { kindByResource, type KObject } from '../../lib/k8s';

const info = kindByResource('ingresses')!;

export default function IngressesPage() {
  const { t } = useTranslation('ingresses');
  const fmt = useFormat();
  const [at] = useAt();
  const columns = useMemo(() => kindColumns<KObject>(info, t, fmt, at), [t, fmt, at]);
  return (
    <ResourceList<KObject>
      resource="ingresses"
      title={t('title')}
      description={t('description')}
      columns={columns}
      searchPlaceholder={t('search')}
      searchText={(i) => kindSearchText(info, i, t, fmt)}
      emptyTitle={t('empty')}
      emptyHint={t('emptyHint')}
      summary={(i) => [{ title: t('drawer.routing'), testId: 'kind-fields', items: kindFields(info, i, t, fmt) }]}
    />
  );
}
