import { useMemo } from 'react';
import { useTheme } from '../../lib/theme';

/** Resolves theme colour tokens to concrete values (SVG attributes need them), per theme. */
export function usePalette() {
  const [, effective] = useTheme();
  return useMemo(() => {
    const cs = getComputedStyle(document.documentElement);
    const v = (n: string) => cs.getPropertyValue(n).trim();
    return {
      series: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => v(`--chart-${i}`)),
      crit: v('--crit'),
      warn: v('--warn'),
      info: v('--info'),
      ok: v('--ok'),
      grid: v('--line'),
      axis: v('--muted'),
      surface: v('--surface'),
      fg: v('--fg'),
      theme: effective,
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [effective]);
}
