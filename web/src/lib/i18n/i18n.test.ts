import { describe, expect, it } from 'vitest';
import { initialLanguage, namespaceOf } from './index';

// Every namespace must exist in all three languages with the same keys and
// the same {{placeholders}}: a missing translation fails the build's tests
// instead of showing English (or a raw key) to a Japanese user.
const all = import.meta.glob<Record<string, unknown>>('/src/**/locales/*.json', { eager: true, import: 'default' });

function flatten(o: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = String(v);
  }
  return out;
}

const byNs = new Map<string, Record<string, Record<string, string>>>();
for (const [path, json] of Object.entries(all)) {
  const nl = namespaceOf(path);
  if (!nl) throw new Error(`unexpected locale file ${path}`);
  const [ns, lang] = nl;
  if (!byNs.has(ns)) byNs.set(ns, {});
  byNs.get(ns)![lang] = flatten(json);
}

const placeholders = (s: string) => [...s.matchAll(/{{\s*(\w+)[^}]*}}/g)].map((m) => m[1]).sort();
const baseKey = (k: string) => k.replace(/_(zero|one|two|few|many|other)$/, '');

describe('locale files', () => {
  it('exist', () => expect(byNs.size).toBeGreaterThan(5));
  for (const [ns, langs] of byNs) {
    describe(ns, () => {
      it('has en, zh and ja', () => expect(Object.keys(langs).sort()).toEqual(['en', 'ja', 'zh']));
      for (const lang of ['zh', 'ja']) {
        it(`${lang} has every English key and no extra ones`, () => {
          // Plural suffixes differ by language (en: _one/_other, zh/ja: _other), so compare base keys.
          const en = new Set(Object.keys(langs.en ?? {}).map(baseKey));
          const other = new Set(Object.keys(langs[lang] ?? {}).map(baseKey));
          expect([...en].filter((k) => !other.has(k)), 'missing').toEqual([]);
          expect([...other].filter((k) => !en.has(k)), 'extra').toEqual([]);
        });
        it(`${lang} keeps the placeholders`, () => {
          for (const [k, v] of Object.entries(langs[lang] ?? {})) {
            const enV = langs.en[k] ?? langs.en[`${baseKey(k)}_other`] ?? langs.en[baseKey(k)];
            if (enV === undefined) continue;
            expect(placeholders(v), `${ns}:${k}`).toEqual(placeholders(enV));
          }
        });
        it(`${lang} values are not empty`, () => {
          for (const [k, v] of Object.entries(langs[lang] ?? {})) expect(v.trim(), `${ns}:${k}`).not.toBe('');
        });
      }
    });
  }
});

describe('initialLanguage', () => {
  it('prefers the stored choice', () => expect(initialLanguage('ja', ['zh-CN'])).toBe('ja'));
  it('falls back to the browser', () => {
    expect(initialLanguage(null, ['fr-FR', 'zh-TW', 'en'])).toBe('zh');
    expect(initialLanguage('xx', ['ja-JP'])).toBe('ja');
  });
  it('defaults to English', () => expect(initialLanguage(null, ['fr'])).toBe('en'));
});

describe('namespaceOf', () => {
  it('parses paths', () => {
    expect(namespaceOf('/src/pages/pods/locales/ja.json')).toEqual(['pods', 'ja']);
    expect(namespaceOf('/src/common/locales/en.json')).toEqual(['common', 'en']);
    expect(namespaceOf('/src/pages/pods/strings.json')).toBeNull();
  });
});
