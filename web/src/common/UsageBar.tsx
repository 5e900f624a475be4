import { usageTone } from '../lib/k8s/nodes';
import type { Tone } from '../lib/k8s/types';
import { TONE_BG } from './tone';

/**
 * A labelled meter (not a chart): share of a capacity, coloured at 75 % / 90 %.
 * `tone` fixes the colour for shares that are neither good nor bad (a cluster's part of the lake).
 */
export function UsageBar({ label, ratio, text, compact, goodHigh, tone: fixed }: { label: string; ratio: number | null; text: string; compact?: boolean; goodHigh?: boolean; tone?: Tone }) {
  const pct = ratio === null ? 0 : Math.min(100, ratio * 100);
  // goodHigh: a share of healthy things, where full is good (green) and low is bad.
  const tone = fixed ?? (goodHigh ? (ratio === null ? 'neutral' : ratio >= 0.999 ? 'ok' : ratio >= 0.9 ? 'warn' : 'crit') : usageTone(ratio));
  return (
    <div className="min-w-0">
      {!compact && (
        <div className="mb-1 flex items-baseline justify-between gap-2 text-xs">
          <span className="truncate text-muted">{label}</span>
          <span className="tabular whitespace-nowrap">{text}</span>
        </div>
      )}
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={ratio === null ? undefined : Math.round(pct)}
        aria-valuetext={text}
        title={compact ? `${label}: ${text}` : undefined}
        className="h-1.5 overflow-hidden rounded-full bg-surface-3"
      >
        <div className={`h-full rounded-full ${TONE_BG[tone]}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
