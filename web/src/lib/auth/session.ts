import { ApiError, send } from '../api/http';
import { OPERATIONS, type Schemas } from '../api/schema.gen';

// The login session: access token (15 min) + single-use refresh token.
// Both live in localStorage so every tab shares one session. Refresh tokens
// are single-use and the API revokes the whole session when a rotated one is
// presented again, so tabs must never refresh concurrently with the same
// token: refreshes run under a Web Lock, and a tab that finds the stored
// token already rotated by another tab simply adopts the new one.

export type User = Schemas['User'];
export type Role = Schemas['Role'];
type TokenResponse = Schemas['TokenResponse'];

export interface Session {
  accessToken: string;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  user: User;
}

const KEY = 'atlhyper.session';
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

function readStored(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s?.accessToken !== 'string' || typeof s?.refreshToken !== 'string' || !s.user) return null;
    return s;
  } catch {
    return null;
  }
}

let current: Session | null = typeof localStorage === 'undefined' ? null : readStored();

function store(s: Session | null) {
  current = s;
  try {
    if (s) localStorage.setItem(KEY, JSON.stringify(s));
    else localStorage.removeItem(KEY);
  } catch {
    /* storage full or blocked: the session lasts for this tab */
  }
  listeners.forEach((l) => l(s));
}

// Another tab logged in, refreshed or logged out.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    current = readStored();
    listeners.forEach((l) => l(current));
  });
}

export function sessionFrom(t: TokenResponse, now = Date.now()): Session {
  return {
    accessToken: t.access_token,
    accessExpiresAt: now + t.expires_in * 1000,
    refreshToken: t.refresh_token,
    refreshExpiresAt: now + t.refresh_expires_in * 1000,
    user: t.user,
  };
}

export function getSession(): Session | null {
  return current;
}

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export async function login(username: string, password: string): Promise<Session> {
  const res = await send(OPERATIONS.login.method, OPERATIONS.login.path, { body: { username, password } });
  const s = sessionFrom((await res.json()) as TokenResponse);
  store(s);
  return s;
}

let inflight: Promise<Session | null> | null = null;

async function doRefresh(seen: string): Promise<Session | null> {
  // Inside the lock: another tab may have rotated the token meanwhile.
  const latest = readStored() ?? current;
  if (!latest) return null;
  if (latest.refreshToken !== seen && latest.accessExpiresAt - Date.now() > EARLY_MS) {
    current = latest;
    return latest;
  }
  if (latest.refreshExpiresAt <= Date.now()) {
    store(null);
    return null;
  }
  try {
    const res = await send(OPERATIONS.refresh.method, OPERATIONS.refresh.path, { body: { refresh_token: latest.refreshToken } });
    const s = sessionFrom((await res.json()) as TokenResponse);
    store(s);
    return s;
  } catch (e) {
    // 401/400: the session is over (expired, revoked, user disabled). Keep it
    // on transient errors so the next request can try again.
    if (e instanceof ApiError && !e.transient) store(null);
    throw e;
  }
}

/** Rotates the tokens once, however many callers ask at the same time. */
export function refresh(): Promise<Session | null> {
  if (inflight) return inflight;
  const seen = current?.refreshToken ?? '';
  const run = () => doRefresh(seen);
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  inflight = (locks ? locks.request('atlhyper-refresh', run) : run()).finally(() => {
    inflight = null;
  });
  return inflight;
}

/** A usable access token, refreshing first when it is about to expire; null when logged out. */
export async function accessToken(): Promise<string | null> {
  const s = current;
  if (!s) return null;
  if (s.accessExpiresAt - Date.now() > EARLY_MS) return s.accessToken;
  const r = await refresh();
  return r?.accessToken ?? null;
}

/** Forgets the session locally. */
/** Whose answers the client may hold (null: nobody logged in). */
export function currentUserKey(): string | null {
  return current ? current.user.username : null;
}

export function clearSession(): void {
  store(null);
}

export function updateUser(u: User): void {
  if (current) store({ ...current, user: u });
}

export async function logout(): Promise<void> {
  const s = current;
  if (s) {
    try {
      await send(OPERATIONS.logout.method, OPERATIONS.logout.path, { token: s.accessToken, body: {} });
    } catch {
      /* the server may already consider it gone; forget it locally anyway */
    }
  }
  store(null);
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** viewer < operator < admin; each role has every right of the ones below. */
export function hasRole(have: Role | null | undefined, need: Role): boolean {
  return !!have && RANK[have] >= RANK[need];
}
