// Scenarios of "a signal you can page on" (issue 12), run against the real
// stack: the simulated fleet's history (agents stopped 15 minutes ago) plus
// one live, idle cluster whose real agent keeps running during the run
// (stack.mjs: `live-1`). Ground truth comes from the API itself.
import { setLanguage } from './lib/language.mjs';
import { assert } from './lib/runner.mjs';
import { until } from './lib/wait.mjs';
import { api, login } from './lib/stack.mjs';
import { settle, shot, takeErrors } from './scenarios.mjs';

async function get(stack, path) {
  const token = await login(stack.baseUrl, stack.admin.user, stack.admin.password);
  const r = await api(stack.baseUrl, 'GET', path, token);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
  return r.json;
}

function clean(page, where) {
  const errs = takeErrors(page);
  assert(errs.length === 0, `${where}: ${errs.join(' | ')}`);
}

/**
 * 1. A quiet cluster is not Degraded: the live cluster is idle and healthy,
 * its lists' data is older than its fresh heartbeat (the agent has nothing
 * new to store), and the fleet and cluster pages show Healthy with an
 * online agent. Offline clusters say why, in the user's language.
 */
export async function quietClusterHealthy(page, stack) {
  const live = stack.live;
  assert(live, 'the stack runs a live cluster');
  const info = await until(`${live} online with a heartbeat`, async () => {
    const f = await get(stack, '/api/v1/fleet/overview');
    const c = f.clusters.find((x) => x.id === live);
    return c && c.status === 'online' && c.synced && c.summary ? c : null;
  }, 120_000);
  // The state the lists show is older than the heartbeat: quiet, not stale.
  if (info.data_as_of) assert(Date.parse(info.data_as_of) <= Date.parse(info.last_heartbeat), `data ${info.data_as_of} vs heartbeat ${info.last_heartbeat}`);
  assert(info.health.status === 'healthy', `the API calls the idle cluster ${info.health.status}: ${JSON.stringify(info.health.reasons)}`);
  const totals = (await get(stack, '/api/v1/fleet/overview')).totals;
  assert(totals.online + totals.offline === totals.clusters, `online ${totals.online} + offline ${totals.offline} = ${totals.clusters} clusters`);
  await page.goto(`${stack.baseUrl}/#/fleet`);
  await setLanguage(page, 'en');
  const row = page.locator(`[data-testid="health-${live}"]`);
  await row.waitFor();
  await settle(page);
  assert((await row.getAttribute('data-status')) === 'healthy', `fleet row of ${live}: ${await row.getAttribute('data-status')}`);
  assert((await row.innerText()).includes('Healthy'), `fleet row says Healthy: ${await row.innerText()}`);
  // Every non-healthy row says why, translated from its code.
  const others = await page.locator('[data-testid^="health-"][data-status]').all();
  for (const o of others) {
    const status = await o.getAttribute('data-status');
    if (status === 'healthy') continue;
    const why = (await o.locator('[data-testid=health-reason]').innerText()).trim();
    assert(why.length > 0, `a ${status} cluster says why`);
  }
  await shot(page, 'signal-fleet-quiet-healthy');
  await page.goto(`${stack.baseUrl}/#/c/${live}`);
  const card = page.locator('[data-testid=cluster-health]');
  await card.waitFor();
  await settle(page);
  assert((await card.getAttribute('data-status')) === 'healthy' && (await card.getAttribute('data-liveness')) === 'online', `cluster page: ${await card.getAttribute('data-status')}/${await card.getAttribute('data-liveness')}`);
  assert((await card.innerText()).includes('Agent online'), 'the agent is online');
  // An offline cluster's reason in Japanese and Chinese, by code.
  const f = await get(stack, '/api/v1/fleet/overview');
  const off = f.clusters.find((c) => c.status === 'offline' && c.health.reasons.length > 0);
  if (off) {
    for (const [lang, re] of [['ja', /[\u3040-\u30ff\u4e00-\u9fff]/], ['zh', /[\u4e00-\u9fff]/]]) {
      await page.goto(`${stack.baseUrl}/#/c/${off.id}`);
      await setLanguage(page, lang);
      await page.locator('[data-testid=health-reason]').first().waitFor();
      await settle(page);
      for (const text of await page.locator('[data-testid=health-reason]').allInnerTexts()) {
        assert(re.test(text) && !off.health.reasons.some((r) => text.includes(r.message)), `${lang}: reason translated: ${text}`);
      }
      await shot(page, `signal-offline-reasons-${lang}`);
    }
    await setLanguage(page, 'en');
  }
  clean(page, 'quiet cluster');
}

/** 2. The Service drawer says what the list row says about endpoints. */
export async function serviceDrawer(page, stack, cluster) {
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/services`);
  await setLanguage(page, 'en');
  await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  await settle(page);
  // A row with ready endpoints ("3/3").
  const rows = page.locator('[data-testid=data-table] [role=row][aria-rowindex]:not([aria-rowindex="1"])');
  let target = null;
  for (const r of await rows.all()) {
    const cells = await r.locator('[role=cell]').allInnerTexts();
    const ep = cells.find((c) => /^\d+\/\d+$/.test(c.trim()));
    if (ep && Number(ep.split('/')[0]) > 0) {
      target = { row: r, ep: ep.trim(), name: cells[0].trim() };
      break;
    }
  }
  assert(target, 'a service with ready endpoints is listed');
  await target.row.click();
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.waitFor();
  const ep = drawer.locator('[data-testid=service-endpoints]');
  await ep.waitFor();
  await settle(page);
  const text = await ep.innerText();
  const [ready] = target.ep.split('/');
  assert(!/fails/.test(text) && text.includes(ready), `drawer of ${target.name} (${target.ep}): ${text}`);
  await shot(page, 'signal-service-drawer');
  await page.keyboard.press('Escape');
  clean(page, 'service drawer');
}

/** 3. Summary cards count trouble now, as the API's summary counts it. */
export async function summaryCards(page, stack) {
  const f = await get(stack, '/api/v1/fleet/overview');
  const withSummary = f.clusters.filter((c) => c.summary?.pods);
  assert(withSummary.length > 0, 'clusters have summaries');
  // The most troubled cluster, so the cards have something to show.
  const c = withSummary.sort((a, b) => (b.summary.pods.crash_looping ?? 0) + (b.summary.pods.not_ready ?? 0) - (a.summary.pods.crash_looping ?? 0) - (a.summary.pods.not_ready ?? 0))[0];
  const p = c.summary.pods;
  await page.goto(`${stack.baseUrl}/#/c/${c.id}`);
  await setLanguage(page, 'en');
  const card = page.locator('[data-testid=stat-pods]');
  await card.waitFor();
  await settle(page);
  const text = (await card.innerText()).replace(/,/g, '');
  assert(text.includes(`${p.not_ready ?? 0} not ready`) && text.includes(`${p.crash_looping ?? 0} crash-looping`), `pods card of ${c.id} (${JSON.stringify(p)}): ${text}`);
  // …and on screen, not clamped away by the card's two-line limit.
  const shown = await card.evaluate((el) => {
    const line = [...el.querySelectorAll('span.block')].find((s) => /not ready/.test(s.textContent ?? ''));
    const box = line?.parentElement?.getBoundingClientRect();
    return !!line && !!box && line.getBoundingClientRect().bottom <= box.bottom + 1;
  });
  assert(shown, 'the not-ready / crash-looping line is visible on the card');
  const w = c.summary.workloads ?? {};
  const wtext = await page.innerText('[data-testid=stat-workloads]');
  if ((w.below_desired ?? 0) > 0) assert(wtext.includes(`${w.below_desired} below desired`), `workloads card: ${wtext}`);
  await shot(page, 'signal-summary-cards');
  // The fleet's pods card sums them.
  await page.goto(`${stack.baseUrl}/#/fleet`);
  await page.waitForSelector('[data-testid=stat-pods]');
  await settle(page);
  const sum = (k) => f.clusters.reduce((a, x) => a + (x.summary?.pods?.[k] ?? 0), 0);
  const ftext = (await page.innerText('[data-testid=stat-pods]')).replace(/,/g, '');
  assert(ftext.includes(`${sum('not_ready')} not ready`) && ftext.includes(`${sum('crash_looping')} crash-looping`), `fleet pods card: ${ftext}`);
  clean(page, 'summary cards');
}

/**
 * 4. Every list says how old its data is, on the server's clock; a
 * visible cluster page renews its watch lease (a hidden one does not), and
 * while watched the lists refresh every ~5 s, unchanged ones as 304s; the
 * overview and the lists then show the same moment.
 */
export async function freshness(page, stack, cluster) {
  const live = stack.live;
  const watches = [];
  const lists = [];
  const onReq = (r) => {
    const u = new URL(r.url());
    if (r.method() === 'POST' && u.pathname === `/api/v1/clusters/${live}/watch`) watches.push(Date.now());
  };
  const onRes = (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('/pods') && r.request().method() === 'GET') lists.push({ cluster: u.pathname.split('/')[4], status: r.status(), at: Date.now() });
  };
  page.on('request', onReq);
  page.on('response', onRes);
  try {
    // A quiet, unwatched page: the offline cluster's pods; its refreshes are 304s.
    await page.goto(`${stack.baseUrl}/#/c/${cluster}/pods`);
    await setLanguage(page, 'en');
    await page.waitForSelector('[data-testid=data-age]');
    await settle(page);
    const age = await page.innerText('[data-testid=data-age]');
    assert(/^As of \d{1,2}:\d{2}:\d{2}( [AP]M)?, .+ behind$/.test(age.trim()), `data age: ${age}`);
    await page.click('[aria-label="Refresh now"]');
    await until('a 304 for an unchanged refresh', async () => lists.some((l) => l.cluster === cluster && l.status === 304), 20_000, 200);

    // The live cluster: a watch lease at once, lists refreshed every ~5 s.
    await page.goto(`${stack.baseUrl}/#/c/${live}/pods`);
    await until('a watch lease renewal', async () => watches.length >= 1, 15_000, 200);
    const t0 = Date.now();
    await until('two list refreshes within 15 s', async () => lists.filter((l) => l.cluster === live && l.at > t0).length >= 2, 20_000, 250);
    // A drawer open on the watched page keeps the user's focus through the refreshes.
    await page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]').click();
    const drawer = page.locator('[data-testid=drawer]');
    await drawer.getByRole('tab', { name: 'YAML', exact: true }).click();
    const t1 = Date.now();
    await until('two list refreshes with the drawer open', async () => lists.filter((l) => l.cluster === live && l.at > t1).length >= 2, 20_000, 250);
    const focused = await page.evaluate(() => `${document.activeElement?.getAttribute('role')}:${document.activeElement?.textContent?.trim()}`);
    assert(focused === 'tab:YAML', `focus after refreshes with the drawer open: ${focused}`);
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    // Once the agent publishes its tail, the list is seconds behind the cluster.
    await until('the pods list within 20 s of the cluster', async () => {
      const b = await page.getAttribute('[data-testid=data-age]', 'data-behind-seconds').catch(() => null);
      return b !== null && Number(b) <= 20;
    }, 90_000);
    const listAsOf = Date.parse(await page.getAttribute('[data-testid=data-age]', 'data-as-of'));
    await shot(page, 'signal-live-pods-fresh');
    // The overview shows the same moment (within the tail's cadence).
    await page.goto(`${stack.baseUrl}/#/c/${live}`);
    await page.waitForSelector('[data-testid=data-age]');
    await settle(page);
    const ovAsOf = Date.parse(await page.getAttribute('[data-testid=data-age]', 'data-as-of'));
    assert(Math.abs(ovAsOf - listAsOf) <= 30_000, `overview as of ${new Date(ovAsOf).toISOString()}, list as of ${new Date(listAsOf).toISOString()}`);

    // Hidden: no renewal; visible again: renewed at once.
    const before = watches.length;
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const hiddenAt = watches.length;
    assert(hiddenAt === before, 'hiding the tab renews nothing');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await until('a renewal when the tab is shown again', async () => watches.length === before + 1, 10_000, 200);
    // Leaving the cluster stops the 5 s cadence: the fleet page is not watched.
    clean(page, 'freshness');
  } finally {
    page.off('request', onReq);
    page.off('response', onRes);
  }
}

/** 5. Anomalies show open / condition cleared (resolves at T) / resolved, as the API serves them. */
export async function anomalyStatuses(page, stack) {
  const f = await get(stack, '/api/v1/fleet/overview');
  let pick = null;
  for (const c of f.clusters) {
    const o = await get(stack, `/api/v1/clusters/${c.id}/overview`);
    if (o.open_anomalies.length && (!pick || o.open_anomalies.some((a) => a.status === 'cleared'))) pick = { c: c.id, o };
  }
  assert(pick, 'some cluster has open anomalies');
  const { c, o } = pick;
  await page.goto(`${stack.baseUrl}/#/c/${c}`);
  await setLanguage(page, 'en');
  await page.waitForSelector('[data-testid=recent-anomalies] [data-testid=anomaly-status]');
  await settle(page);
  const shown = await page.locator('[data-testid=recent-anomalies] [data-testid=anomaly-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  const want = o.open_anomalies.slice(0, shown.length).map((a) => a.status || 'open');
  assert(JSON.stringify(shown) === JSON.stringify(want), `overview statuses ${shown} vs API ${want}`);
  await shot(page, 'signal-overview-anomaly-status');
  // The list and the drawer.
  // The table draws only the rows in view, so each status is looked up
  // through the list's search: one anomaly of each status the API has,
  // searched by its name, shows that status on its row.
  const list = await get(stack, `/api/v1/clusters/${c}/anomalies?state=any&from=-24h&limit=1000`);
  const statusOf = (a) => a.status ?? (a.state === 'resolved' ? 'resolved' : 'open');
  for (const s of ['open', 'cleared', 'resolved']) {
    const a = list.items.find((x) => statusOf(x) === s);
    if (!a) continue;
    const same = list.items.filter((x) => x.name === a.name).map(statusOf);
    await page.goto(`${stack.baseUrl}/#/c/${c}/anomalies?state=any&q=${encodeURIComponent(a.name)}`);
    await page.waitForSelector('[data-testid=data-table] [data-testid=anomaly-status]');
    await settle(page);
    const chips = await page.locator('[data-testid=data-table] [data-testid=anomaly-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    assert(chips.includes(s), `the list shows ${a.name} as ${s} (API: ${same}; page: ${chips})`);
  }
  const cleared = list.items.find((a) => a.status === 'cleared');
  const target = cleared ?? list.items.find((a) => a.status === 'open') ?? list.items[0];
  await page.goto(`${stack.baseUrl}/#/c/${c}/anomalies?state=any&a=${encodeURIComponent(target.fingerprint)}`);
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.locator('[data-testid=anomaly-status]').waitFor();
  await settle(page);
  const ds = await drawer.locator('[data-testid=anomaly-status]').getAttribute('data-status');
  assert(ds === (target.status ?? 'open'), `drawer status ${ds}, API ${target.status}`);
  if (cleared) assert(/Condition cleared/.test(await drawer.innerText()) && /Resolves at .* unless it recurs/.test(await drawer.innerText()), 'a cleared anomaly says when it resolves');
  await shot(page, 'signal-anomaly-drawer-status');
  clean(page, 'anomaly statuses');
}

/**
 * 6. The small ones: badges whole, whole-number ticks on count charts,
 * plurals, "no data before T", server text translated.
 */
export async function smallOnes(page, stack, cluster) {
  // Status badges are never cut short.
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/pods`);
  await setLanguage(page, 'en');
  await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  await settle(page);
  const cut = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=data-table] [role=cell] span[title]')]
      .filter((e) => e.className.includes('rounded-full') && e.scrollWidth > e.clientWidth + 1)
      .map((e) => e.textContent),
  );
  assert(cut.length === 0, `badges cut short: ${cut.slice(0, 5).join(', ')}`);
  // Count charts: no repeated tick labels. Small counts are where a
  // decimal axis shows "0, 1, 1, 2, 2": pick a severity and range whose
  // busiest bucket has 1 to 4 active anomalies.
  let view = 'range=6h';
  search: for (const range of ['1h', '6h', '24h']) {
    for (const sev of ['critical', 'warning', 'info']) {
      const tr = await get(stack, `/api/v1/clusters/${cluster}/anomalies/trend?from=-${range}&severity=${sev}`);
      const top = Math.max(0, ...tr.buckets.map((b) => b.active ?? 0));
      if (top >= 1 && top <= 4) {
        view = `range=${range}&severity=${sev}`;
        break search;
      }
    }
  }
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/anomalies?state=any&${view}`);
  await page.waitForSelector('[data-testid=anomaly-timeline] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value', { state: 'attached' });
  await settle(page);
  const ticks = await page.locator('[data-testid=anomaly-timeline] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  assert(ticks.length > 1 && new Set(ticks).size === ticks.length, `y ticks (${view}): ${ticks}`);
  // "1 row", not "1 rows".
  await page.goto(`${stack.baseUrl}/#/sql`);
  await page.waitForSelector('.cm-content');
  await settle(page);
  await page.click('.cm-content');
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText('SELECT 1 AS one');
  await page.click('[data-testid=sql-run]');
  await page.waitForSelector('[data-testid=sql-stats]', { timeout: 30_000 });
  const stats = await page.innerText('[data-testid=sql-stats]');
  assert(/^1 row in/.test(stats.trim()), `SQL stats: ${stats}`);
  // SQL table descriptions in Chinese.
  await setLanguage(page, 'zh');
  await page.waitForSelector('[data-testid=sql-table-pods]');
  const doc = await page.getAttribute('[data-testid=sql-table-pods]', 'title');
  assert(/[\u4e00-\u9fff]/.test(doc ?? ''), `pods table description in Chinese: ${doc}`);
  await setLanguage(page, 'en');
  // Before history began: "no data before T".
  const first = new Date(Date.now() - 20 * 86_400_000).toISOString();
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/pods?at=${encodeURIComponent(first)}`);
  const nd = page.locator('[data-testid=no-data-before]');
  await nd.waitFor();
  await settle(page);
  assert(/^No data before /.test((await nd.innerText()).trim()), `no data before: ${await nd.innerText()}`);
  await shot(page, 'signal-no-data-before');
  clean(page, 'small ones');
}
