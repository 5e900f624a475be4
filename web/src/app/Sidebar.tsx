import { useState } from 'react';
import { NavLink, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ChevronDown, ChevronRight } from 'lucide-react';
import { useAuth } from '../lib/auth/AuthProvider';
import { config } from '../lib/config';
import { NAV, type NavItem } from './nav';

const COLLAPSED_KEY = 'atlhyper.nav.collapsed';

/** Keeps entries without an icon aligned with those that have one. */
function NoIcon({ size }: { size?: number; className?: string }) {
  return <span className="shrink-0" style={{ width: size }} aria-hidden />;
}

/** The folded kind groups, remembered across visits. */
function useCollapsed(): [Set<string>, (id: string) => void] {
  const [collapsed, setCollapsed] = useState<Set<string>>(() => {
    try {
      return new Set(JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? '[]') as string[]);
    } catch {
      return new Set();
    }
  });
  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      try {
        localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...next]));
      } catch {
        /* private mode: folding lasts for this tab */
      }
      return next;
    });
  return [collapsed, toggle];
}

function showsItem(pathname: string, query: URLSearchParams, cluster: string | null, it: NavItem): boolean {
  return pathname === it.to.replace(':cluster', encodeURIComponent(cluster ?? '')).split('?')[0] && (it.selects?.(query) ?? true);
}

export function Sidebar({ cluster, onNavigate }: { cluster: string | null; onNavigate?: () => void }) {
  const { t } = useTranslation('app');
  const { can } = useAuth();
  const { pathname, search } = useLocation();
  const query = new URLSearchParams(search);
  const [collapsed, toggle] = useCollapsed();
  return (
    <nav aria-label={t('nav.label')} className="flex h-full w-60 flex-col bg-nav text-nav-fg">
      <div className="flex h-12 shrink-0 items-center gap-2 px-4">
        <svg viewBox="0 0 32 32" className="size-6" aria-hidden>
          <rect width="32" height="32" rx="7" fill="#2563eb" />
          <path d="M16 5 6 27h4.6l2-4.8h6.8l2 4.8H26L16 5Zm-2 13.4L16 13l2 5.4h-4Z" fill="#fff" />
        </svg>
        <span className="text-[15px] font-semibold tracking-tight text-white">{config().title ?? 'AtlHyper'}</span>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        {NAV.map((section) => {
          const items = section.items.filter((it) => !it.role || can(it.role));
          if (!items.length) return null;
          // A folded group opens by itself while one of its pages is shown.
          const open = !section.collapsible || !collapsed.has(section.id) || items.some((it) => showsItem(pathname, query, cluster, it));
          return (
            <div key={section.id} className="mt-4" data-testid={`nav-section-${section.id}`}>
              {section.collapsible ? (
                <button
                  type="button"
                  className="mb-1 flex w-full items-center gap-1 rounded px-2 text-[11px] font-semibold tracking-wider text-nav-muted uppercase hover:text-white"
                  aria-expanded={open}
                  onClick={() => toggle(section.id)}
                  data-testid={`nav-toggle-${section.id}`}
                >
                  {open ? <ChevronDown size={12} aria-hidden /> : <ChevronRight size={12} aria-hidden />}
                  {section.icon && <section.icon size={12} aria-hidden />}
                  <span>{t(section.label)}</span>
                </button>
              ) : (
                <div className="mb-1 flex items-center justify-between px-2 text-[11px] font-semibold tracking-wider text-nav-muted uppercase">
                  <span>{t(section.label)}</span>
                  {section.cluster && cluster && <span className="max-w-28 truncate font-mono normal-case tracking-normal">{cluster}</span>}
                </div>
              )}
              {open && (
                <ul className="space-y-px">
                  {items.map((it) => {
                    const disabled = section.cluster && !cluster;
                    const to = it.to.replace(':cluster', encodeURIComponent(cluster ?? ''));
                    const Icon = it.icon ?? NoIcon;
                    if (disabled) {
                      return (
                        <li key={it.id}>
                          <span className="flex h-8 items-center gap-2.5 rounded-md px-2 text-[13px] text-nav-muted opacity-60" title={t('nav.noCluster')}>
                            <Icon size={16} aria-hidden />
                            {t(it.label)}
                          </span>
                        </li>
                      );
                    }
                    // Entries sharing a page (the workload kinds) are told apart by its query.
                    const selected = it.selects?.(query) ?? true;
                    return (
                      <li key={it.id}>
                        <NavLink
                          to={to}
                          end={it.id === 'overview'}
                          onClick={onNavigate}
                          data-testid={`nav-${it.id}`}
                          aria-current={selected ? undefined : false}
                          className={({ isActive }) =>
                            `flex h-8 items-center gap-2.5 rounded-md px-2 text-[13px] transition-colors ${
                              isActive && selected ? 'bg-white/10 font-medium text-white shadow-[inset_2px_0_0_var(--nav-active)]' : 'text-nav-fg hover:bg-white/5 hover:text-white'
                            } ${it.planned ? 'text-nav-muted' : ''}`
                          }
                        >
                          <Icon size={16} aria-hidden className="shrink-0" />
                          <span className="flex-1 truncate">{t(it.label)}</span>
                          {it.planned && <span className="rounded border border-white/15 px-1 text-[10px] text-nav-muted">{t('nav.soon')}</span>}
                        </NavLink>
                      </li>
                    );
                  })}
                </ul>
              )}
            </div>
          );
        })}
      </div>
    </nav>
  );
}
