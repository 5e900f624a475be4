import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { UserPlus, Trash2, KeyRound, Ban, CheckCircle2 } from 'lucide-react';
import { PageHeader } from '../../common/PageHeader';
import { RefreshControl } from '../../common/RefreshControl';
import { DataTable, type Column } from '../../common/DataTable';
import { ErrorState, QueryView, Empty, errorText } from '../../common/States';
import { Chip } from '../../common/Badge';
import { Dialog } from '../../common/Dialog';
import { RoleGate } from '../../common/RoleGate';
import { useAuth } from '../../lib/auth/AuthProvider';
import { useFormat } from '../../lib/i18n/useFormat';
import type { Role } from '../../lib/auth/session';
import { passwordProblem, USERNAME_RE, useUserMutations, useUsers, type User } from './hooks';

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const tc = useTranslation('common').t;
  const { create } = useUserMutations();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const nameOk = USERNAME_RE.test(username);
  const pw = passwordProblem(password, username);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!nameOk || pw) return;
    create.mutate(
      { username, password, role },
      {
        onSuccess: () => {
          setUsername('');
          setPassword('');
          setRole('viewer');
          onClose();
        },
      },
    );
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={t('users.create')}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {tc('action.cancel')}
          </button>
          <button type="submit" form="create-user" className="btn btn-primary" disabled={!nameOk || !!pw || create.isPending}>
            {t('users.createSubmit')}
          </button>
        </>
      }
    >
      <form id="create-user" onSubmit={submit} className="space-y-3" noValidate>
        <label className="block">
          <span className="label">{t('users.col.username')}</span>
          <input className="input mt-1 w-full" value={username} onChange={(e) => setUsername(e.target.value.toLowerCase())} autoComplete="off" aria-invalid={!!username && !nameOk} data-testid="new-username" />
          {username && !nameOk && <span className="mt-1 block text-xs text-crit">{t('users.badUsername')}</span>}
        </label>
        <label className="block">
          <span className="label">{t('users.password')}</span>
          <input className="input mt-1 w-full" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" aria-invalid={!!password && !!pw} data-testid="new-password" />
          <span className={`mt-1 block text-xs ${password && pw ? 'text-crit' : 'text-muted'}`}>{password && pw ? t(`users.pw.${pw}`) : t('users.pwHint')}</span>
        </label>
        <label className="block">
          <span className="label">{t('users.col.role')}</span>
          <select className="input mt-1 w-full" value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="new-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {tc(`role.${r}`)}
              </option>
            ))}
          </select>
          <span className="mt-1 block text-xs text-muted">{t(`users.roleHint.${role}`)}</span>
        </label>
        {create.error && <p className="text-xs text-crit" role="alert">{errorText(tc, create.error).title}: {(create.error as Error).message}</p>}
      </form>
    </Dialog>
  );
}

function PasswordDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const tc = useTranslation('common').t;
  const { update } = useUserMutations();
  const [password, setPassword] = useState('');
  const pw = passwordProblem(password, user?.username ?? '');
  return (
    <Dialog
      open={!!user}
      onClose={onClose}
      title={t('users.resetTitle', { user: user?.username })}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {tc('action.cancel')}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!!pw || update.isPending}
            onClick={() => user && update.mutate({ username: user.username, body: { password } }, { onSuccess: () => (setPassword(''), onClose()) })}
          >
            {tc('action.save')}
          </button>
        </>
      }
    >
      <label className="block">
        <span className="label">{t('users.newPassword')}</span>
        <input className="input mt-1 w-full" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        <span className={`mt-1 block text-xs ${password && pw ? 'text-crit' : 'text-muted'}`}>{password && pw ? t(`users.pw.${pw}`) : t('users.resetHint')}</span>
      </label>
      {update.error && <p className="text-xs text-crit" role="alert">{(update.error as Error).message}</p>}
    </Dialog>
  );
}

export default function UsersPage() {
  const { t } = useTranslation('admin');
  const tc = useTranslation('common').t;
  const fmt = useFormat();
  const { user: me } = useAuth();
  const q = useUsers();
  const { update, remove } = useUserMutations();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const self = (u: User) => u.username === me?.username;

  const columns: Column<User>[] = [
    { id: 'username', header: t('users.col.username'), width: 'minmax(10rem,1.5fr)', sortValue: (u) => u.username, cell: (u) => <span className="font-medium">{u.username}{self(u) && <span className="ml-2 text-xs text-muted">{t('users.you')}</span>}</span> },
    {
      id: 'role',
      header: t('users.col.role'),
      width: '10rem',
      sortValue: (u) => ROLES.indexOf(u.role),
      cell: (u) => (
        <RoleGate need="admin" deny={self(u) && t('users.noSelfRole')}>
          {({ disabled, reason }) => (
            <select
              className="input h-7 text-xs"
              value={u.role}
              disabled={disabled || update.isPending}
              title={reason}
              aria-label={t('users.changeRole', { user: u.username })}
              onClick={(e) => e.stopPropagation()}
              onChange={(e) => update.mutate({ username: u.username, body: { role: e.target.value as Role } })}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {tc(`role.${r}`)}
                </option>
              ))}
            </select>
          )}
        </RoleGate>
      ),
    },
    { id: 'status', header: t('users.col.status'), width: '7rem', sortValue: (u) => (u.disabled ? 1 : 0), cell: (u) => <Chip tone={u.disabled ? 'crit' : 'ok'}>{u.disabled ? t('users.disabled') : t('users.enabled')}</Chip> },
    { id: 'created', header: t('users.col.created'), width: '9rem', sortValue: (u) => Date.parse(u.created_at), cell: (u) => fmt.relative(u.created_at), title: (u) => fmt.dateTime(u.created_at) },
    { id: 'createdBy', header: t('users.col.createdBy'), width: '8rem', sortValue: (u) => u.created_by, cell: (u) => u.created_by ?? '—' },
    { id: 'pw', header: t('users.col.passwordChanged'), width: '9rem', sortValue: (u) => (u.password_changed_at ? Date.parse(u.password_changed_at) : 0), cell: (u) => (u.password_changed_at ? fmt.relative(u.password_changed_at) : '—') },
    {
      id: 'actions',
      header: t('users.col.actions'),
      width: '8.5rem',
      cell: (u) => (
        <span className="flex gap-1" onClick={(e) => e.stopPropagation()}>
          <RoleGate need="admin" deny={self(u) && t('users.noSelfDisable')}>
            {({ disabled, reason }) => (
              <button
                type="button"
                className="btn btn-ghost btn-icon h-7"
                disabled={disabled || update.isPending}
                title={reason ?? (u.disabled ? t('users.enable') : t('users.disable'))}
                aria-label={u.disabled ? t('users.enable') : t('users.disable')}
                onClick={() => update.mutate({ username: u.username, body: { disabled: !u.disabled } })}
              >
                {u.disabled ? <CheckCircle2 size={14} aria-hidden /> : <Ban size={14} aria-hidden />}
              </button>
            )}
          </RoleGate>
          <RoleGate need="admin">
            {({ disabled, reason }) => (
              <button type="button" className="btn btn-ghost btn-icon h-7" disabled={disabled} title={reason ?? t('users.reset')} aria-label={t('users.reset')} onClick={() => setResetting(u)}>
                <KeyRound size={14} aria-hidden />
              </button>
            )}
          </RoleGate>
          <RoleGate need="admin" deny={self(u) && t('users.noSelfDelete')}>
            {({ disabled, reason }) => (
              <button type="button" className="btn btn-ghost btn-icon btn-danger h-7" disabled={disabled} title={reason ?? tc('action.delete')} aria-label={tc('action.delete')} onClick={() => setDeleting(u)}>
                <Trash2 size={14} aria-hidden />
              </button>
            )}
          </RoleGate>
        </span>
      ),
    },
  ];

  const mutationError = update.error ?? remove.error;
  return (
    <>
      <PageHeader
        title={t('users.title')}
        description={t('users.description')}
        actions={
          <>
            <RefreshControl updatedAt={q.dataUpdatedAt} fetching={q.isFetching} onRefresh={() => void q.refetch()} />
            <RoleGate need="admin">
              <button type="button" className="btn btn-primary" onClick={() => setCreating(true)} data-testid="create-user">
                <UserPlus size={14} aria-hidden /> {t('users.create')}
              </button>
            </RoleGate>
          </>
        }
      />
      {mutationError && (
        <div className="border-b border-line bg-surface">
          <ErrorState error={mutationError} compact />
        </div>
      )}
      <div className="flex min-h-0 flex-1 flex-col bg-surface">
        <QueryView query={q}>
          {(d) => <DataTable label={t('users.title')} columns={columns} rows={d.items} rowKey={(u) => u.username} empty={<Empty title={t('users.empty')} />} />}
        </QueryView>
      </div>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
      <PasswordDialog user={resetting} onClose={() => setResetting(null)} />
      <Dialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        title={t('users.deleteTitle', { user: deleting?.username })}
        footer={
          <>
            <button type="button" className="btn" onClick={() => setDeleting(null)}>
              {tc('action.cancel')}
            </button>
            <button type="button" className="btn btn-danger" onClick={() => deleting && remove.mutate(deleting.username, { onSettled: () => setDeleting(null) })}>
              {tc('action.delete')}
            </button>
          </>
        }
      >
        <p className="text-[13px]">{t('users.deleteBody')}</p>
      </Dialog>
    </>
  );
}
