import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { UseQueryResult } from '@tanstack/react-query';
import { AlertTriangle, EyeOff, Inbox, RefreshCw, WifiOff, Lock, SearchX } from 'lucide-react';
import { ApiError } from '../lib/api/http';
import { config } from '../lib/config';

export function Loading({ rows = 6, label }: { rows?: number; label?: string }) {
  const { t } = useTranslation('common');
  return (
    <div role="status" aria-live="polite" aria-busy="true" className="space-y-2 p-4">
      <span className="sr-only">{label ?? t('state.loading')}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton h-6" style={{ width: `${92 - ((i * 17) % 35)}%` }} />
      ))}
    </div>
  );
}

export function Empty({ title, description, action, icon }: { title: string; description?: ReactNode; action?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 px-6 py-14 text-center">
      <div className="text-faint">{icon ?? <Inbox size={32} strokeWidth={1.5} aria-hidden />}</div>
      <p className="font-medium">{title}</p>
      {description && <p className="max-w-md text-sm text-muted">{description}</p>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  );
}

export function NoMatches({ onClear }: { onClear?: () => void }) {
  const { t } = useTranslation('common');
  return (
    <Empty
      icon={<SearchX size={32} strokeWidth={1.5} aria-hidden />}
      title={t('state.noMatches')}
      description={t('state.noMatchesHint')}
      action={
        onClear && (
          <button type="button" className="btn" onClick={onClear}>
            {t('action.clearFilters')}
          </button>
        )
      }
    />
  );
}

/**
 * A kind the cluster's agent does not collect (left out by configuration,
 * API not served, RBAC forbidden): said so, with the agent's reason,
 * instead of an empty list that would read as "there are none".
 */
export function NotCollected({ kinds, reason }: { kinds: string; reason?: string }) {
  const { t } = useTranslation('common');
  return (
    <div data-testid="not-collected">
      <Empty
        icon={<EyeOff size={32} strokeWidth={1.5} aria-hidden />}
        title={t('notCollected.title', { kinds })}
        description={
          <>
            {t('notCollected.hint')} <span className="font-mono text-xs" data-testid="not-collected-reason">{reason || t('notCollected.noReason')}</span>
          </>
        }
      />
    </div>
  );
}

/** What went wrong, in the user's language, with what to do about it. */
export function errorText(t: (k: string, o?: Record<string, unknown>) => string, error: unknown): { title: string; detail: string } {
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'network':
        return { title: t('error.network'), detail: t('error.networkHint', { url: config().apiBase || window.location.origin }) };
      case 'unauthorized':
      case 'token_expired':
        return { title: t('error.unauthorized'), detail: error.message };
      case 'forbidden':
        return { title: t('error.forbidden'), detail: error.message };
      case 'not_found':
        return { title: t('error.notFound'), detail: error.message };
      case 'store_unavailable':
      case 'audit_unavailable':
        return { title: t('error.unavailable'), detail: error.retryAfter ? t('error.retryIn', { seconds: error.retryAfter }) : error.message };
      case 'rate_limited':
      case 'too_many_queries':
        return { title: t('error.rateLimited'), detail: error.retryAfter ? t('error.retryIn', { seconds: error.retryAfter }) : error.message };
      case 'timeout':
        return { title: t('error.timeout'), detail: error.message };
      case 'commands_disabled':
        return { title: t('error.commandsDisabled'), detail: error.message };
      case 'conflict':
      case 'not_pending':
        return { title: t('error.conflict'), detail: error.message };
      case 'queue_full':
        return { title: t('error.rateLimited'), detail: error.message };
      case 'invalid_parameter':
      case 'unsupported_command':
      case 'bad_request':
        return { title: t('error.badRequest'), detail: error.field ? `${error.field}: ${error.message}` : error.message };
      default:
        return { title: t('error.generic'), detail: error.message };
    }
  }
  return { title: t('error.generic'), detail: error instanceof Error ? error.message : String(error) };
}

export function ErrorState({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { t } = useTranslation('common');
  const { title, detail } = errorText(t, error);
  const Icon = error instanceof ApiError && error.code === 'network' ? WifiOff : error instanceof ApiError && error.status === 403 ? Lock : AlertTriangle;
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <div role="alert" className={`flex flex-col items-center justify-center gap-2 text-center ${compact ? 'px-4 py-6' : 'px-6 py-14'}`}>
      <Icon size={compact ? 22 : 32} strokeWidth={1.5} className="text-crit" aria-hidden />
      <p className="font-medium">{title}</p>
      <p className="max-w-lg text-sm break-words text-muted">{detail}</p>
      {requestId && <p className="font-mono text-xs text-faint">{t('error.requestId', { id: requestId })}</p>}
      {onRetry && (
        <button type="button" className="btn mt-2" onClick={onRetry}>
          <RefreshCw size={14} aria-hidden /> {t('action.retry')}
        </button>
      )}
    </div>
  );
}

/**
 * Loading, error, empty and data states of one query in one place, so no
 * page forgets one. Keeps showing the previous data while refetching.
 */
export function QueryView<T>({
  query,
  isEmpty,
  empty,
  loading,
  children,
}: {
  query: Pick<UseQueryResult<T>, 'data' | 'error' | 'isPending' | 'refetch'>;
  isEmpty?: (d: T) => boolean;
  empty?: ReactNode;
  loading?: ReactNode;
  children: (d: T) => ReactNode;
}) {
  if (query.isPending) return <>{loading ?? <Loading />}</>;
  if (query.error && query.data === undefined) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const d = query.data as T;
  if (isEmpty?.(d)) return <>{empty}</>;
  return <>{children(d)}</>;
}
