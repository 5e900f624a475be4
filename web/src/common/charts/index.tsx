import { lazy, Suspense } from 'react';
import type { TimeSeriesProps } from './TimeSeriesChart';

export type { TimeSeriesProps, SeriesDef } from './TimeSeriesChart';

const Impl = lazy(() => import('./TimeSeriesChart'));

/** The chart, loaded on first use; a same-size placeholder meanwhile so layout does not jump. */
export function TimeSeries(props: TimeSeriesProps) {
  return (
    <Suspense fallback={<div className="skeleton w-full" style={{ height: props.height ?? 220 }} aria-hidden />}>
      <Impl {...props} />
    </Suspense>
  );
}
