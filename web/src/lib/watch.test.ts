import { describe, expect, it } from 'vitest';
import { keepWatching } from './watch';

// A fake document and clock: the lease is renewed while the tab is
// visible, every renew_after_seconds, and never while it is hidden.
function harness() {
  const listeners = new Set<() => void>();
  const doc = {
    visibilityState: 'visible' as DocumentVisibilityState,
    addEventListener: (_: string, l: () => void) => listeners.add(l),
    removeEventListener: (_: string, l: () => void) => listeners.delete(l),
  };
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const renewals: string[] = [];
  const watched: (string | null)[] = [];
  const h = {
    doc,
    timers,
    renewals,
    watched,
    setVisible(v: boolean) {
      doc.visibilityState = v ? 'visible' : 'hidden';
      listeners.forEach((l) => l());
    },
    /** Runs the pending timer (there is at most one). */
    fire() {
      const [id, t] = [...timers.entries()][0];
      timers.delete(id);
      t.fn();
    },
    deps: {
      renew: async (c: string) => {
        renewals.push(c);
        return { renew_after_seconds: 60 };
      },
      doc: doc as unknown as Document,
      setTimer: (fn: () => void, ms: number) => {
        const id = next++;
        timers.set(id, { fn, ms });
        return id;
      },
      clearTimer: (id: unknown) => timers.delete(id as number),
      onWatched: (c: string | null) => watched.push(c),
    },
  };
  return h;
}

// Lets the renewal promise settle (no timers: the fake clock is ours).
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('keepWatching', () => {
  it('renews at once and every renew_after_seconds while visible', async () => {
    const h = harness();
    const stop = keepWatching('prod', h.deps);
    await flush();
    expect(h.renewals).toEqual(['prod']);
    expect([...h.timers.values()].map((t) => t.ms)).toEqual([60_000]);
    expect(h.watched.at(-1)).toBe('prod');
    h.fire();
    await flush();
    expect(h.renewals).toEqual(['prod', 'prod']);
    stop();
    expect(h.timers.size).toBe(0);
    expect(h.watched.at(-1)).toBeNull();
  });

  it('a hidden tab renews nothing; visible again renews at once', async () => {
    const h = harness();
    keepWatching('prod', h.deps);
    await flush();
    h.setVisible(false);
    expect(h.timers.size).toBe(0);
    expect(h.watched.at(-1)).toBeNull();
    await flush();
    expect(h.renewals.length).toBe(1);
    h.setVisible(true);
    await flush();
    expect(h.renewals.length).toBe(2);
    expect(h.watched.at(-1)).toBe('prod');
  });

  it('starts hidden: no renewal until shown', async () => {
    const h = harness();
    h.doc.visibilityState = 'hidden';
    keepWatching('prod', h.deps);
    await flush();
    expect(h.renewals).toEqual([]);
  });
});
