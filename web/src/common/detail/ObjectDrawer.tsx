import { useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Drawer } from '../Drawer';
import { Tabs } from '../Tabs';
import { KeyValue, Section } from '../KeyValue';
import { Chip, LabelChips } from '../Badge';
import { ErrorState, Loading } from '../States';
import { ChangeTimeline } from './ChangeTimeline';
import { AnomalyList, EventList } from './Related';
import { JsonView } from './JsonView';
import { useFormat } from '../../lib/i18n/useFormat';
import { useUrlParam } from '../../lib/url';
import { conditionOk, conditions } from '../../lib/k8s/spec';
import { useObject } from '../resource';

export interface DrawerSection {
  title: string;
  items?: [string, ReactNode | undefined | null][];
  body?: ReactNode;
}

/** Detail drawer for any kind: the page supplies the overview sections. */
export function ObjectDrawer<T extends { namespace?: string; name: string; uid: string }>({
  resource,
  kindLabel,
  cluster,
  objectKey,
  at,
  summary,
  onClose,
}: {
  resource: string;
  kindLabel: string;
  cluster: string;
  objectKey: { namespace: string; name: string } | null;
  at: string | null;
  summary: (o: T) => DrawerSection[];
  onClose: () => void;
}) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const [tab, setTab] = useUrlParam('tab', 'overview');
  const q = useObject(resource, cluster, objectKey, at);
  const o = q.data?.object as T | undefined;
  const conds = useMemo(() => conditions(q.data?.detail), [q.data?.detail]);
  const meta = o as unknown as { created_at?: string; labels?: Record<string, string>; owner_kind?: string; owner_name?: string } | undefined;

  return (
    <Drawer open={!!objectKey} onClose={onClose} title={objectKey?.name ?? ''} subtitle={`${kindLabel}${objectKey?.namespace ? ` · ${objectKey.namespace}` : ''}`}>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : o ? (
        <>
          {q.data.deleted && <p className="border-b border-warn/30 bg-warn/10 px-5 py-2 text-[13px] text-warn">{t('detail.deleted')}</p>}
          <Tabs
            tabs={[
              { id: 'overview', label: t('detailTab.overview') },
              { id: 'events', label: t('detailTab.events'), count: (q.data.events?.length ?? 0) + (q.data.anomalies?.length ?? 0) || undefined },
              { id: 'timeline', label: t('detailTab.timeline') },
              { id: 'object', label: t('detailTab.object') },
            ]}
            value={tab}
            onChange={(v) => setTab(v)}
            label={kindLabel}
            className="px-3"
          >
            {tab === 'overview' && (
              <>
                {summary(o).map((s) => (
                  <Section key={s.title} title={s.title}>
                    {s.items && <KeyValue items={s.items} />}
                    {s.body}
                  </Section>
                ))}
                {conds.length > 0 && (
                  <Section title={t('detail.conditions')}>
                    <ul className="space-y-1.5 text-[13px]">
                      {conds.map((c) => (
                        <li key={c.type} className="flex flex-wrap items-center gap-2">
                          <Chip tone={conditionOk(c) ? 'ok' : 'warn'}>{c.type}</Chip>
                          <span>{c.status}</span>
                          {c.reason && <span className="text-muted">{c.reason}</span>}
                          {c.lastTransitionTime && <span className="ml-auto text-xs text-muted">{fmt.relative(c.lastTransitionTime)}</span>}
                          {c.message && <span className="w-full text-xs text-muted">{c.message}</span>}
                        </li>
                      ))}
                    </ul>
                  </Section>
                )}
                <Section title={t('detail.metadata')}>
                  <KeyValue
                    items={[
                      [t('field.created'), meta?.created_at ? `${fmt.dateTime(meta.created_at)} (${fmt.age(meta.created_at)})` : undefined],
                      [t('field.owner'), meta?.owner_kind ? `${meta.owner_kind}/${meta.owner_name}` : undefined],
                      [t('field.uid'), <span className="font-mono text-xs">{o.uid}</span>],
                    ]}
                  />
                  <div className="mt-3">
                    <div className="mb-1 text-xs text-muted">{t('field.labels')}</div>
                    <LabelChips labels={meta?.labels} max={30} />
                  </div>
                </Section>
              </>
            )}
            {tab === 'events' && (
              <>
                <Section title={t('detail.anomalies')}>
                  <AnomalyList anomalies={q.data.anomalies} />
                </Section>
                <Section title={t('detail.events')}>
                  <EventList events={q.data.events} />
                </Section>
              </>
            )}
            {tab === 'timeline' && (
              <Section title={t('detailTab.timeline')}>
                <ChangeTimeline cluster={cluster} kind={resource} namespace={o.namespace} name={o.name} uid={o.uid} to={at ?? undefined} />
              </Section>
            )}
            {tab === 'object' && (
              <Section title={t('detailTab.object')}>{q.data.detail ? <JsonView value={q.data.detail} /> : <p className="text-[13px] text-muted">{t('detail.noDetail')}</p>}</Section>
            )}
          </Tabs>
        </>
      ) : null}
    </Drawer>
  );
}
