import type { Tone } from '../lib/k8s/types';

/** Text, tinted background and dot classes per tone (theme tokens, so both themes work). */
export const TONE_TEXT: Record<Tone, string> = {
  ok: 'text-ok',
  warn: 'text-warn',
  crit: 'text-crit',
  info: 'text-info',
  neutral: 'text-muted',
};
export const TONE_CHIP: Record<Tone, string> = {
  ok: 'bg-ok/10 text-ok border-ok/25',
  warn: 'bg-warn/10 text-warn border-warn/30',
  crit: 'bg-crit/10 text-crit border-crit/25',
  info: 'bg-info/10 text-info border-info/25',
  neutral: 'bg-surface-2 text-muted border-line',
};
export const TONE_BG: Record<Tone, string> = {
  ok: 'bg-ok',
  warn: 'bg-warn',
  crit: 'bg-crit',
  info: 'bg-info',
  neutral: 'bg-neutral',
};
