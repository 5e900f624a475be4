import { useMemo } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Chip } from '../../common/Badge';
import { ErrorState, Loading } from '../../common/States';
import { useFormat } from '../../lib/i18n/useFormat';
import { objectLink, replicasText, revision, type Workload } from '../../lib/k8s';
import { useOwnedReplicaSets, useReplicaSetDetails } from './hooks';
import { rolloutHistory } from './logic';

/** A Deployment's ReplicaSets, one per revision: what ran when, with which images. */
export function RolloutHistory({ cluster, deployment, detail, at }: { cluster: string; deployment: Workload; detail?: unknown; at: string | null }) {
  const { t } = useTranslation('workloads');
  const fmt = useFormat();
  const q = useOwnedReplicaSets(cluster, deployment.namespace ?? '', deployment.name, at);
  const items = useMemo(() => q.data?.items ?? [], [q.data]);
  const details = useReplicaSetDetails(cluster, items, at);
  const revisions = new Map(items.map((rs, i) => [rs.uid, revision(details[i]?.data?.detail)]));
  const rows = rolloutHistory(items, (rs) => revisions.get(rs.uid), revision(detail));
  if (q.isPending) return <Loading rows={3} />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} compact />;
  if (!rows.length) return <p className="text-[13px] text-muted">{t('drawer.noRevisions')}</p>;
  return (
    <table className="w-full text-[13px]" data-testid="rollout-history">
      <thead>
        <tr className="text-left text-xs text-muted">
          <th className="py-1 pr-3 font-medium">{t('drawer.revision')}</th>
          <th className="py-1 pr-3 font-medium">{t('k8s:kind.ReplicaSet')}</th>
          <th className="py-1 pr-3 font-medium">{t('col.images')}</th>
          <th className="py-1 pr-3 text-right font-medium">{t('col.ready')}</th>
          <th className="py-1 text-right font-medium">{t('common:field.age')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ rs, revision: rev, current }) => (
          <tr key={rs.uid} className="border-t border-line/70 align-top" data-testid="rollout-row">
            <td className="py-1.5 pr-3 tabular" data-col="revision">
              {rev ?? '—'} {current && <Chip tone="ok">{t('drawer.current')}</Chip>}
            </td>
            <td className="py-1.5 pr-3" data-col="name">
              <Link className="font-mono text-xs text-accent hover:underline" to={objectLink(cluster, 'ReplicaSet', rs.namespace, rs.name) ?? '#'}>
                {rs.name}
              </Link>
            </td>
            <td className="py-1.5 pr-3 font-mono text-xs break-all" data-col="images">
              {rs.images?.join(', ')}
            </td>
            <td className="py-1.5 pr-3 text-right tabular" data-col="ready">
              {replicasText(rs)}
            </td>
            <td className="py-1.5 text-right tabular" title={fmt.dateTime(rs.created_at)} data-col="age">
              {fmt.age(rs.created_at)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
