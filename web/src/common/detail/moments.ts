// The two moments a YAML diff of one object compares, from its change
// timeline. A change row at ts holds the state after the change. Lake times
// have microseconds and JavaScript dates milliseconds, so "just before" is
// a millisecond before ts and "just after" a millisecond after it.

export interface Change {
  ts: string;
  op: string;
}

/** Changes worth comparing across (not checkpoints), newest first. */
export function changeMoments(items: readonly Change[]): Change[] {
  return items.filter((c) => c.op !== 'checkpoint').sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts));
}

/** Just before and just after one change. */
export function aroundChange(c: Change): { t1: number; t2: number } {
  const t = Date.parse(c.ts);
  return { t1: t - 1, t2: t + 1 };
}

/**
 * The default comparison ending at t2: from just before the last change at
 * or before t2 (a creation compares with nothing), else the day before.
 */
export function defaultFrom(changes: readonly Change[], t2: number): number {
  const last = changes.find((c) => Date.parse(c.ts) <= t2);
  return last ? aroundChange(last).t1 : t2 - 86_400_000;
}
