import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useTranslation } from 'react-i18next';
import { ArrowDown, ArrowUp } from 'lucide-react';
import { sortBy, type SortState, type SortValue } from './sort';

export interface Column<T> {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** Makes the column sortable. */
  sortValue?: (row: T) => SortValue;
  /** CSS grid track, e.g. "minmax(14rem,2fr)" or "6rem". */
  width: string;
  align?: 'left' | 'right';
  /** Tooltip for truncated cells. */
  title?: (row: T) => string | undefined;
}

interface Props<T> {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  label: string;
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  /** Controlled sort; with `presorted` the caller has already sorted `rows`. */
  sort?: SortState;
  onSortChange?: (s: SortState) => void;
  presorted?: boolean;
  /** Total before filtering, for "12 of 10,000". */
  total?: number;
  empty?: ReactNode;
  rowHeight?: number;
  /** Max height in px; by default the table fills its flex parent. */
  maxHeight?: number;
  rowTone?: (row: T) => string | undefined;
}

/**
 * A virtualized, sortable, keyboard-navigable table. Only the rows in view
 * (plus a small overscan) are in the DOM, so 10,000 rows scroll and filter
 * as fast as 50. Built from divs with ARIA table roles because a virtualized
 * <table> cannot keep its column widths stable.
 */
function DataTableInner<T>({
  columns,
  rows,
  rowKey,
  label,
  onRowClick,
  selectedKey,
  sort: sortProp,
  onSortChange,
  presorted,
  total,
  empty,
  rowHeight = 36,
  maxHeight,
  rowTone,
}: Props<T>) {
  const { t, i18n } = useTranslation('common');
  const scrollRef = useRef<HTMLDivElement>(null);
  const [localSort, setLocalSort] = useState<SortState | undefined>(undefined);
  const sort = sortProp ?? localSort;
  const [active, setActive] = useState(0);

  const sorted = useMemo(() => {
    if (presorted || !sort) return rows;
    const col = columns.find((c) => c.id === sort.id);
    return col?.sortValue ? sortBy(rows, col.sortValue, sort.desc) : rows;
  }, [rows, sort, columns, presorted]);

  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });

  const template = columns.map((c) => c.width).join(' ');
  const onHeader = (c: Column<T>) => {
    if (!c.sortValue) return;
    const next: SortState = sort?.id === c.id ? { id: c.id, desc: !sort.desc } : { id: c.id, desc: false };
    if (onSortChange) onSortChange(next);
    else setLocalSort(next);
  };

  const focusRow = useCallback(
    (i: number) => {
      const n = Math.max(0, Math.min(sorted.length - 1, i));
      setActive(n);
      virtualizer.scrollToIndex(n, { align: 'auto' });
      requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${n}"]`)?.focus());
    },
    [sorted.length, virtualizer],
  );

  const onKey = (e: KeyboardEvent<HTMLDivElement>, i: number, row: T) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: sorted.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      focusRow(moves[e.key]);
    } else if ((e.key === 'Enter' || e.key === ' ') && onRowClick) {
      e.preventDefault();
      onRowClick(row);
    }
  };

  const nf = new Intl.NumberFormat(i18n.language);
  const activeIndex = Math.min(active, Math.max(0, sorted.length - 1));

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div
        ref={scrollRef}
        role="table"
        aria-label={label}
        aria-rowcount={sorted.length + 1}
        className="relative min-h-0 flex-1 overflow-auto"
        style={maxHeight ? { maxHeight } : undefined}
        data-testid="data-table"
      >
        <div className="min-w-fit">
          <div role="rowgroup" className="sticky top-0 z-10 border-b border-line bg-surface-2">
            <div role="row" aria-rowindex={1} className="grid" style={{ gridTemplateColumns: template }}>
              {columns.map((c) => {
                const dir = sort?.id === c.id ? (sort.desc ? 'descending' : 'ascending') : undefined;
                return (
                  <div
                    key={c.id}
                    role="columnheader"
                    aria-sort={c.sortValue ? (dir ?? 'none') : undefined}
                    className={`truncate px-3 py-2 text-xs font-semibold whitespace-nowrap text-muted ${c.align === 'right' ? 'text-right' : ''}`}
                    title={c.header}
                  >
                    {c.sortValue ? (
                      <button
                        type="button"
                        onClick={() => onHeader(c)}
                        className={`inline-flex items-center gap-1 rounded hover:text-fg ${c.align === 'right' ? 'flex-row-reverse' : ''}`}
                      >
                        {c.header}
                        {dir === 'ascending' && <ArrowUp size={12} aria-hidden />}
                        {dir === 'descending' && <ArrowDown size={12} aria-hidden />}
                      </button>
                    ) : (
                      c.header
                    )}
                  </div>
                );
              })}
            </div>
          </div>
          {sorted.length === 0 ? (
            <div role="rowgroup">
              <div role="row">
                <div role="cell">{empty}</div>
              </div>
            </div>
          ) : (
            <div role="rowgroup" className="relative" style={{ height: virtualizer.getTotalSize() }}>
              {virtualizer.getVirtualItems().map((v) => {
                const row = sorted[v.index];
                const key = rowKey(row);
                const selected = selectedKey === key;
                return (
                  <div
                    key={key}
                    role="row"
                    aria-rowindex={v.index + 2}
                    aria-selected={onRowClick ? selected : undefined}
                    data-index={v.index}
                    tabIndex={v.index === activeIndex ? 0 : -1}
                    onClick={onRowClick ? () => onRowClick(row) : undefined}
                    onKeyDown={(e) => onKey(e, v.index, row)}
                    onFocus={() => setActive(v.index)}
                    className={`absolute inset-x-0 grid items-center border-b border-line/70 text-[13px] outline-offset-[-2px] ${
                      onRowClick ? 'cursor-pointer hover:bg-surface-2' : ''
                    } ${selected ? 'bg-accent/10 hover:bg-accent/15' : ''} ${rowTone?.(row) ?? ''}`}
                    style={{ gridTemplateColumns: template, height: v.size, transform: `translateY(${v.start}px)` }}
                  >
                    {columns.map((c) => (
                      <div
                        key={c.id}
                        role="cell"
                        data-col={c.id}
                        className={`min-w-0 truncate px-3 ${c.align === 'right' ? 'text-right tabular' : ''}`}
                        title={c.title?.(row)}
                      >
                        {c.cell(row)}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
      <div className="flex items-center justify-between border-t border-line px-3 py-1.5 text-xs text-muted" aria-live="polite">
        <span data-testid="row-count">
          {total !== undefined && total !== sorted.length
            ? t('table.countOf', { shown: nf.format(sorted.length), total: nf.format(total) })
            : t('table.count', { count: sorted.length, formatted: nf.format(sorted.length) })}
        </span>
        {onRowClick && sorted.length > 0 && <span className="hidden sm:inline">{t('table.keyboardHint')}</span>}
      </div>
    </div>
  );
}

export const DataTable = memo(DataTableInner) as typeof DataTableInner;
