// The two moments a YAML diff of one object compares, from its change
// timeline. A change row at ts holds the state after the change, so "just
// before" is ts - 1 ms.

export interface Change {
  ts: string;
  op: string;
}

/** Changes worth comparing across (not checkpoints), newest first. */
export function changeMoments(items: readonly Change[]): Change[] {
  return items.filter((c) => c.op !== 'checkpoint').sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts));
}

/** Before and after one change. */
export function aroundChange(c: Change): { t1: number; t2: number } {
  const t = Date.parse(c.ts);
  return { t1: t - 1, t2: t };
}

/**
 * The default comparison ending at t2: from just before the last change at
 * or before t2 (a creation compares with nothing), else the day before.
 */
export function defaultFrom(changes: readonly Change[], t2: number): number {
  const last = changes.find((c) => Date.parse(c.ts) <= t2);
  return last ? aroundChange(last).t1 : t2 - 86_400_000;
}
