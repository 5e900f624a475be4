import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { LogIn } from 'lucide-react';
import { useAuth } from '../../lib/auth/AuthProvider';
import { ApiError } from '../../lib/api/http';
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, setLanguage, type Language } from '../../lib/i18n';
import { config } from '../../lib/config';
import { errorText } from '../../common/States';
import { loginError, safeNext } from './logic';

export default function LoginPage() {
  const { t } = useTranslation('login');
  const tc = useTranslation('common').t;
  const { user, login } = useAuth();
  const [params] = useSearchParams();
  const nav = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const next = safeNext(params.get('next'));

  useEffect(() => {
    document.title = `${t('title')} · AtlHyper`;
  }, [t]);

  if (user) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
      nav(next, { replace: true });
    } catch (err) {
      const kind = loginError(err);
      if (kind.key === 'generic') setError(errorText(tc, err).title + (err instanceof ApiError ? ` — ${err.message}` : ''));
      else setError(t(`error.${kind.key}`, { seconds: kind.seconds }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="flex min-h-full flex-col items-center justify-center bg-bg px-4 py-10">
      <div className="absolute top-4 right-4">
        <label className="sr-only" htmlFor="login-lang">
          {t('language')}
        </label>
        <select id="login-lang" className="input" value={currentLanguage()} onChange={(e) => void setLanguage(e.target.value as Language)} data-testid="login-language">
          {LANGUAGES.map((l) => (
            <option key={l} value={l}>
              {LANGUAGE_NAMES[l]}
            </option>
          ))}
        </select>
      </div>
      <div className="mb-6 flex items-center gap-2.5">
        <svg viewBox="0 0 32 32" className="size-9" aria-hidden>
          <rect width="32" height="32" rx="7" fill="#2563eb" />
          <path d="M16 5 6 27h4.6l2-4.8h6.8l2 4.8H26L16 5Zm-2 13.4L16 13l2 5.4h-4Z" fill="#fff" />
        </svg>
        <span className="text-2xl font-semibold tracking-tight">{config().title ?? 'AtlHyper'}</span>
      </div>
      <form onSubmit={submit} className="card w-full max-w-sm space-y-4 p-6 shadow-sm" aria-labelledby="login-title" noValidate>
        <div>
          <h1 id="login-title" className="text-lg font-semibold">
            {t('title')}
          </h1>
          <p className="mt-1 text-[13px] text-muted">{t('subtitle')}</p>
        </div>
        <label className="block">
          <span className="label">{t('username')}</span>
          <input
            className="input mt-1 h-9 w-full"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
          />
        </label>
        <label className="block">
          <span className="label">{t('password')}</span>
          <input
            className="input mt-1 h-9 w-full"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
        </label>
        {error && (
          <p role="alert" className="rounded-md border border-crit/30 bg-crit/10 px-3 py-2 text-[13px] text-crit" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary h-9 w-full" disabled={busy || !username || !password} data-testid="login-submit">
          <LogIn size={16} aria-hidden />
          {busy ? t('signingIn') : t('submit')}
        </button>
      </form>
      <p className="mt-6 max-w-sm text-center text-xs text-faint">{t('footer')}</p>
    </div>
  );
}
