import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuth } from '../lib/auth/AuthProvider';
import type { Role } from '../lib/auth/session';

/**
 * Shows what a role may do. mode "hide" removes the children for lesser
 * roles; mode "disable" renders them disabled with the reason (children as
 * a function get `disabled` and `reason`). `deny` adds a non-role reason
 * (e.g. "you cannot demote yourself").
 */
export function RoleGate({
  need,
  mode = 'disable',
  deny,
  children,
}: {
  need: Role;
  mode?: 'hide' | 'disable';
  deny?: string | false | null;
  children: ReactNode | ((s: { disabled: boolean; reason?: string }) => ReactNode);
}) {
  const { t } = useTranslation('common');
  const { can } = useAuth();
  const allowed = can(need);
  if (!allowed && mode === 'hide') return null;
  const reason = !allowed ? t('role.needs', { role: t(`role.${need}`) }) : deny || undefined;
  if (typeof children === 'function') return <>{children({ disabled: !!reason, reason })}</>;
  return reason ? (
    <span title={reason} className="inline-flex cursor-not-allowed opacity-55" aria-disabled="true">
      <span className="pointer-events-none">{children}</span>
    </span>
  ) : (
    <>{children}</>
  );
}
