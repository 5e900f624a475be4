import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Tone } from '../lib/k8s/types';
import { TONE_TEXT } from './tone';

export function StatCard({ label, value, sub, tone, icon, to, testId }: { label: string; value: ReactNode; sub?: ReactNode; tone?: Tone; icon?: ReactNode; to?: string; testId?: string }) {
  const body = (
    <>
      <div className="flex items-center justify-between gap-2 text-xs font-medium text-muted">
        <span className="truncate">{label}</span>
        {icon && <span className="text-faint">{icon}</span>}
      </div>
      <div className={`mt-1.5 text-2xl font-semibold tabular ${tone ? TONE_TEXT[tone] : ''}`}>{value}</div>
      {sub && <div className="mt-0.5 line-clamp-2 text-xs text-muted">{sub}</div>}
    </>
  );
  const cls = 'card block min-w-0 px-4 py-3';
  return to ? (
    <Link to={to} className={`${cls} transition-colors hover:border-line-strong hover:bg-surface-2`} data-testid={testId}>
      {body}
    </Link>
  ) : (
    <div className={cls} data-testid={testId}>
      {body}
    </div>
  );
}

export function Card({ title, actions, children, className = '', bodyClass = 'p-4', testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; bodyClass?: string; testId?: string }) {
  return (
    <section className={`card flex min-w-0 flex-col ${className}`} data-testid={testId}>
      {(title || actions) && (
        <header className="flex min-h-11 items-center justify-between gap-2 border-b border-line px-4 py-2">
          {title && <h2 className="text-sm font-semibold">{title}</h2>}
          {actions && <div className="flex items-center gap-2">{actions}</div>}
        </header>
      )}
      <div className={`min-h-0 flex-1 ${bodyClass}`}>{children}</div>
    </section>
  );
}
