import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePalette } from './palette';
import type { SeriesDef } from './TimeSeriesChart';

export interface BarsProps {
  /** One row per category; `label` names it, series keys hold the values. */
  data: Array<{ label: string } & Record<string, number | string>>;
  series: SeriesDef[];
  stacked?: boolean;
  /** Horizontal bars (categories down the side) suit long labels such as table names. */
  horizontal?: boolean;
  height?: number;
  valueFormat?: (v: number) => string;
  /** Value-axis ticks (e.g. binary steps for bytes); recharts picks decimal ones otherwise. */
  ticks?: number[];
  /** Width reserved for category labels on horizontal charts. */
  labelWidth?: number;
  legend?: boolean;
  label: string;
}

/**
 * Bars by category (not by time), themed by the design tokens; loaded
 * lazily like the time series (see ./index.tsx).
 */
export default function BarsChart({ data, series, stacked, horizontal, height = 240, valueFormat, ticks, labelWidth = 120, legend = true, label }: BarsProps) {
  const p = usePalette();
  const color = (s: SeriesDef, i: number) => (typeof s.color === 'string' ? p[s.color] : p.series[(s.color ?? i) % p.series.length]);
  const tick = { fontSize: 11, fill: p.axis };
  const valueAxis = { tickFormatter: valueFormat, stroke: p.axis, tick, tickLine: false, allowDecimals: true, ticks, domain: ticks ? [0, ticks[ticks.length - 1]] : undefined } as const;
  const categoryAxis = { dataKey: 'label', stroke: p.axis, tick, tickLine: false, axisLine: { stroke: p.grid }, interval: 0 } as const;
  return (
    <figure aria-label={label} style={{ height }} className="m-0 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout={horizontal ? 'vertical' : 'horizontal'} margin={{ top: 4, right: 16, bottom: 0, left: 0 }} barCategoryGap="22%">
          <CartesianGrid stroke={p.grid} strokeDasharray="3 3" horizontal={!horizontal} vertical={!!horizontal} />
          {horizontal ? (
            <>
              <XAxis type="number" {...valueAxis} axisLine={false} />
              <YAxis type="category" {...categoryAxis} width={labelWidth} />
            </>
          ) : (
            <>
              <XAxis type="category" {...categoryAxis} />
              <YAxis type="number" {...valueAxis} axisLine={false} width={64} />
            </>
          )}
          <Tooltip
            formatter={(v) => (valueFormat && typeof v === 'number' ? valueFormat(v) : String(v))}
            contentStyle={{ background: p.surface, border: `1px solid ${p.grid}`, borderRadius: 6, fontSize: 12, color: p.fg }}
            labelStyle={{ color: p.axis }}
            cursor={{ fill: p.grid, fillOpacity: 0.35 }}
            isAnimationActive={false}
          />
          {legend && series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} iconType="square" itemSorter={null} />}
          {series.map((s, i) => (
            <Bar key={s.key} dataKey={s.key} name={s.name} stackId={stacked ? 'a' : undefined} fill={color(s, i)} isAnimationActive={false} maxBarSize={22} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
