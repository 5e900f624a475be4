import { lazy, Suspense, useMemo, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Chip, LabelChips } from '../Badge';
import { KeyValue, Section } from '../KeyValue';
import { Loading } from '../States';
import type { Tab } from '../Tabs';
import { ChangeTimeline } from './ChangeTimeline';
import { AnomalyList, EventList } from './Related';
import { useFormat } from '../../lib/i18n/useFormat';
import { conditionOk, conditions, kindByName, kindByResource, objectLink, type Condition, type ObjectDetail, type Tone } from '../../lib/k8s';
import { referenced } from '../columnShapes';
import { useUrlUpdate } from '../../lib/url';
import { aroundChange } from './moments';
import type { MetaRow } from '../columns';

// The detail sections every kind shares (Headlamp's detail view pieces):
// Metadata, Conditions, Related, Events, Changes, YAML and the YAML diff of
// two moments. Drawers compose them with their kind's own sections.

// The YAML and diff libraries load only when one of these tabs opens.
const YamlView = lazy(() => import('./YamlView'));
const YamlDiff = lazy(() => import('./YamlDiff'));

/** What a detail row has beyond MetaRow (owner, as the lake stores it). */
type Owned = MetaRow & { owner_kind?: string; owner_name?: string; resource_version?: string };

function metadataOf(detail: unknown): { annotations?: Record<string, string>; resourceVersion?: string } {
  const m = (detail as { metadata?: { annotations?: Record<string, string>; resourceVersion?: string } } | undefined)?.metadata;
  return { annotations: m?.annotations, resourceVersion: m?.resourceVersion };
}

/** Created, owner, UID, labels and annotations. */
export function MetadataSection({ cluster, o, detail }: { cluster: string; o: Owned; detail?: unknown }) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const meta = metadataOf(detail);
  const owner = o.owner_kind ? objectLink(cluster, o.owner_kind, o.namespace, o.owner_name) : null;
  const ownerText = o.owner_kind ? `${o.owner_kind}/${o.owner_name}` : undefined;
  return (
    <Section title={t('detail.metadata')} testId="detail-metadata">
      <KeyValue
        items={[
          [t('field.namespace'), o.namespace || undefined, 'namespace'],
          [
            t('field.created'),
            o.created_at ? (
              <time dateTime={o.created_at}>
                {fmt.dateTime(o.created_at)} ({fmt.age(o.created_at)})
              </time>
            ) : undefined,
            'created',
          ],
          [t('field.owner'), owner ? <Link className="text-accent hover:underline" to={owner}>{ownerText}</Link> : ownerText, 'owner'],
          [t('field.uid'), <span className="font-mono text-xs">{o.uid}</span>, 'uid'],
          [t('field.resourceVersion'), meta.resourceVersion ?? (o.resource_version || undefined), 'resourceVersion'],
        ]}
      />
      <div className="mt-3" data-field="labels">
        <div className="mb-1 text-xs text-muted">{t('field.labels')}</div>
        <LabelChips labels={o.labels} max={30} />
      </div>
      {meta.annotations && Object.keys(meta.annotations).length > 0 && (
        <div className="mt-3" data-field="annotations">
          <div className="mb-1 text-xs text-muted">{t('field.annotations')}</div>
          <LabelChips labels={meta.annotations} max={30} />
        </div>
      )}
    </Section>
  );
}

/** The status conditions of the object (from its detail; `fallback` when the lake has no detail row). */
export function ConditionsSection({
  detail,
  fallback,
  title,
  empty,
  badTone = 'warn',
  testId = 'detail-conditions',
}: {
  detail?: unknown;
  fallback?: Condition[] | null;
  title?: string;
  empty?: ReactNode;
  /** The tone of a condition in its bad state. */
  badTone?: Tone;
  testId?: string;
}) {
  const { t } = useTranslation('common');
  const fmt = useFormat();
  const fromDetail = useMemo(() => conditions(detail), [detail]);
  const conds = fromDetail.length ? fromDetail : (fallback ?? []);
  if (!conds.length && !empty) return null;
  return (
    <Section title={title ?? t('detail.conditions')}>
      {conds.length === 0 ? (
        empty
      ) : (
        <ul className="space-y-1.5 text-[13px]" data-testid={testId}>
          {conds.map((c) => (
            <li key={c.type} className="flex flex-wrap items-center gap-2">
              <Chip tone={conditionOk(c) ? 'ok' : badTone}>{c.type}</Chip>
              <span>{c.status}</span>
              {c.reason && <span className="text-muted">{c.reason}</span>}
              {c.lastTransitionTime && <span className="ml-auto text-xs text-muted">{fmt.relative(c.lastTransitionTime)}</span>}
              {c.message && <span className="w-full text-xs text-muted">{c.message}</span>}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export interface RelatedLink {
  /** What the link is to the object ("Volume", "Owner"). */
  label: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Related objects of a kind, from the reference columns the registry says it fills. */
export function referenceLinks(resource: string, o: object, label: (col: string) => string): RelatedLink[] {
  const info = kindByResource(resource);
  const ns = (o as { namespace?: string }).namespace || undefined;
  const out: RelatedLink[] = [];
  for (const col of info?.columns ?? []) {
    const ref = referenced(col, (o as Record<string, unknown>)[col], ns);
    if (!ref) continue;
    const target = kindByName(ref.kind);
    out.push({ label: label(col), kind: ref.kind, namespace: target?.namespaced ? ref.namespace : undefined, name: ref.name });
  }
  return out;
}

/** Links to the objects this one refers to. */
export function RelatedSection({ cluster, links }: { cluster: string; links: RelatedLink[] }) {
  const { t } = useTranslation('common');
  if (!links.length) return null;
  return (
    <Section title={t('detail.related')} testId="detail-related">
      <ul className="space-y-1.5 text-[13px]">
        {links.map((l) => {
          const to = objectLink(cluster, l.kind, l.namespace, l.name);
          const text = `${l.kind}/${l.namespace ? `${l.namespace}/` : ''}${l.name}`;
          return (
            <li key={l.label + text} className="flex flex-wrap items-baseline gap-2">
              <span className="w-32 shrink-0 text-xs text-muted">{l.label}</span>
              {to ? (
                <Link className="font-mono text-xs text-accent hover:underline" to={to}>
                  {text}
                </Link>
              ) : (
                <span className="font-mono text-xs">{text}</span>
              )}
            </li>
          );
        })}
      </ul>
    </Section>
  );
}

/** The tabs every detail view ends with. */
export function detailTabs(t: (k: string) => string, data?: Pick<ObjectDetail, 'events' | 'anomalies'>): Tab[] {
  return [
    { id: 'events', label: t('common:detailTab.events'), count: (data?.events?.length ?? 0) + (data?.anomalies?.length ?? 0) || undefined },
    { id: 'timeline', label: t('common:detailTab.timeline') },
    { id: 'yaml', label: t('common:detailTab.yaml') },
    { id: 'diff', label: t('common:detailTab.diff') },
  ];
}

export const DETAIL_TABS = ['events', 'timeline', 'yaml', 'diff'];

/** The panel of one of detailTabs(), or null for a tab the drawer renders itself. */
export function DetailPanel({
  tab,
  cluster,
  resource,
  data,
  at,
}: {
  tab: string;
  cluster: string;
  resource: string;
  data: ObjectDetail;
  at: string | null;
}) {
  const { t } = useTranslation('common');
  const update = useUrlUpdate();
  const o = data.object as unknown as Owned;
  switch (tab) {
    case 'events':
      return (
        <>
          <Section title={t('detail.anomalies')}>
            <AnomalyList anomalies={data.anomalies} />
          </Section>
          <Section title={t('detail.events')}>
            <EventList events={data.events} />
          </Section>
        </>
      );
    case 'timeline':
      return (
        <Section title={t('detailTab.timeline')}>
          <ChangeTimeline
            cluster={cluster}
            kind={resource}
            namespace={o.namespace}
            name={o.name}
            uid={o.uid}
            to={at ?? undefined}
            onDiff={(c) => {
              const m = aroundChange(c);
              update({ tab: 'diff', t1: new Date(m.t1).toISOString(), t2: new Date(m.t2).toISOString() }, { push: true });
            }}
          />
        </Section>
      );
    case 'yaml':
      return (
        <Section title={t('detailTab.yaml')}>
          {data.detail ? (
            <Suspense fallback={<Loading rows={8} />}>
              <YamlView value={data.detail} fileName={yamlFileName(resource, o)} />
            </Suspense>
          ) : (
            <p className="text-[13px] text-muted">{t('detail.noDetail')}</p>
          )}
        </Section>
      );
    case 'diff':
      return (
        <Section title={t('detailTab.diff')}>
          <Suspense fallback={<Loading rows={8} />}>
            <YamlDiff cluster={cluster} resource={resource} object={o} at={at} />
          </Suspense>
        </Section>
      );
    default:
      return null;
  }
}

/** "deployment-shop-web.yaml". */
export function yamlFileName(resource: string, o: { namespace?: string; name: string }): string {
  const kind = (kindByResource(resource)?.kind ?? resource).toLowerCase();
  return `${[kind, o.namespace, o.name].filter(Boolean).join('-')}.yaml`;
}
