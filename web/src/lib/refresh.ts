import { useSyncExternalStore } from 'react';
import { parseDuration } from './time';
import { useWatchedCluster } from './watch';

// The auto-refresh interval, shared by every page and persisted per browser.

export const REFRESH_OPTIONS = ['off', '10s', '30s', '1m', '5m'] as const;
export type RefreshOption = (typeof REFRESH_OPTIONS)[number];
const KEY = 'atlhyper.refresh';
const DEFAULT: RefreshOption = '30s';
const listeners = new Set<() => void>();

function read(): RefreshOption {
  try {
    const v = localStorage.getItem(KEY) as RefreshOption | null;
    return v && (REFRESH_OPTIONS as readonly string[]).includes(v) ? v : DEFAULT;
  } catch {
    return DEFAULT;
  }
}

export function setRefresh(v: RefreshOption) {
  try {
    localStorage.setItem(KEY, v);
  } catch {
    /* ignore */
  }
  listeners.forEach((l) => l());
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useRefreshOption(): RefreshOption {
  return useSyncExternalStore(subscribe, read, () => DEFAULT);
}

/** How often a watched cluster's views refresh: its lists are seconds behind. */
export const WATCHED_MS = 5_000;

/**
 * For TanStack Query's refetchInterval: ms, or false when off or when
 * viewing the past. While this tab watches a cluster (lib/watch.ts) its
 * views refresh every 5 s; an unchanged refresh is a 304.
 */
export function useRefetchInterval(paused = false): number | false {
  const opt = useRefreshOption();
  const watched = useWatchedCluster();
  if (paused || opt === 'off') return false;
  const ms = parseDuration(opt) ?? false;
  return watched && ms ? Math.min(ms, WATCHED_MS) : ms;
}
