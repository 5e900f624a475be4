import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, listAll, MAX_PAGE, type Schemas } from '../../lib/api';
import { useRefetchInterval } from '../../lib/refresh';
import { resolveRange, type TimeRange } from '../../lib/time';

export type User = Schemas['User'];
export type AuditRecord = Schemas['AuditRecord'];

export function useUsers() {
  return useQuery({ queryKey: ['users'], queryFn: ({ signal }) => api.users(signal) });
}

/** User mutations; each refreshes the list so two admins see the same state. */
export function useUserMutations() {
  const qc = useQueryClient();
  const done = () => void qc.invalidateQueries({ queryKey: ['users'] });
  return {
    create: useMutation({ mutationFn: (b: Schemas['CreateUserRequest']) => api.createUser(b), onSuccess: done }),
    update: useMutation({ mutationFn: ({ username, body }: { username: string; body: Schemas['UpdateUserRequest'] }) => api.updateUser(username, body), onSuccess: done }),
    remove: useMutation({ mutationFn: (username: string) => api.deleteUser(username), onSuccess: done }),
  };
}

export interface AuditFilter {
  actor: string;
  action: string;
  outcome: '' | 'ok' | 'denied' | 'error';
}

export function useAudit(f: AuditFilter, range: TimeRange) {
  const refetchInterval = useRefetchInterval(range.kind === 'absolute');
  const w = range.kind === 'relative' ? { from: `-${range.preset}` } : (() => {
    const { from, to } = resolveRange(range);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  })();
  return useQuery({
    queryKey: ['audit', f, w],
    queryFn: ({ signal }) =>
      listAll<AuditRecord>((cursor) => api.audit({ actor: f.actor || undefined, action: f.action || undefined, outcome: f.outcome || undefined, ...w, limit: MAX_PAGE, cursor }, signal), { max: 10_000 }),
    refetchInterval,
    placeholderData: (prev) => prev,
  });
}

/**
 * Client-side password rules mirroring the API's (functions/auth): 12–72
 * bytes, not containing the username, not one character pattern. The API
 * also refuses well-known passwords and has the final word.
 */
export function passwordProblem(password: string, username: string): 'short' | 'long' | 'username' | 'repetitive' | null {
  const bytes = new TextEncoder().encode(password).length;
  if ([...password].length < 12) return 'short';
  if (bytes > 72) return 'long';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'username';
  if (new Set(password.toLowerCase()).size < 5) return 'repetitive';
  return null;
}

export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
