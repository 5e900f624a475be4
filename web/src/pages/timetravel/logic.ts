/** Default diff window: the hour before the moment being viewed. */
export function defaultDiffWindow(at: number | null, now: number): { t1: number; t2: number } {
  const t2 = at ?? now;
  return { t1: t2 - 3_600_000, t2 };
}

/** Clamp a slider value into [min, max] and round it to whole minutes. */
export function snapMinute(t: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(t / 60_000) * 60_000));
}

export const SLIDER_WINDOWS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type SliderWindow = keyof typeof SLIDER_WINDOWS;
