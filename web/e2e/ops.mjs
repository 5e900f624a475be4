// Remote operations (issue 15) in the dashboard against the real stack:
// an action submitted from an object's drawer with a reason, its state as
// the API reports it, cancelled before any agent claims it; the cluster's
// Operations page and its kubectl command box; a viewer offered nothing.
// Ground truth is the API: every state the screen shows is compared with
// GET /clusters/{c}/commands/{id}.
import { assert } from './lib/runner.mjs';
import { until } from './lib/wait.mjs';
import { api, login } from './lib/stack.mjs';
import { newPage, noErrors, settle, shot, takeErrors, uiLogin } from './scenarios.mjs';

async function adminGet(stack, path) {
  const token = await login(stack.baseUrl, stack.admin.user, stack.admin.password);
  const r = await api(stack.baseUrl, 'GET', path, token);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** The newest command of the cluster matching pred, from the API's list. */
async function newestCommand(stack, cluster, pred) {
  const list = await adminGet(stack, `/api/v1/clusters/${cluster}/commands?limit=20`);
  return list.items.find(pred);
}

/** Waits until the dialog's (or drawer's) state chip shows state. */
async function waitState(scope, state) {
  await scope.locator(`[data-testid=command-state][data-state="${state}"]`).waitFor({ timeout: 30_000 });
}

/** The state chip's current state. */
async function shownState(scope) {
  return scope.locator('[data-testid=command-state]').first().getAttribute('data-state');
}

/**
 * From a pod's drawer: Logs with 50 lines and a reason; the dialog shows
 * the target and parameters before anything is sent, refuses to send
 * without a reason, then follows the command's state as the API reports
 * it; cancelling it before an agent claims it ends it cancelled, on the
 * screen and in the API.
 */
export async function drawerAction(page, stack, cluster) {
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/pods`);
  await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  await settle(page);
  const row = page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]');
  const name = (await row.locator('[role=cell]').first().innerText()).trim();
  await row.click();
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.waitFor();
  await drawer.locator('[data-testid=action-bar]').waitFor();
  await settle(page);
  await shot(page, 'ops-drawer-actions-light');
  await drawer.locator('[data-testid="action-pod.logs"]').click();
  const dialog = page.locator('[data-testid=dialog]');
  await dialog.waitFor();
  const target = (await dialog.locator('[data-testid=command-target]').innerText()).trim();
  assert(target.startsWith('Pod ') && target.endsWith(`/${name}`), `the dialog names the pod: ${target}`);
  assert(await dialog.locator('[data-testid=command-submit]').isDisabled(), 'no submit without a reason');
  await dialog.locator('[data-testid=param-tail_lines]').fill('50');
  assert((await dialog.locator('[data-testid=command-params]').innerText()).trim() === '{"tail_lines":50}', 'the preview shows the parameters');
  const reason = `e2e: why does ${name} restart`;
  await dialog.locator('[data-testid=command-reason]').fill(reason);
  await shot(page, 'ops-confirm-light');
  await dialog.locator('[data-testid=command-submit]').click();
  await dialog.locator('[data-testid=command-status]').waitFor();
  await settle(page);

  // What the API says about it.
  const c = await newestCommand(stack, cluster, (x) => x.action === 'pod.logs' && x.target.name === name && x.requested_by === stack.admin.user);
  assert(c, 'the API lists the command');
  const detail = await adminGet(stack, `/api/v1/clusters/${cluster}/commands/${c.id}`);
  assert(detail.reason === reason && detail.params?.tail_lines === 50 && detail.signature === 'valid', `the API has the reason, params and a valid signature: ${JSON.stringify(detail)}`);
  const shown = await shownState(dialog);
  assert(['pending', 'running', 'succeeded', 'failed', 'refused'].includes(shown), `state shown: ${shown}`);
  await shot(page, 'ops-status-light');

  if (detail.state === 'pending') {
    // No agent has claimed it (until agent/ops executes commands, none
    // will): the API says pending, the screen says pending; cancel it.
    await waitState(dialog, 'pending');
    await dialog.locator('[data-testid=command-cancel]').click();
    await waitState(dialog, 'cancelled');
    const after = await adminGet(stack, `/api/v1/clusters/${cluster}/commands/${c.id}`);
    assert(after.state === 'cancelled' && !after.can_cancel, `the API says cancelled: ${after.state}`);
  }
  // This cluster has no executing agent (backfilled history); the full
  // round-trip runs on the live cluster: roundTrip below.
  await dialog.locator('[data-testid=command-close]').click();
  await dialog.waitFor({ state: 'detached' });
  await noErrors(page, 'drawer action');

  // The audit log has the submit with who and why (a new audit object
  // shows once the API lists the partition again: up to 15 s).
  await until('the submit in the audit log', async () => {
    const audit = await adminGet(stack, '/api/v1/audit?action=command.submit&limit=100');
    return audit.items.some((r) => (r.params ?? '').includes(c.id) && r.actor === stack.admin.user && r.params.includes(reason));
  });
}

/**
 * The full round-trip on the live cluster, whose simulated agent executes
 * commands (agent/sim's operations): pod logs from a pod's drawer reach
 * succeeded, the log viewer shows the lines the API's output has and its
 * search filters them; a Deployment scaled from its drawer reaches
 * succeeded with the change the API reports, and the Deployment's row
 * shows the new replica count once the agent's state says so.
 */
export async function roundTrip(page, stack) {
  const cluster = stack.live;
  const submit = async (kind, path, action, fill) => {
    await page.goto(`${stack.baseUrl}/#/c/${cluster}/${path}`);
    await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    await settle(page);
    const row = page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    const name = (await row.locator('[role=cell]').first().innerText()).trim();
    await row.click();
    const drawer = page.locator('[data-testid=drawer]');
    await drawer.locator('[data-testid=action-bar]').waitFor();
    await drawer.locator(`[data-testid="action-${action}"]`).click();
    const dialog = page.locator('[data-testid=dialog]');
    await dialog.waitFor();
    await fill(dialog, name);
    await dialog.locator('[data-testid=command-reason]').fill(`e2e: round-trip ${action}`);
    await dialog.locator('[data-testid=command-submit]').click();
    await dialog.locator('[data-testid=command-status]').waitFor();
    await waitState(dialog, 'succeeded');
    const c = await newestCommand(stack, cluster, (x) => x.action === action && x.target.name === name && x.target.kind === kind);
    assert(c, `the API lists the ${action} of ${name}`);
    const done = await adminGet(stack, `/api/v1/clusters/${cluster}/commands/${c.id}`);
    assert(done.state === 'succeeded', `the API says ${action} succeeded: ${JSON.stringify(done)}`);
    return { name, dialog, done };
  };

  // Pod logs: the output the API has, in the viewer, searchable.
  const logs = await submit('Pod', 'pods', 'pod.logs', (d) => d.locator('[data-testid=param-tail_lines]').fill('20'));
  assert(logs.done.output_bytes > 0, `logs have output: ${JSON.stringify(logs.done)}`);
  const token = await login(stack.baseUrl, stack.admin.user, stack.admin.password);
  const out = await fetch(`${stack.baseUrl}/api/v1/clusters/${cluster}/commands/${logs.done.id}/output`, { headers: { Authorization: `Bearer ${token}` } });
  assert(out.status === 200, `output: HTTP ${out.status}`);
  const text = (await out.text()).trimEnd();
  const viewer = logs.dialog.locator('[data-testid=command-output]');
  await viewer.waitFor();
  const shown = (await viewer.innerText()).trimEnd();
  assert(shown === text && text.split('\n').length === 20, `the viewer shows the API's 20 lines (${shown.split('\n').length} shown)`);
  await logs.dialog.locator('[data-testid=output-search]').fill('listening');
  await until('the search filters the lines', async () => {
    const lines = (await viewer.innerText()).trimEnd().split('\n');
    return lines.length < 20 && lines.every((l) => l.includes('listening'));
  }, 10_000, 200).catch(async () => {
    // The 20 newest lines may not include the start: then nothing matches.
    assert(!text.includes('listening'), 'search left lines that do not match');
  });
  await shot(page, 'ops-roundtrip-logs-light');
  await logs.dialog.locator('[data-testid=command-close]').click();
  await logs.dialog.waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=drawer]').waitFor({ state: 'detached' });

  // Scale a Deployment: the change as the API reports it, on the screen.
  let replicas;
  const deployment = async (name) => (await adminGet(stack, `/api/v1/clusters/${cluster}/deployments?limit=500`)).items.find((x) => x.name === name);
  const scale = await submit('Deployment', 'workloads', 'workload.scale', async (d, name) => {
    replicas = (await deployment(name)).desired + 1;
    await d.locator('[data-testid=param-replicas]').fill(String(replicas));
  });
  const changes = scale.done.changes ?? [];
  assert(changes.length === 1 && changes[0].endsWith(`→ ${replicas}`), `the API's changes: ${JSON.stringify(changes)}`);
  const shownChanges = (await scale.dialog.locator('[data-testid=command-changes]').innerText()).trim();
  assert(shownChanges === changes[0], `the dialog shows the change: ${shownChanges}`);
  await shot(page, 'ops-roundtrip-scale-light');
  await scale.dialog.locator('[data-testid=command-close]').click();
  await scale.dialog.waitFor({ state: 'detached' });
  // The agent's state of the Deployment has the new replica count.
  await until(`${scale.name} with ${replicas} replicas in the API`, async () => (await deployment(scale.name))?.desired === replicas, 60_000, 1000);
  await noErrors(page, 'round-trip');
}

/**
 * The cluster's Operations page lists the command with the state the API
 * has; its detail says who, why and when. The kubectl box previews
 * `cordon NODE` as node.cordon and submits it through the same dialog.
 */
export async function operationsPage(page, stack, cluster) {
  await page.goto(`${stack.baseUrl}/#/c/${cluster}/operations`);
  await page.locator('[data-testid=ops-page] [data-testid=data-table] [role=row][aria-rowindex="2"]').waitFor();
  await settle(page);
  const apiList = await adminGet(stack, `/api/v1/clusters/${cluster}/commands?limit=20`);
  const row = page.locator('[data-testid=ops-page] [data-testid=data-table] [role=row][aria-rowindex="2"]');
  const when = (await row.locator('[data-col=when]').innerText()).trim();
  const target = (await row.locator('[data-col=target]').innerText()).trim();
  const first = apiList.items.find((x) => `${x.target.kind} ${x.target.namespace ? `${x.target.namespace}/` : ''}${x.target.name}` === target);
  assert(first, `the row's target ${target} (${when}) is a command the API lists`);
  assert((await shownState(row)) === first.state, `the row's state ${await shownState(row)} = the API's ${first.state}`);
  await shot(page, 'ops-page-light');
  await row.click();
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.locator('[data-testid=command-status]').waitFor();
  await settle(page);
  const d = await adminGet(stack, `/api/v1/clusters/${cluster}/commands/${first.id}`);
  const text = await drawer.innerText();
  assert(d.reason && text.includes(d.reason) && text.includes(d.requested_by), 'the detail says who and why');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });

  // The kubectl box.
  const nodes = await adminGet(stack, `/api/v1/clusters/${cluster}/nodes?limit=1`);
  const node = nodes.items[0].name;
  await page.fill('[data-testid=command-line]', 'kubectl exec -it pod/x -- sh');
  await page.click('[data-testid=command-parse]');
  await page.locator('[data-testid=command-box] [role=alert]').waitFor();
  assert((await page.locator('[data-testid=command-box] [role=alert]').innerText()).includes('exec'), 'an unsupported verb is named');
  // That 400 is the answer asked for; Chromium logs it as a failed load.
  const errs = takeErrors(page);
  assert(errs.length >= 1 && errs.every((e) => e.includes('status of 400')), `only the parse's 400: ${errs.join(' | ')}`);
  await page.fill('[data-testid=command-line]', `cordon ${node}`);
  await page.click('[data-testid=command-parse]');
  const parsed = page.locator('[data-testid=command-parsed]');
  await parsed.waitFor();
  assert((await parsed.innerText()).includes('node.cordon') && (await parsed.innerText()).includes(`Node ${node}`), 'the preview shows node.cordon on the node');
  await shot(page, 'ops-kubectl-preview-light');
  await page.click('[data-testid=command-continue]');
  const dialog = page.locator('[data-testid=dialog]');
  await dialog.waitFor();
  await dialog.locator('[data-testid=command-reason]').fill('e2e: cordon from the command box');
  await dialog.locator('[data-testid=command-submit]').click();
  await dialog.locator('[data-testid=command-status]').waitFor();
  const c = await newestCommand(stack, cluster, (x) => x.action === 'node.cordon' && x.target.name === node);
  assert(c && c.target.kind === 'Node' && !c.target.namespace, `the API has the cordon: ${JSON.stringify(c)}`);
  if (c.state === 'pending') {
    await waitState(dialog, 'pending');
    await dialog.locator('[data-testid=command-cancel]').click();
    await waitState(dialog, 'cancelled');
  }
  await dialog.locator('[data-testid=command-close]').click();
  // The fleet-wide history has it too.
  await page.goto(`${stack.baseUrl}/#/operations`);
  await page.locator('[data-testid=ops-page] [data-testid=data-table] [role=row][aria-rowindex="2"]').waitFor();
  await settle(page);
  await noErrors(page, 'operations page');
}

/** A viewer is offered no action and no command box, and may not read outputs. */
export async function viewerNoActions(browser, stack, cluster) {
  const page = await newPage(browser);
  try {
    await uiLogin(page, stack.baseUrl, stack.viewer.user, stack.viewer.password);
    await page.goto(`${stack.baseUrl}/#/c/${cluster}/pods`);
    await page.waitForSelector('[data-testid=data-table] [role=row][aria-rowindex="2"]');
    await page.locator('[data-testid=data-table] [role=row][aria-rowindex="2"]').click();
    const drawer = page.locator('[data-testid=drawer]');
    await drawer.waitFor();
    await settle(page);
    assert((await drawer.locator('[data-testid=action-bar]').count()) === 0, 'no actions for a viewer');
    await page.goto(`${stack.baseUrl}/#/c/${cluster}/operations`);
    await page.locator('[data-testid=ops-page]').waitFor();
    await settle(page);
    assert((await page.locator('[data-testid=command-box]').count()) === 0, 'no command box for a viewer');
    await noErrors(page, 'viewer operations');
  } finally {
    await page.context().close();
  }
}
