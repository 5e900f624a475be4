import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Lock } from 'lucide-react';
import { useAuth } from '../lib/auth/AuthProvider';
import type { Role } from '../lib/auth/session';
import { Empty, Loading } from '../common/States';

/** Sends anonymous visitors to /login, remembering where they were going. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { user, checking } = useAuth();
  const loc = useLocation();
  if (!user) {
    const next = loc.pathname + loc.search;
    return <Navigate to={`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  if (checking) return <Loading />;
  return <>{children}</>;
}

/** Pages a role may not see say so (the navigation already hides them). */
export function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { t } = useTranslation('common');
  const { can } = useAuth();
  if (!can(role)) {
    return (
      <div data-testid="forbidden">
        <Empty icon={<Lock size={32} strokeWidth={1.5} aria-hidden />} title={t('error.forbidden')} description={t('role.needs', { role: t(`role.${role}`) })} />
      </div>
    );
  }
  return <>{children}</>;
}
