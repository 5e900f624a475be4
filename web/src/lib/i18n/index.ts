import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';

// Strings live beside the code that shows them: every feature folder has
// locales/{en,zh,ja}.json and its folder name is the i18next namespace
// (src/pages/pods/locales/ja.json → namespace "pods"). The build groups
// each language's files into one chunk, loaded on demand.

export const LANGUAGES = ['en', 'zh', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's name in itself, for the switcher. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', zh: '中文', ja: '日本語' };

/** BCP 47 tags for Intl, so dates and numbers follow the chosen language. */
export const INTL_LOCALE: Record<Language, string> = { en: 'en', zh: 'zh-CN', ja: 'ja-JP' };

const STORAGE_KEY = 'atlhyper.lang';

type Loader = () => Promise<{ default: Record<string, unknown> }>;
const files = import.meta.glob<{ default: Record<string, unknown> }>('/src/**/locales/*.json');

/** "/src/pages/pods/locales/en.json" → ["pods", "en"]. */
export function namespaceOf(path: string): [ns: string, lang: string] | null {
  const m = /\/([^/]+)\/locales\/([a-z]{2})\.json$/.exec(path);
  return m ? [m[1], m[2]] : null;
}

function loadersFor(lang: Language): [string, Loader][] {
  const out: [string, Loader][] = [];
  for (const [path, load] of Object.entries(files)) {
    const nl = namespaceOf(path);
    if (nl && nl[1] === lang) out.push([nl[0], load]);
  }
  return out;
}

export const NAMESPACES: string[] = [...new Set(Object.keys(files).map((p) => namespaceOf(p)?.[0]).filter((x): x is string => !!x))];

async function loadLanguage(i18n: I18n, lang: Language): Promise<void> {
  await Promise.all(
    loadersFor(lang).map(async ([ns, load]) => {
      if (i18n.hasResourceBundle(lang, ns)) return;
      const mod = await load();
      i18n.addResourceBundle(lang, ns, mod.default, true, true);
    }),
  );
}

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

/** Stored choice, else the browser's preferred language, else English. */
export function initialLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  for (const p of preferred) {
    const base = p.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export async function initI18n(): Promise<I18n> {
  const lang = initialLanguage(readStored(), navigator.languages ?? [navigator.language]);
  await i18next.use(initReactI18next).init({
    lng: lang,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    ns: NAMESPACES,
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    react: { useSuspense: false },
    resources: {},
    partialBundledLanguages: true,
  });
  // English is the fallback for any missing key, so it is always loaded.
  await Promise.all([loadLanguage(i18next, 'en'), lang !== 'en' ? loadLanguage(i18next, lang) : null]);
  document.documentElement.lang = lang;
  return i18next;
}

/** Switches language, loading its strings first so nothing flashes in English. */
export async function setLanguage(lang: Language): Promise<void> {
  await loadLanguage(i18next, lang);
  await i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this tab */
  }
}

export function currentLanguage(): Language {
  const l = i18next.resolvedLanguage ?? i18next.language;
  return isLanguage(l) ? l : 'en';
}
