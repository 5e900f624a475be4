import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { PageHeader, PageBody } from '../../common/PageHeader';
import { PLANNED_ICONS } from '../../app/nav';

export type PlannedFeature = 'slos' | 'alerts' | 'settings';

/** Keeps the place of a feature that arrives with a later release and says what it will do. */
export default function PlannedPage({ feature }: { feature: PlannedFeature }) {
  const { t } = useTranslation('planned');
  const Icon = PLANNED_ICONS[feature];
  const points = t(`${feature}.points`, { returnObjects: true }) as string[];
  return (
    <>
      <PageHeader title={t(`${feature}.title`)} description={t('soon')} />
      <PageBody>
        <div className="card mx-auto max-w-2xl p-8" data-testid={`planned-${feature}`}>
          <div className="flex items-center gap-3">
            <span className="flex size-10 items-center justify-center rounded-lg bg-accent/10 text-accent">
              <Icon size={20} aria-hidden />
            </span>
            <h2 className="text-base font-semibold">{t(`${feature}.title`)}</h2>
          </div>
          <p className="mt-4 text-[13px] text-muted">{t(`${feature}.intro`)}</p>
          <ul className="mt-4 list-disc space-y-1.5 pl-5 text-[13px]">
            {Array.isArray(points) && points.map((p) => <li key={p}>{p}</li>)}
          </ul>
          <p className="mt-6 text-xs text-faint">
            {t('meanwhile')}{' '}
            <Link className="text-accent hover:underline" to="/sql">
              {t('sqlLink')}
            </Link>
          </p>
        </div>
      </PageBody>
    </>
  );
}
