import { useEffect, useRef, useState } from 'react';
import { useNavigate, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ChevronDown, LogOut, Menu, Monitor, Moon, Sun, UserRound, Languages } from 'lucide-react';
import { useAuth } from '../lib/auth/AuthProvider';
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, setLanguage, type Language } from '../lib/i18n';
import { useTheme, type ThemeChoice } from '../lib/theme';
import { Dot } from '../common/Badge';
import { useClusters } from './hooks';

function ClusterPicker({ cluster }: { cluster: string | null }) {
  const { t } = useTranslation('app');
  const q = useClusters();
  const nav = useNavigate();
  const loc = useLocation();
  const items = q.data?.items ?? [];
  const onChange = (id: string) => {
    // Stay on the same page of the new cluster; drop object-specific params.
    const m = /^\/c\/[^/]+(\/[^/?]*)?/.exec(loc.pathname);
    const sub = m?.[1] ?? '';
    nav(`/c/${encodeURIComponent(id)}${sub}`);
  };
  const cur = items.find((c) => c.id === cluster);
  return (
    <label className="flex items-center gap-2">
      <span className="sr-only">{t('top.cluster')}</span>
      {cur && <Dot tone={cur.online ? 'ok' : 'crit'} />}
      <select
        className="input h-8 max-w-56 font-medium"
        value={cluster ?? ''}
        onChange={(e) => onChange(e.target.value)}
        data-testid="cluster-picker"
        aria-label={t('top.cluster')}
      >
        {!cluster && <option value="">{t('top.pickCluster')}</option>}
        {items.map((c) => (
          <option key={c.id} value={c.id}>
            {c.id}
            {c.online ? '' : ` (${t('top.offline')})`}
          </option>
        ))}
        {cluster && !items.some((c) => c.id === cluster) && <option value={cluster}>{cluster}</option>}
      </select>
    </label>
  );
}

function Popover({ label, button, children, testId }: { label: string; button: React.ReactNode; children: (close: () => void) => React.ReactNode; testId?: string }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  return (
    <div className="relative" ref={ref}>
      <button type="button" className="btn btn-ghost" aria-haspopup="menu" aria-expanded={open} aria-label={label} title={label} onClick={() => setOpen((o) => !o)} data-testid={testId}>
        {button}
      </button>
      {open && (
        <div role="menu" className="card absolute top-10 right-0 z-40 min-w-44 py-1 shadow-xl">
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}

const menuItem = 'flex w-full items-center gap-2 px-3 py-1.5 text-left text-[13px] hover:bg-surface-2';

export function TopBar({ cluster, onMenu }: { cluster: string | null; onMenu: () => void }) {
  const { t } = useTranslation('app');
  const { user, logout } = useAuth();
  const [choice, , setTheme] = useTheme();
  const lang = currentLanguage();
  const nav = useNavigate();
  const themeIcon = choice === 'dark' ? <Moon size={16} aria-hidden /> : choice === 'light' ? <Sun size={16} aria-hidden /> : <Monitor size={16} aria-hidden />;

  return (
    <header className="flex h-12 shrink-0 items-center gap-3 border-b border-line bg-surface px-3">
      <button type="button" className="btn btn-ghost btn-icon lg:hidden" onClick={onMenu} aria-label={t('top.menu')}>
        <Menu size={18} aria-hidden />
      </button>
      <ClusterPicker cluster={cluster} />
      <div className="flex-1" />
      <Popover label={t('top.language')} testId="language-menu" button={<><Languages size={16} aria-hidden /><span className="hidden text-xs sm:inline">{LANGUAGE_NAMES[lang]}</span></>}>
        {(close) =>
          LANGUAGES.map((l: Language) => (
            <button
              key={l}
              role="menuitemradio"
              aria-checked={l === lang}
              lang={l}
              className={`${menuItem} ${l === lang ? 'font-semibold' : ''}`}
              onClick={() => {
                void setLanguage(l);
                close();
              }}
              data-testid={`lang-${l}`}
            >
              {LANGUAGE_NAMES[l]}
            </button>
          ))
        }
      </Popover>
      <Popover label={t('top.theme')} testId="theme-menu" button={themeIcon}>
        {(close) =>
          (['light', 'dark', 'system'] as ThemeChoice[]).map((c) => (
            <button
              key={c}
              role="menuitemradio"
              aria-checked={c === choice}
              className={`${menuItem} ${c === choice ? 'font-semibold' : ''}`}
              onClick={() => {
                setTheme(c);
                close();
              }}
              data-testid={`theme-${c}`}
            >
              {c === 'light' ? <Sun size={14} aria-hidden /> : c === 'dark' ? <Moon size={14} aria-hidden /> : <Monitor size={14} aria-hidden />}
              {t(`top.theme_${c}`)}
            </button>
          ))
        }
      </Popover>
      <Popover
        label={t('top.account')}
        testId="user-menu"
        button={
          <>
            <UserRound size={16} aria-hidden />
            <span className="hidden max-w-32 truncate text-xs sm:inline">{user?.username}</span>
            <ChevronDown size={14} aria-hidden />
          </>
        }
      >
        {(close) => (
          <>
            <div className="border-b border-line px-3 pt-1 pb-2">
              <div className="text-[13px] font-medium">{user?.username}</div>
              <div className="text-xs text-muted" data-testid="user-role">
                {t(`common:role.${user?.role ?? 'viewer'}`)}
              </div>
            </div>
            <button
              className={menuItem}
              role="menuitem"
              data-testid="logout"
              onClick={() => {
                close();
                void logout().then(() => nav('/login'));
              }}
            >
              <LogOut size={14} aria-hidden /> {t('top.logout')}
            </button>
          </>
        )}
      </Popover>
    </header>
  );
}
