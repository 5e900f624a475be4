import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api';
import * as session from './session';

interface AuthState {
  user: session.User | null;
  /** True until a stored session has been checked against the API. */
  checking: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  can: (need: session.Role) => boolean;
}

const Ctx = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [user, setUser] = useState<session.User | null>(session.getSession()?.user ?? null);
  const [checking, setChecking] = useState(!!session.getSession());

  useEffect(
    () =>
      session.subscribe((s) => {
        setUser(s?.user ?? null);
        if (!s) qc.clear(); // nothing of the last user stays in memory
      }),
    [qc],
  );

  // A stored session may be stale (role changed, user disabled): ask the API
  // who we are before rendering pages that depend on the role.
  useEffect(() => {
    if (!session.getSession()) return;
    let live = true;
    api
      .me()
      .then((u) => live && session.updateUser(u))
      .catch(() => {
        /* 401 already cleared the session; transient errors keep it */
      })
      .finally(() => live && setChecking(false));
    return () => {
      live = false;
    };
  }, []);

  const login = useCallback(async (u: string, p: string) => {
    await session.login(u, p);
  }, []);
  const logout = useCallback(async () => {
    await session.logout();
  }, []);
  const can = useCallback((need: session.Role) => session.hasRole(user?.role, need), [user]);

  const value = useMemo(() => ({ user, checking, login, logout, can }), [user, checking, login, logout, can]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): AuthState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
