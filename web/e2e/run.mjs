#!/usr/bin/env node
// End-to-end tests of the dashboard against the real local stack:
// builds the web and the API, fills a file:// store with the simulated
// fleet, starts the API (serving web/dist) on a free 127.0.0.1 port, drives
// Debian's Chromium through the scenarios, saves a screenshot of every page
// (light and dark) under web/test-output/screenshots/, and stops
// everything it started.
//
//   npm run e2e                      # everything
//   E2E_SKIP_BUILD=1 npm run e2e     # reuse web/dist
//   E2E_BASE_URL=http://127.0.0.1:8080 E2E_ADMIN_PASSWORD=… npm run e2e   # an already running stack
import { rmSync } from 'node:fs';
import { launch } from './lib/browser.mjs';
import { stopAll } from './lib/procs.mjs';
import { Runner } from './lib/runner.mjs';
import { startStack } from './lib/stack.mjs';
import * as s from './scenarios.mjs';
import * as k from './kinds.mjs';
import * as sig from './signal.mjs';
import * as ops from './ops.mjs';
import * as real from './realops.mjs';

const r = new Runner();
let browser;
let stack;
let failed = 1;
try {
  rmSync(s.SHOTS, { recursive: true, force: true });
  stack = await startStack();
  console.log(`e2e: stack at ${stack.baseUrl}${stack.source ? ` (data: ${stack.source})` : ''}`);
  browser = await launch();
  const page = await s.newPage(browser);
  let cluster = '';

  console.log('e2e: scenarios');
  await r.step('the dashboard is served with a strict Content-Security-Policy', () => s.strictCSP(stack.baseUrl));
  await r.step('log in as admin', async () => {
    await page.goto(`${stack.baseUrl}/#/login`);
    await page.waitForSelector('[data-testid=login-submit]');
    await s.shot(page, 'login-form-light');
    await s.uiLogin(page, stack.baseUrl, stack.admin.user, stack.admin.password);
    await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    cluster = await s.firstCluster(page);
    if (!cluster) throw new Error('no cluster in the fleet table');
  });
  await r.step('open every page without console errors (light theme)', () => s.openEveryPage(page, stack.baseUrl, cluster, 'light'));
  await r.step('switch to the dark theme and open every page again', async () => {
    await s.setTheme(page, 'dark');
    await s.openEveryPage(page, stack.baseUrl, cluster, 'dark');
    await s.setTheme(page, 'light');
  });
  await r.step('filter pods by namespace, text and phase', () => s.filterPods(page, stack.baseUrl, cluster));
  await r.step("open a pod's detail (containers, events, change timeline)", () => s.podDetail(page, stack.baseUrl, cluster));
  await r.step('time travel: state at a moment and diff of two moments', () => s.timeTravelDiff(page, stack.baseUrl, cluster));
  await r.step('run a SQL query and download CSV', () => s.sqlAndCsv(page, stack.baseUrl));
  await r.step('system page: storage, scheduled jobs, agents, requests, cost', () => s.systemPage(page, stack.baseUrl));
  await r.step('switch to Japanese and Chinese', () => s.languages(page, stack.baseUrl, cluster));
  await r.step("every kind's list, detail and YAML in English, Chinese and Japanese, one object's values equal to the API's", () => k.kindsWalk(page, stack, cluster));
  await r.step("a Deployment's YAML diff across its last change, from its drawer and from time travel", () => k.yamlDiff(page, stack, cluster));
  await r.step('a viewer sees no admin pages', () => s.viewerSeesNoAdmin(browser, stack.baseUrl, stack.viewer, cluster));
  if (stack.live) {
    await r.step('signal 1: a quiet cluster shows Healthy; every other status says why, translated', () => sig.quietClusterHealthy(page, stack));
  }
  await r.step('signal 2: the Service drawer has the endpoint counts of its row', () => sig.serviceDrawer(page, stack, cluster));
  await r.step('signal 3: summary cards count not-ready and crash-looping pods, workloads below desired', () => sig.summaryCards(page, stack));
  if (stack.live) {
    await r.step('signal 4: lists say how old they are; a visible cluster is watched and refreshed every 5 s, unchanged refreshes are 304s', () => sig.freshness(page, stack, cluster));
  }
  await r.step('signal 5: anomalies show open / condition cleared / resolved', () => sig.anomalyStatuses(page, stack));
  await r.step('signal 6: whole badges, whole-number ticks, plurals, no data before T, server text translated', () => sig.smallOnes(page, stack, cluster));
  await r.step('ops 1: an action from a drawer with a reason; the state the API reports; cancelled before any agent claims it', () => ops.drawerAction(page, stack, cluster));
  await r.step('ops 2: the Operations page and the kubectl command box', () => ops.operationsPage(page, stack, cluster));
  if (stack.live) {
    await r.step('ops 4: the full round-trip on the live cluster: pod logs and a scale from drawers reach succeeded, output and changes shown', () => ops.roundTrip(page, stack));
  }
  await r.step('ops 3: a viewer is offered no action', () => ops.viewerNoActions(browser, stack, cluster));
  if (stack.real) {
    // The whole real path: dashboard → API → MinIO → the agent binary → a
    // real control plane (web/e2e/realops.mjs). One page, logged in once.
    let rp;
    const onReal = (fn) => async () => {
      rp ??= await real.realPage(browser, stack);
      await fn(rp);
    };
    await r.step('ops real 1: pod delete; the pod is replaced in the cluster', onReal(real.podDelete));
    await r.step('ops real 2: logs equal to the cluster\'s, searchable', onReal(real.logs));
    await r.step('ops real 3: live YAML with the current image, env values redacted', onReal(real.yaml));
    await r.step('ops real 4: events of a Deployment as the cluster has them', onReal(real.events));
    await r.step('ops real 5: rollout restart makes a ReplicaSet, undo goes back, pause and resume', onReal(real.rollouts));
    await r.step('ops real 6: scale makes pods', onReal(real.scale));
    await r.step('ops real 7: set image rolls out the new image', onReal(real.setImage));
    await r.step('ops real 8: CronJob trigger makes a Job, suspend, the Job deleted', onReal(real.cronjobs));
    await r.step('ops real 9: cordon/uncordon; a drain held by a budget shows why and is stopped; a drain completes', onReal(real.nodes));
  }
  await r.step('log out', () => s.logout(page, stack.baseUrl));
  failed = r.summary();
  if (stack.logs) console.log(`e2e: logs in ${stack.logs}`);
  console.log(`e2e: screenshots in ${s.SHOTS}`);
} catch (e) {
  console.error(`e2e: setup failed: ${e?.stack ?? e}`);
  r.summary();
  failed = 1;
} finally {
  await browser?.close().catch(() => {});
  await stopAll();
  // Keep the logs; drop the lake, cache and binaries (E2E_KEEP=1 keeps everything).
  if (stack?.work && process.env.E2E_KEEP !== '1') {
    for (const d of ['lake', 'cache', 'cache-real', 'real', 'api', 'sim', 'scheduler', 'agent', 'realcluster']) rmSync(`${stack.work}/${d}`, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
