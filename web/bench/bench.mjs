#!/usr/bin/env node
// Web benchmarks (run after `npm run build`; `scripts/bench web` calls this):
//   web.first_load_js_kb_gzip  gzip size of the JavaScript Chromium loads
//                              to show the first page (fleet overview,
//                              signed in): entry, its imports, the English
//                              strings and the page chunk.
//   web.first_load_transfer_kb what Chromium transfers (headers and bodies
//                              as sent, compressed) to show the signed-in
//                              fleet page on a first visit, from the real
//                              API server (functions/cmd/api --web dist) on
//                              a generated fleet.
//   web.pods_filter_ms_10k     typing into the pods filter with 10,000 pods
//                              loaded: median time from the input event to
//                              the next painted frame, over every keystroke.
// Serves web/dist with a small mock API (bench/mock-api.mjs) and drives
// Debian's Chromium through playwright-core.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { launch } from '../e2e/lib/browser.mjs';
import { freePort, run, start, stopAll, waitHealthy } from '../e2e/lib/procs.mjs';
import { makePods, startMock } from './mock-api.mjs';

const DIST = resolve(import.meta.dirname, '../dist');
const N = Number(process.env.BENCH_PODS ?? 10_000);
const FILTER = process.env.BENCH_FILTER ?? 'ns-07 app-1';

if (!existsSync(join(DIST, 'index.html'))) {
  console.error('bench: web/dist missing; run `npm run build` first');
  process.exit(1);
}

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;

/** JS referenced by index.html itself (entry + modulepreloads): the floor of any first load. */
function entryJs() {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return [...new Set(refs)].reduce((sum, r) => sum + gz(join(DIST, r)), 0);
}

const session = (user) => ({
  accessToken: 'bench',
  accessExpiresAt: Date.now() + 3_600_000,
  refreshToken: 'bench',
  refreshExpiresAt: Date.now() + 3_600_000,
  user,
});

/**
 * First load through the real server: builds the API, fills a file store
 * with a generated fleet (web/e2e/fleetfill.go), logs in through the API
 * and loads the fleet page in a fresh browser context (empty cache),
 * summing what every response put on the wire.
 */
async function firstLoadTransfer(browser) {
  const ROOT = resolve(import.meta.dirname, '../..');
  const work = mkdtempSync(join(tmpdir(), 'atlhyper-webbench-'));
  try {
    await run('go', ['build', '-o', join(work, 'api'), './functions/cmd/api'], { cwd: ROOT, log: join(work, 'build.log') });
    await run('go', ['run', './web/e2e/fleetfill.go', '--store', `file://${work}/lake`, '--hours', '3'], { cwd: ROOT, log: join(work, 'fill.log') });
    const port = await freePort();
    const pass = `Pw-${randomBytes(9).toString('base64url')}-2026!`;
    const proc = start(join(work, 'api'), ['--listen', `127.0.0.1:${port}`, '--store', `file://${work}/lake`, '--cache-dir', join(work, 'cache'), '--web', DIST], {
      cwd: ROOT,
      env: { ATLHYPER_JWT_SECRET: randomBytes(32).toString('hex'), ATLHYPER_ADMIN_USER: 'admin', ATLHYPER_ADMIN_PASSWORD: pass, ATLHYPER_BCRYPT_COST: '4' },
      log: join(work, 'api.log'),
    });
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(`${url}/api/v1/health`, { proc, log: join(work, 'api.log') });
    const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: pass }) });
    const t = await r.json();
    if (!r.ok) throw new Error(`login: ${r.status} ${JSON.stringify(t)}`);
    const now = Date.now();
    const sess = { accessToken: t.access_token, accessExpiresAt: now + t.expires_in * 1000, refreshToken: t.refresh_token, refreshExpiresAt: now + t.refresh_expires_in * 1000, user: t.user };
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript((s) => localStorage.setItem('atlhyper.session', JSON.stringify(s)), sess);
    const page = await ctx.newPage();
    const done = [];
    page.on('requestfinished', (req) => done.push(req));
    await page.goto(`${url}/#/fleet`);
    await page.waitForSelector('[data-testid=fleet-totals]');
    await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    await page.waitForLoadState('networkidle');
    let bytes = 0;
    let encoded = 0;
    for (const req of done) {
      const sz = await req.sizes();
      bytes += sz.responseHeadersSize + sz.responseBodySize;
      const res = await req.response();
      if (res && (await res.headerValue('content-encoding'))) encoded++;
    }
    await ctx.close();
    return { kb: bytes / 1024, requests: done.length, encoded };
  } finally {
    await stopAll(1000);
    rmSync(work, { recursive: true, force: true });
  }
}

const pods = makePods(N);
const { server, port, user } = await startMock({ dist: DIST, pods });
const base = `http://127.0.0.1:${port}`;
const browser = await launch();
let code = 0;
try {
  // 0. First load, on the wire, from the real server.
  const transfer = await firstLoadTransfer(browser);

  // 1. First load, measured from what Chromium actually fetches.
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript((s) => localStorage.setItem('atlhyper.session', JSON.stringify(s)), session(user));
  const page = await ctx.newPage();
  const js = new Set();
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('.js') && u.origin === base) js.add(u.pathname.replace(/^\//, ''));
  });
  await page.goto(`${base}/#/fleet`);
  await page.waitForSelector('[data-testid=fleet-totals]');
  await page.waitForLoadState('networkidle');
  const firstLoad = [...js].reduce((sum, f) => sum + gz(join(DIST, f)), 0);

  // 2. Filtering 10,000 pods.
  await page.goto(`${base}/#/c/bench/pods`);
  await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]', { timeout: 60_000 });
  const loaded = await page.innerText('[data-testid=row-count]');
  if (!loaded.replace(/\D/g, '').startsWith(String(N))) throw new Error(`expected ${N} pods, table says "${loaded}"`);
  await page.waitForTimeout(500);
  const times = await page.evaluate(async (text) => {
    const input = document.querySelector('[data-testid=pods-search]');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const nextPaint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    input.focus();
    const out = [];
    for (let i = 1; i <= text.length; i++) {
      await nextPaint();
      const t0 = performance.now();
      setValue.call(input, text.slice(0, i));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await nextPaint();
      out.push(performance.now() - t0);
    }
    return out;
  }, FILTER);
  // The table must show exactly what the filter means.
  const terms = FILTER.toLowerCase().split(/\s+/);
  const expected = pods.filter((p) => {
    const hay = [p.namespace, p.name, p.node, p.pod_ip, p.waiting_reason, p.phase, p.owner_kind, p.owner_name, p.containers.map((c) => c.image).join(' '), p.qos_class].join(' ').toLowerCase();
    return terms.every((t) => hay.includes(t));
  }).length;
  await page.waitForFunction((n) => (document.querySelector('[data-testid=row-count]')?.textContent ?? '').replace(/[^\d]/g, '').startsWith(String(n)), expected);
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];

  console.log(`web.first_load_transfer_kb ${transfer.kb.toFixed(1)} KB`);
  console.log(`web.first_load_js_kb_gzip ${(firstLoad / 1024).toFixed(1)} KB`);
  console.log(`# first load: ${transfer.requests} requests, ${transfer.encoded} compressed (br/gzip), headers included`);
  console.log(`web.pods_filter_ms_10k ${median.toFixed(1)} ms`);
  console.log(`# entry JS referenced by index.html: ${(entryJs() / 1024).toFixed(1)} KB gzip; first load fetched ${js.size} JS files`);
  console.log(`# filter "${FILTER}" over ${N} pods → ${expected} rows; per keystroke ms: ${times.map((x) => x.toFixed(1)).join(' ')} (p95 ${p95.toFixed(1)})`);
  await ctx.close();
} catch (e) {
  console.error(`bench: ${e?.stack ?? e}`);
  code = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
