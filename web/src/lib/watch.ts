import { useEffect, useSyncExternalStore } from 'react';
import { api } from './api';

// While a tab shows a cluster (any of its views) and is visible, it renews
// the cluster's watch lease (POST /clusters/{c}/watch) every
// renew_after_seconds: the cluster's agent then publishes what it has not
// flushed yet every few seconds, and lists are seconds behind the cluster.
// A hidden tab renews nothing (Page Visibility), so a lease nobody looks at
// runs out (2 min) and the cluster costs nothing extra.

let watched: string | null = null;
const listeners = new Set<() => void>();

function setWatched(c: string | null) {
  if (c === watched) return;
  watched = c;
  listeners.forEach((l) => l());
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The cluster this tab holds a watch lease on (null: none). */
export function useWatchedCluster(): string | null {
  return useSyncExternalStore(subscribe, () => watched, () => null);
}

/** Seconds to wait after a failed renewal before trying again. */
const RETRY_S = 30;

export interface WatchDeps {
  renew: (cluster: string) => Promise<{ renew_after_seconds: number }>;
  doc: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (id: unknown) => void;
  onWatched: (cluster: string | null) => void;
}

/**
 * Keeps a cluster's watch lease while the document is visible; returns the
 * stop function. Pure of React so it can be tested with a fake document.
 */
export function keepWatching(cluster: string, d: WatchDeps): () => void {
  let timer: unknown = null;
  let stopped = false;
  const clear = () => {
    if (timer !== null) d.clearTimer(timer);
    timer = null;
  };
  const renew = () => {
    clear();
    if (stopped || d.doc.visibilityState !== 'visible') return;
    d.renew(cluster).then(
      (r) => {
        if (stopped || d.doc.visibilityState !== 'visible') return;
        d.onWatched(cluster);
        timer = d.setTimer(renew, Math.max(5, r.renew_after_seconds) * 1000);
      },
      () => {
        if (stopped) return;
        d.onWatched(null);
        timer = d.setTimer(renew, RETRY_S * 1000);
      },
    );
  };
  const onVisibility = () => {
    if (d.doc.visibilityState === 'visible') renew();
    else {
      clear();
      d.onWatched(null);
    }
  };
  d.doc.addEventListener('visibilitychange', onVisibility);
  renew();
  return () => {
    stopped = true;
    clear();
    d.doc.removeEventListener('visibilitychange', onVisibility);
    d.onWatched(null);
  };
}

/** Watches cluster while the calling component is mounted (and the tab visible). */
export function useWatchCluster(cluster: string) {
  useEffect(() => {
    if (!cluster) return;
    return keepWatching(cluster, {
      renew: (c) => api.watchCluster(c),
      doc: document,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
      onWatched: setWatched,
    });
  }, [cluster]);
}
