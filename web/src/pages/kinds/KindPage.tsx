import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ResourceList } from '../../common/ResourceList';
import type { DrawerSection } from '../../common/detail/ObjectDrawer';
import { kindColumns, kindFields, kindSearchText } from '../../common/columns';
import { useFormat } from '../../lib/i18n/useFormat';
import { useAt } from '../../lib/url';
import { kindByResource, type KObject } from '../../lib/k8s';
import NotFoundPage from '../planned/NotFoundPage';
import { VIEWS } from './views';

/**
 * The list and detail of any kind without a page of its own, composed from
 * the registry (lib/k8s/kinds.gen.ts): its columns from the column presets,
 * its detail from the shared sections plus what views.tsx adds for a few
 * kinds. A kind added to the registry is listed here with no code.
 */
export default function KindPage({ resource }: { resource: string }) {
  const { t } = useTranslation('kinds');
  const tc = useTranslation('common').t;
  const fmt = useFormat();
  const [at] = useAt();
  const info = kindByResource(resource);
  const columns = useMemo(() => (info ? kindColumns<KObject>(info, tc, fmt, at) : []), [info, tc, fmt, at]);
  if (!info) return <NotFoundPage />;
  const view = VIEWS[info.kind];
  const kinds = tc(`k8s:kinds.${info.kind}`);
  return (
    <ResourceList<KObject>
      key={resource}
      resource={resource}
      columns={columns}
      description={t(info.metadataOnly ? 'describeMetadataOnly' : 'describe', { kinds })}
      searchText={(o) => kindSearchText(info, o, tc, fmt)}
      summary={(o, d) => {
        const sections: DrawerSection[] = [];
        if (info.columns?.length) sections.push({ title: t('fields'), items: kindFields(info, o, tc, fmt), testId: 'kind-fields' });
        if (info.metadataOnly) sections.push({ title: t('fields'), body: <p className="text-[13px] text-muted">{t('metadataOnly', { kind: tc(`k8s:kind.${info.kind}`) })}</p> });
        return [...sections, ...(view?.sections?.(o, d, { t, fmt }) ?? [])];
      }}
      related={view?.related}
    />
  );
}
