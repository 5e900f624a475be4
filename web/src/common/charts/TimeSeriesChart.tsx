import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { usePalette } from './palette';

export interface SeriesDef {
  key: string;
  name: string;
  /** A palette token name (crit, warn, info, ok) or an index into the series palette. */
  color?: 'crit' | 'warn' | 'info' | 'ok' | number;
}

export interface TimeSeriesProps {
  data: Array<{ t: number } & Record<string, number | null>>;
  series: SeriesDef[];
  kind?: 'line' | 'area' | 'bar';
  stacked?: boolean;
  height?: number;
  yFormat?: (v: number) => string;
  xFormat: (t: number) => string;
  tooltipTime: (t: number) => string;
  yDomain?: [number | 'auto', number | 'auto'];
  legend?: boolean;
  label: string;
  /** Values are counts: ticks only at whole numbers (no "0, 1, 1, 2, 2" once formatted). */
  integer?: boolean;
}

/**
 * Time series from recharts, themed by the design tokens. Loaded lazily
 * (see ./index.tsx) so the chart library never weighs on first load.
 */
export default function TimeSeriesChart({ data, series, kind = 'line', stacked, height = 220, yFormat, xFormat, tooltipTime, yDomain, legend = true, label, integer }: TimeSeriesProps) {
  const p = usePalette();
  const color = (s: SeriesDef, i: number) => (typeof s.color === 'string' ? p[s.color] : p.series[(s.color ?? i) % p.series.length]);
  const common = {
    data,
    margin: { top: 8, right: 12, bottom: 0, left: 0 },
  };
  const axes = (
    <>
      <CartesianGrid stroke={p.grid} strokeDasharray="3 3" vertical={false} />
      <XAxis
        dataKey="t"
        type="number"
        scale="time"
        domain={['dataMin', 'dataMax']}
        tickFormatter={xFormat}
        stroke={p.axis}
        tick={{ fontSize: 11, fill: p.axis }}
        tickLine={false}
        axisLine={{ stroke: p.grid }}
        minTickGap={40}
      />
      <YAxis
        tickFormatter={yFormat}
        stroke={p.axis}
        tick={{ fontSize: 11, fill: p.axis }}
        tickLine={false}
        axisLine={false}
        width={64}
        domain={yDomain ?? [0, 'auto']}
        allowDecimals={!integer}
      />
      <Tooltip
        labelFormatter={(v) => tooltipTime(Number(v))}
        formatter={(v) => (yFormat && typeof v === 'number' ? yFormat(v) : String(v))}
        contentStyle={{ background: p.surface, border: `1px solid ${p.grid}`, borderRadius: 6, fontSize: 12, color: p.fg }}
        labelStyle={{ color: p.axis }}
        isAnimationActive={false}
      />
      {legend && series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} iconType="plainline" itemSorter={null} />}
    </>
  );
  return (
    <figure aria-label={label} style={{ height }} className="m-0 w-full min-w-0">
      <ResponsiveContainer width="100%" height="100%">
        {kind === 'bar' ? (
          <BarChart {...common}>
            {axes}
            {series.map((s, i) => (
              <Bar key={s.key} dataKey={s.key} name={s.name} stackId={stacked ? 'a' : undefined} fill={color(s, i)} isAnimationActive={false} maxBarSize={24} />
            ))}
          </BarChart>
        ) : kind === 'area' ? (
          <AreaChart {...common}>
            {axes}
            {series.map((s, i) => (
              <Area
                key={s.key}
                type="monotone"
                dataKey={s.key}
                name={s.name}
                stackId={stacked ? 'a' : undefined}
                stroke={color(s, i)}
                fill={color(s, i)}
                fillOpacity={0.18}
                strokeWidth={1.5}
                dot={false}
                connectNulls={false}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        ) : (
          <LineChart {...common}>
            {axes}
            {series.map((s, i) => (
              <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={color(s, i)} strokeWidth={1.5} dot={false} connectNulls={false} isAnimationActive={false} />
            ))}
          </LineChart>
        )}
      </ResponsiveContainer>
    </figure>
  );
}
