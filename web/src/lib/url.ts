import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { rangeFromParams, rangeToParams, parseInstant, type TimeRange, DEFAULT_RANGE } from './time';

// The URL is the state of a page: cluster in the path, filters, time range,
// the moment being viewed (`at`) and the open detail in the query string,
// so every view can be shared and reloaded as it is.

/** The cluster of the current route. */
export function useClusterId(): string {
  const { cluster } = useParams();
  return cluster ?? '';
}

/**
 * The query string of the location now, or null once the location has left
 * `pathname`. React Router's setSearchParams starts from the query of the
 * render it came from; navigations are rendered in a transition, so two
 * changes before the next render undo each other — a filter's debounced
 * write landing just after Escape closed a drawer put the drawer's
 * parameter back and opened it again. Hash routing (src/app/routes.tsx):
 * the location is the hash, updated as soon as a navigation completes.
 */
export function liveParams(hash: string, pathname: string): URLSearchParams | null {
  const q = hash.indexOf('?');
  const path = (q < 0 ? hash.slice(1) : hash.slice(1, q)) || '/';
  return path === pathname || decoded(path) === decoded(pathname) ? new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) : null;
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Changes the query of this page's URL starting from the query as it is
 * now (liveParams). A write from a page the user has already left is
 * dropped rather than taking them back to it.
 */
function useSetParams(): (change: (p: URLSearchParams) => URLSearchParams, opts: { replace: boolean }) => void {
  const navigate = useNavigate();
  const { pathname } = useLocation();
  return useCallback(
    (change, { replace }) => {
      const now = liveParams(window.location.hash, pathname);
      if (now) void navigate({ search: `?${change(now)}` }, { replace });
    },
    [navigate, pathname],
  );
}

/** One query parameter as state. Typing into filters replaces history entries instead of piling them up. */
export function useUrlParam(name: string, fallback = ''): [string, (v: string | null, opts?: { push?: boolean }) => void] {
  const [params] = useSearchParams();
  const setParams = useSetParams();
  const value = params.get(name) ?? fallback;
  const set = useCallback(
    (v: string | null, opts?: { push?: boolean }) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (v === null || v === '' || v === fallback) next.delete(name);
          else next.set(name, v);
          return next;
        },
        { replace: !opts?.push },
      );
    },
    [name, fallback, setParams],
  );
  return [value, set];
}

/** A comma-separated list parameter (e.g. ns=a,b). */
export function useUrlList(name: string): [string[], (v: string[]) => void] {
  const [raw, set] = useUrlParam(name);
  const list = useMemo(() => (raw ? raw.split(',').filter(Boolean) : []), [raw]);
  return [list, useCallback((v: string[]) => set(v.join(',')), [set])];
}

/** Several parameters at once, in one history entry. */
export function useUrlUpdate(): (changes: Record<string, string | null>, opts?: { push?: boolean }) => void {
  const setParams = useSetParams();
  return useCallback(
    (changes, opts) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(changes)) {
            if (v === null || v === '') next.delete(k);
            else next.set(k, v);
          }
          return next;
        },
        { replace: !opts?.push },
      );
    },
    [setParams],
  );
}

export function useUrlTimeRange(fallback: TimeRange = DEFAULT_RANGE, maxMs?: number): [TimeRange, (r: TimeRange) => void] {
  const [params] = useSearchParams();
  const setParams = useSetParams();
  const key = `${params.get('range')}|${params.get('from')}|${params.get('to')}`;
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const range = useMemo(() => rangeFromParams(params, fallback, maxMs), [key, fallback, maxMs]);
  const set = useCallback((r: TimeRange) => setParams((prev) => rangeToParams(r, prev), { replace: false }), [setParams]);
  return [range, set];
}

/** The moment a page shows (`at`), or null for live. */
export function useAt(): [number | null, (t: number | null) => void] {
  const [raw, set] = useUrlParam('at');
  const at = parseInstant(raw);
  return [at, useCallback((t: number | null) => set(t === null ? null : new Date(t).toISOString(), { push: true }), [set])];
}

/**
 * Free text typed into a filter: local state updates at once (the table
 * filters on every keystroke); the URL follows after `delay` ms of quiet.
 * Changes of the URL from elsewhere (back/forward, "clear filters", a link,
 * another cluster) replace the local text unless the user is mid-typing.
 */
export function useUrlText(name: string, delay = 300): [string, (v: string) => void] {
  const [urlValue, setUrl] = useUrlParam(name);
  const [text, setText] = useState(urlValue);
  const pending = useRef<string | null>(null);
  const setRef = useRef(setUrl);
  setRef.current = setUrl;
  useEffect(() => {
    if (pending.current === null) setText(urlValue);
  }, [urlValue]);
  const urlRef = useRef(urlValue);
  urlRef.current = urlValue;
  useEffect(() => {
    if (text === urlRef.current) {
      pending.current = null;
      return;
    }
    pending.current = text;
    const id = setTimeout(() => {
      pending.current = null;
      setRef.current(text);
    }, delay);
    return () => clearTimeout(id);
  }, [text, delay]);
  return [text, setText];
}

/** The URL changes that close a detail drawer: its object parameter and the parameters its tabs own. */
export function closeDrawer(param: string): Record<string, null> {
  return { [param]: null, tab: null, t1: null, t2: null, diff: null };
}
