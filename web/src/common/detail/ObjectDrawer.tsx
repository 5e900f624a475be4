import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Drawer } from '../Drawer';
import { Tabs } from '../Tabs';
import { KeyValue, Section, type KeyValueItem } from '../KeyValue';
import { ErrorState, Loading } from '../States';
import { useUrlParam } from '../../lib/url';
import { kindByResource, type Condition, type ObjectDetail } from '../../lib/k8s';
import { useObject } from '../resource';
import { ConditionsSection, DETAIL_TABS, DetailPanel, detailTabs, MetadataSection, RelatedSection, referenceLinks, type RelatedLink } from './sections';
import { columnHeader } from '../columns';
import { ActionBar } from '../ops/ActionBar';

export interface DrawerSection {
  title: string;
  items?: KeyValueItem[];
  body?: ReactNode;
  testId?: string;
}

/**
 * Detail drawer for any kind, composed Headlamp style: the kind's own
 * sections (`summary`), then Related (what the registry's reference
 * columns point at, plus `related`), Conditions and Metadata; then the
 * tabs every kind has — events, changes, YAML and the YAML diff.
 */
export function ObjectDrawer<T extends { namespace?: string; name: string; uid: string }>({
  resource,
  kindLabel,
  cluster,
  objectKey,
  at,
  summary,
  related,
  onClose,
}: {
  resource: string;
  /** Shown under the name; by default the kind's name in the UI language. */
  kindLabel?: string;
  cluster: string;
  objectKey: { namespace: string; name: string } | null;
  at: string | null;
  summary: (o: T, d: ObjectDetail) => DrawerSection[];
  related?: (o: T, d: ObjectDetail) => RelatedLink[];
  onClose: () => void;
}) {
  const { t } = useTranslation('common');
  const [tabRaw, setTab] = useUrlParam('tab', 'overview');
  const tab = tabRaw === 'overview' || DETAIL_TABS.includes(tabRaw) ? tabRaw : 'overview';
  const q = useObject(resource, cluster, objectKey, at);
  const o = q.data?.object as T | undefined;
  const info = kindByResource(resource);
  const label = kindLabel ?? (info ? t(`k8s:kind.${info.kind}`) : resource);

  return (
    <Drawer open={!!objectKey} onClose={onClose} title={objectKey?.name ?? ''} subtitle={`${label}${objectKey?.namespace ? ` · ${objectKey.namespace}` : ''}`}>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : o ? (
        <>
          {q.data.deleted && <p className="border-b border-warn/30 bg-warn/10 px-5 py-2 text-[13px] text-warn">{t('detail.deleted')}</p>}
          {/* Remote operations act on the object as it is now: not on a past state or a deleted object. */}
          {!at && !q.data.deleted && info && objectKey && (
            <ActionBar cluster={cluster} target={{ kind: info.kind, namespace: info.namespaced ? objectKey.namespace : undefined, name: objectKey.name }} />
          )}
          <Tabs tabs={[{ id: 'overview', label: t('detailTab.overview') }, ...detailTabs(t, q.data)]} value={tab} onChange={(v) => setTab(v)} label={label} className="px-3">
            {tab === 'overview' ? (
              <>
                {summary(o, q.data).map((s) => (
                  <Section key={s.title} title={s.title} testId={s.testId}>
                    {s.items && <KeyValue items={s.items} />}
                    {s.body}
                  </Section>
                ))}
                <RelatedSection cluster={cluster} links={[...referenceLinks(resource, o, (c) => columnHeader(c, t)), ...(related?.(o, q.data) ?? [])]} />
                <ConditionsSection detail={q.data.detail} fallback={(o as { conditions?: Condition[] | null }).conditions} />
                <MetadataSection cluster={cluster} o={o} detail={q.data.detail} />
              </>
            ) : (
              <DetailPanel tab={tab} cluster={cluster} resource={resource} data={q.data} at={at} />
            )}
          </Tabs>
        </>
      ) : null}
    </Drawer>
  );
}
