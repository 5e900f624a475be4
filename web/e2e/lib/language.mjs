// The dashboard's language, chosen as a user does: the top bar's language
// menu. Steps run in one page one after another, so a step that asserts
// text in a language sets it itself rather than trusting the step before.

/** Each language's name in itself, as the menu button shows it (src/lib/i18n LANGUAGE_NAMES). */
const NAMES = { en: 'English', zh: '中文', ja: '日本語' };

/**
 * Picks `lang` (en, zh, ja) in the language menu of the page shown, and
 * waits until the page is rendered in it (the menu button names it); a
 * no-op when it is already chosen.
 */
export async function setLanguage(page, lang) {
  const shown = (l) => page.waitForFunction(([code, name]) => document.documentElement.lang === code && document.querySelector('[data-testid=language-menu]')?.textContent?.includes(name), [l, NAMES[l]]);
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) {
    await page.click('[data-testid=language-menu]');
    await page.click(`[data-testid=lang-${lang}]`);
  }
  await shown(lang);
}
