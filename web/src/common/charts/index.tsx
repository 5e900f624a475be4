import { lazy, Suspense } from 'react';
import type { TimeSeriesProps } from './TimeSeriesChart';
import type { BarsProps } from './BarsChart';

export type { TimeSeriesProps, SeriesDef } from './TimeSeriesChart';
export type { BarsProps } from './BarsChart';

const Impl = lazy(() => import('./TimeSeriesChart'));
const BarsImpl = lazy(() => import('./BarsChart'));

/** The chart, loaded on first use; a same-size placeholder meanwhile so layout does not jump. */
export function TimeSeries(props: TimeSeriesProps) {
  return (
    <Suspense fallback={<div className="skeleton w-full" style={{ height: props.height ?? 220 }} aria-hidden />}>
      <Impl {...props} />
    </Suspense>
  );
}

/** Bars by category, loaded on first use like TimeSeries. */
export function Bars(props: BarsProps) {
  return (
    <Suspense fallback={<div className="skeleton w-full" style={{ height: props.height ?? 240 }} aria-hidden />}>
      <BarsImpl {...props} />
    </Suspense>
  );
}
