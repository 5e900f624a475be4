import type { DrawerSection } from '../../common/detail/ObjectDrawer';
import type { RelatedLink } from '../../common/detail/sections';
import { UsageBar } from '../../common/UsageBar';
import type { Formatters } from '../../lib/i18n/useFormat';
import { quotaLines, type KObject, type ObjectDetail } from '../../lib/k8s';

type TFn = (k: string, o?: Record<string, unknown>) => string;

/** What a kind's detail adds to the generic one (Headlamp's per-kind Details). */
export interface KindView {
  sections?: (o: KObject, d: ObjectDetail, ctx: { t: TFn; fmt: Formatters }) => DrawerSection[];
  related?: (o: KObject, d: ObjectDetail) => RelatedLink[];
}

export const VIEWS: Record<string, KindView> = {
  ResourceQuota: {
    sections: (o, _d, { t }) => {
      const lines = quotaLines(o);
      return [
        {
          title: t('quotaUsage'),
          testId: 'quota-usage',
          body: lines.length ? (
            <ul className="space-y-2.5">
              {lines.map((l) => (
                <li key={l.resource}>
                  <UsageBar label={l.resource} ratio={l.ratio} text={`${l.used} / ${l.hard}`} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-[13px] text-muted">{t('noQuota')}</p>
          ),
        },
      ];
    },
  },
};
