// The end-to-end scenarios, run against the real stack in Chromium.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setLanguage } from './lib/language.mjs';
import { assert } from './lib/runner.mjs';

export const SHOTS = join(import.meta.dirname, '../test-output/screenshots');
const VIEWPORT = { width: 1440, height: 900 };

/** A page that records console errors and uncaught exceptions. */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light', ...opts });
  // A Content-Security-Policy violation is an error like any other.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => m.type() === 'error' && page.errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => !r.url().startsWith('blob:') && r.failure()?.errorText !== 'net::ERR_ABORTED' && page.errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  page.setDefaultTimeout(20_000);
  return page;
}

/** The dashboard must come with a strict Content-Security-Policy (no inline script or style). */
export async function strictCSP(baseUrl) {
  for (const path of ['/', '/boot.js', '/config.json']) {
    const r = await fetch(baseUrl + path);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert(r.ok && csp.includes("script-src 'self';") && csp.includes("style-src-attr 'none'") && csp.includes("frame-ancestors 'none'") &&
      !csp.includes('unsafe-eval') && !/script-src[^;]*unsafe/.test(csp), `${path}: CSP ${csp}`);
    assert(r.headers.get('x-content-type-options') === 'nosniff' && r.headers.get('referrer-policy') === 'no-referrer', `${path}: headers`);
  }
}

/** Waits until the page shows data: no skeletons, nothing busy, stable for a moment. */
export async function settle(page, timeout = 25_000) {
  await page.waitForSelector('#root > *', { timeout });
  const deadline = Date.now() + timeout;
  let quietSince = 0;
  while (Date.now() < deadline) {
    const busy = await page.evaluate(() => document.querySelectorAll('.skeleton, [aria-busy="true"], .animate-spin').length);
    if (busy === 0) {
      if (!quietSince) quietSince = Date.now();
      if (Date.now() - quietSince > 400) return;
    } else quietSince = 0;
    await page.waitForTimeout(100);
  }
  throw new Error(`page did not settle within ${timeout / 1000}s: ${page.url()}`);
}

export function takeErrors(page) {
  const e = page.errors.splice(0);
  return e;
}

export async function noErrors(page, where) {
  const errs = takeErrors(page);
  assert(errs.length === 0, `${where}: ${errs.join(' | ')}`);
  const alerts = await page.locator('main [role="alert"]').allInnerTexts();
  assert(alerts.length === 0, `${where}: error state shown: ${alerts.join(' | ')}`);
}

export async function shot(page, name, opts = {}) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), ...opts });
}

export async function uiLogin(page, base, user, password) {
  await page.goto(`${base}/#/login`);
  await page.fill('[data-testid=login-username]', user);
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
  await page.waitForURL(/#\/fleet/);
  await settle(page);
}

/** Every page of the dashboard, with what must be on it once loaded. */
export function pages(c) {
  return [
    { name: 'fleet', path: '/fleet', expect: '[data-testid=fleet-totals]' },
    { name: 'cluster-overview', path: `/c/${c}`, expect: '[data-testid=health-card]' },
    { name: 'nodes', path: `/c/${c}/nodes`, expect: '[data-testid=data-table]' },
    { name: 'pods', path: `/c/${c}/pods`, expect: '[data-testid=data-table] [role=row][aria-rowindex="2"]' },
    { name: 'workloads-deployments', path: `/c/${c}/workloads`, expect: '[data-testid=data-table]' },
    { name: 'workloads-statefulsets', path: `/c/${c}/workloads?kind=statefulsets`, expect: '[data-testid=data-table]' },
    { name: 'workloads-daemonsets', path: `/c/${c}/workloads?kind=daemonsets`, expect: '[data-testid=data-table]' },
    { name: 'workloads-jobs', path: `/c/${c}/workloads?kind=jobs`, expect: '[data-testid=data-table]' },
    { name: 'workloads-cronjobs', path: `/c/${c}/workloads?kind=cronjobs`, expect: '[data-testid=data-table]' },
    { name: 'services', path: `/c/${c}/services`, expect: '[data-testid=data-table]' },
    { name: 'ingresses', path: `/c/${c}/ingresses`, expect: '[data-testid=data-table]' },
    { name: 'namespaces', path: `/c/${c}/namespaces`, expect: '[data-testid=data-table]' },
    { name: 'anomalies', path: `/c/${c}/anomalies?state=any`, expect: '[data-testid=anomaly-timeline]' },
    { name: 'events', path: `/c/${c}/anomalies?view=events`, expect: '[data-testid=data-table]' },
    { name: 'node-metrics', path: `/c/${c}/metrics`, expect: '[data-testid=panel-cpu]' },
    { name: 'time-travel', path: `/c/${c}/timetravel`, expect: '[data-testid=diff]' },
    { name: 'cluster-operations', path: `/c/${c}/operations`, expect: '[data-testid=ops-page]' },
    { name: 'sql', path: '/sql', expect: '[data-testid=sql-editor]' },
    { name: 'admin-users', path: '/admin/users', expect: '[data-testid=data-table] [role=row][aria-rowindex="2"]' },
    { name: 'admin-audit', path: '/admin/audit', expect: '[data-testid=data-table] [role=row][aria-rowindex="2"]' },
    { name: 'admin-system', path: '/admin/system', expect: '[data-testid=storage-chart] svg' },
    { name: 'operations', path: '/operations', expect: '[data-testid=ops-page]' },
    { name: 'planned-slos', path: '/slos', expect: '[data-testid=planned-slos]' },
    { name: 'planned-alerts', path: '/alerts', expect: '[data-testid=planned-alerts]' },
    { name: 'planned-settings', path: '/settings', expect: '[data-testid=planned-settings]' },
  ];
}

export async function firstCluster(page) {
  const cell = page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"] [role=cell]').first();
  return (await cell.innerText()).trim().split(/\s+/)[0];
}

export async function openEveryPage(page, base, cluster, theme) {
  for (const p of pages(cluster)) {
    await page.goto(`${base}/#${p.path}`);
    await page.waitForSelector(p.expect);
    await settle(page);
    await shot(page, `${p.name}-${theme}`);
    await noErrors(page, `${p.name} (${theme})`);
  }
}

export async function setTheme(page, theme) {
  await page.click('[data-testid=theme-menu]');
  await page.click(`[data-testid=theme-${theme}]`);
  const dark = await page.evaluate(() => document.documentElement.classList.contains('dark'));
  assert(dark === (theme === 'dark'), `theme ${theme} applied`);
}

export async function filterPods(page, base, cluster) {
  await page.goto(`${base}/#/c/${cluster}/pods`);
  await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  await settle(page);
  const count = async () => (await page.innerText('[data-testid=row-count]')).trim();
  const before = await count();
  // The first row's namespace, then a namespace filter through the URL-backed menu.
  const ns = (await page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"] [role=cell]').nth(1).innerText()).trim();
  await page.click('[data-testid=filter-namespace]');
  await page.locator('[role=listbox] [role=option]', { hasText: ns }).first().click();
  await page.keyboard.press('Escape');
  await page.waitForFunction((b) => document.querySelector('[data-testid=row-count]')?.textContent?.trim() !== b, before);
  const nsCells = await page.locator('[data-testid=data-table] [role=row] [role=cell]:nth-child(2)').allInnerTexts();
  assert(nsCells.length > 0 && nsCells.every((x) => x.trim() === ns), `every visible row is in namespace ${ns}`);
  assert(page.url().includes(`ns=${ns}`), 'namespace filter is in the URL');
  // Free text on top: a pod name prefix.
  const name = (await page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"] [role=cell]').first().innerText()).trim();
  const prefix = name.slice(0, Math.max(3, name.length - 2));
  await page.fill('[data-testid=pods-search]', prefix);
  await page.waitForFunction((p) => [...document.querySelectorAll('[data-testid=data-table] [role=row] [role=cell]:first-child')].every((c) => c.textContent.toLowerCase().includes(p.toLowerCase())), prefix);
  await page.waitForURL(/q=/);
  await shot(page, 'pods-filtered-light');
  // Phase filter: no pod is in phase "Unknown" in a healthy demo, or a few are — either way every row must match.
  await page.click('[data-testid=filter-phase]');
  await page.locator('[role=listbox] [role=option]').first().click();
  await page.keyboard.press('Escape');
  await settle(page);
  await noErrors(page, 'pods filtered');
  // Clearing restores the full list.
  await page.click('text=Clear filters');
  await page.waitForFunction((b) => document.querySelector('[data-testid=row-count]')?.textContent?.trim() === b, before);
}

export async function podDetail(page, base, cluster) {
  await page.goto(`${base}/#/c/${cluster}/pods?problems=1`);
  await page.waitForSelector('[data-testid=data-table]');
  await settle(page);
  let row = page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  if ((await row.count()) === 0) {
    await page.goto(`${base}/#/c/${cluster}/pods`);
    await settle(page);
    row = page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  }
  const name = (await row.locator('[role=cell]').first().innerText()).trim();
  await row.click();
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.waitFor();
  await settle(page);
  assert((await drawer.locator('h2').innerText()).trim() === name, 'drawer shows the clicked pod');
  assert(page.url().includes('pod='), 'the open pod is in the URL');
  await shot(page, 'pod-detail-overview-light');
  await drawer.locator('[role=tab]', { hasText: 'Containers' }).click();
  await drawer.locator('[data-testid=container-card]').first().waitFor();
  await settle(page);
  await shot(page, 'pod-detail-containers-light');
  await drawer.locator('[role=tab]', { hasText: 'Events' }).click();
  await settle(page);
  await drawer.locator('[role=tab]', { hasText: 'Changes' }).click();
  await settle(page);
  const timeline = (await drawer.locator('[data-testid=change-timeline]').count()) + (await drawer.getByText('No changes recorded').count());
  assert(timeline > 0, 'change timeline shown');
  await shot(page, 'pod-detail-timeline-light');
  await drawer.getByRole('tab', { name: 'YAML', exact: true }).click();
  await drawer.locator('[data-testid=yaml-view]').waitFor();
  await settle(page);
  await noErrors(page, 'pod detail');
  // A reload keeps the drawer open (deep link), Escape closes it.
  await page.reload();
  await drawer.waitFor();
  await settle(page);
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  assert(!page.url().includes('pod='), 'closing the drawer removes it from the URL');
}

export async function timeTravelDiff(page, base, cluster) {
  const t2 = new Date(Date.now() - 60_000);
  const t1 = new Date(t2.getTime() - 6 * 3_600_000);
  await page.goto(`${base}/#/c/${cluster}/timetravel?t1=${t1.toISOString()}&t2=${t2.toISOString()}`);
  await page.waitForSelector('[data-testid=diff-summary]');
  await settle(page);
  const summary = await page.innerText('[data-testid=diff-summary]');
  const nums = (summary.match(/\d+/g) ?? []).map(Number);
  assert(nums.length === 3, `diff summary has added/removed/changed: ${summary}`);
  assert(nums.reduce((a, b) => a + b, 0) > 0, `something changed in 6 h of simulated churn: ${summary}`);
  const items = page.locator('[data-testid=diff-items] > li');
  assert((await items.count()) > 0, 'diff items listed');
  const changed = page.locator('[data-testid=diff-items] [data-testid=field-changes]');
  if (nums[2] > 0) assert((await changed.count()) > 0, 'changed objects show field-level changes');
  await shot(page, 'time-travel-diff-light');
  // The moment board: counts at T.
  await page.waitForSelector('[data-testid=snapshot-pods]');
  const pods = await page.innerText('[data-testid=snapshot-pods]');
  assert(/\d/.test(pods), `pod count at T shown: ${pods}`);
  // Open the pods list as it was at T2 via the board.
  await page.goto(`${base}/#/c/${cluster}/pods?at=${t1.toISOString()}`);
  await page.waitForSelector('[data-testid=at-banner]');
  await settle(page);
  await shot(page, 'pods-at-moment-light');
  await noErrors(page, 'time travel');
}

export async function sqlAndCsv(page, base) {
  await page.goto(`${base}/#/sql`);
  await page.waitForSelector('.cm-content');
  await settle(page);
  await page.click('.cm-content');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText('SELECT namespace, count(*) AS pods FROM pods GROUP BY namespace ORDER BY pods DESC');
  await page.click('[data-testid=sql-run]');
  await page.waitForSelector('[data-testid=sql-stats]', { timeout: 30_000 });
  await settle(page);
  const rows = await page.locator('[data-testid=data-table] [role=row][aria-rowindex]:not([aria-rowindex="1"])').count();
  assert(rows > 0, 'query returned rows');
  const header = await page.locator('[data-testid=data-table] [role=columnheader]').allInnerTexts();
  assert(header.map((h) => h.trim()).join(',') === 'namespace,pods', `columns: ${header}`);
  await shot(page, 'sql-result-light');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=sql-csv]')]);
  const path = await download.path();
  const csv = readFileSync(path, 'utf8');
  assert(csv.split(/\r?\n/)[0].replace(/"/g, '') === 'namespace,pods', `CSV header: ${csv.split('\n')[0]}`);
  assert(csv.trim().split(/\r?\n/).length === rows + 1, `CSV has the same ${rows} rows as the grid`);
  assert(download.suggestedFilename().endsWith('.csv'), `file name ${download.suggestedFilename()}`);
  // An example from the API fills the editor.
  await page.click('[role=tab]:has-text("Examples")');
  await page.locator('[data-testid=sql-examples] button').first().click();
  await noErrors(page, 'sql');
}

export async function systemPage(page, base) {
  await page.goto(`${base}/#/admin/system`);
  await page.waitForSelector('[data-testid=storage-chart] svg');
  await settle(page);
  const storage = (await page.innerText('[data-testid=stat-storage]')).trim();
  assert(/\d/.test(storage) && /B/.test(storage), `lake storage shown: ${storage}`);
  // Every lake table is listed, and the bytes add up to the total row.
  const tables = await page.locator('[data-testid=storage-row]').count();
  assert(tables >= 10, `every lake table listed (${tables})`);
  for (const job of ['compact', 'inventory']) {
    const text = await page.innerText(`[data-testid=job-${job}]`);
    assert(text.includes('OK'), `${job} ran OK: ${text.slice(0, 200)}`);
  }
  const compact = await page.innerText('[data-testid=job-compact]');
  for (const what of ['Merged', 'Corrupt objects', 'Runs every', "Last run's store requests"]) assert(compact.includes(what), `compaction run shows ${what}`);
  // Each job ran once: a cost line, not priced until its runs span one interval.
  assert((await page.locator('[data-testid=cost-jobs] td').first().innerText()).includes('Scheduled jobs'), 'scheduled jobs are listed');
  assert((await page.innerText('[data-testid=cost-per-cluster]')).includes('Per cluster-month'), 'the cost per cluster-month is shown');
  const agents = await page.locator('[data-testid=agents] [role=row][aria-rowindex]:not([aria-rowindex="1"])').count();
  assert(agents >= 1, `agents listed (${agents})`);
  // Agents report their own store requests in heartbeats: no estimate, no gap to state.
  assert((await page.locator('[data-testid=agents-gap]').count()) === 0, 'agents report their request counts');
  const get = (await page.innerText('[data-testid=requests-get]')).trim();
  assert(/GET\s+[1-9]/.test(get), `this instance's GET requests counted: ${get}`);
  const total = (await page.innerText('[data-testid=cost-total]')).trim();
  assert(total.startsWith('$') || total.startsWith('<$'), `cost total in USD: ${total}`);
  assert((await page.locator('[data-testid=cost-storage] td').first().innerText()).includes('Lake storage'), 'storage is priced');
  assert((await page.innerText('[data-testid=cost]')).includes('Estimate'), 'the cost is labelled as an estimate');
  // The page body scrolls inside the layout: a tall viewport shows all of it at once.
  await page.setViewportSize({ width: VIEWPORT.width, height: 2600 });
  await settle(page);
  await shot(page, 'admin-system-full-light');
  await page.setViewportSize(VIEWPORT);
  await page.locator('[data-testid=cost]').scrollIntoViewIfNeeded();
  await shot(page, 'admin-system-cost-light');
  await noErrors(page, 'system page');
}

export async function languages(page, base, cluster) {
  const cases = [
    { lang: 'ja', nav: 'ノード', pods: 'Pod', title: 'フリート概要' },
    { lang: 'zh', nav: '节点', pods: 'Pod', title: '集群总览' },
  ];
  for (const c of cases) {
    await page.goto(`${base}/#/fleet`);
    await settle(page);
    await setLanguage(page, c.lang);
    await page.waitForSelector(`h1:has-text("${c.title}")`);
    assert((await page.innerText('[data-testid=nav-nodes]')).includes(c.nav), `${c.lang}: nav says ${c.nav}`);
    await shot(page, `fleet-${c.lang}-light`);
    await page.goto(`${base}/#/c/${cluster}`);
    await page.waitForSelector('[data-testid=health-card]');
    await settle(page);
    await shot(page, `cluster-overview-${c.lang}-light`);
    await page.goto(`${base}/#/c/${cluster}/pods`);
    await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    await settle(page);
    await shot(page, `pods-${c.lang}-light`);
    await page.goto(`${base}/#/admin/system`);
    await page.waitForSelector('[data-testid=storage-chart] svg');
    await settle(page);
    await shot(page, `admin-system-${c.lang}-light`);
    // Survives a reload (persisted).
    await page.reload();
    await settle(page);
    assert((await page.evaluate(() => document.documentElement.lang)) === c.lang, `${c.lang} persisted`);
    await noErrors(page, `language ${c.lang}`);
  }
  await setLanguage(page, 'en');
}

export async function viewerSeesNoAdmin(browser, base, viewer, cluster) {
  const page = await newPage(browser);
  try {
    await uiLogin(page, base, viewer.user, viewer.password);
    assert((await page.locator('[data-testid=nav-users]').count()) === 0, 'no Users link for a viewer');
    assert((await page.locator('[data-testid=nav-audit]').count()) === 0, 'no Audit link for a viewer');
    assert((await page.locator('[data-testid=nav-system]').count()) === 0, 'no System link for a viewer');
    await page.click('[data-testid=user-menu]');
    assert((await page.innerText('[data-testid=user-role]')).trim() === 'Viewer', 'menu shows the Viewer role');
    await page.keyboard.press('Escape');
    await page.goto(`${base}/#/admin/users`);
    await page.waitForSelector('[data-testid=forbidden]');
    await shot(page, 'viewer-forbidden-light');
    await page.goto(`${base}/#/admin/audit`);
    await page.waitForSelector('[data-testid=forbidden]');
    await page.goto(`${base}/#/admin/system`);
    await page.waitForSelector('[data-testid=forbidden]');
    assert((await page.locator('[data-testid=system-stats]').count()) === 0, 'a viewer sees no system figures');
    await shot(page, 'viewer-system-forbidden-light');
    // Viewers still see the cluster and may run SQL.
    await page.goto(`${base}/#/c/${cluster}`);
    await page.waitForSelector('[data-testid=health-card]');
    await settle(page);
    await page.goto(`${base}/#/sql`);
    await page.waitForSelector('.cm-content');
    await settle(page);
    await noErrors(page, 'viewer');
  } finally {
    await page.context().close();
  }
}

export async function logout(page, base) {
  await page.goto(`${base}/#/fleet`);
  await settle(page);
  await page.click('[data-testid=user-menu]');
  await page.click('[data-testid=logout]');
  await page.waitForURL(/#\/login/);
  await page.waitForSelector('[data-testid=login-submit]');
  assert((await page.evaluate(() => localStorage.getItem('atlhyper.session'))) === null, 'session forgotten');
  await page.goto(`${base}/#/c/x/pods`);
  await page.waitForURL(/#\/login\?next=/);
  await shot(page, 'login-light');
  await noErrors(page, 'logout');
}
