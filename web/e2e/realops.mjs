// Remote operations through the whole real path (issue 15), one scenario
// per action family: an action clicked in the dashboard → the API signs it
// into the queue in real MinIO → the real agent binary claims it and runs
// it against a real control plane (kube-apiserver, etcd, controller-
// manager, scheduler, kwok nodes; web/e2e/realcluster.go) → its result in
// MinIO → the API → the dialog's live status. Each scenario asserts the
// effect in the cluster (through the control plane's API server, not the
// agent's view of it) as well as what the screen and the API say.
import { assert } from './lib/runner.mjs';
import { until } from './lib/wait.mjs';
import { api, login } from './lib/stack.mjs';
import { newPage, noErrors, settle, shot, uiLogin } from './scenarios.mjs';

/** GET from the control plane's API server (cluster-admin, through realcluster's proxy). */
async function kube(real, path) {
  const r = await fetch(real.kube_proxy + path);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`kube GET ${path}: HTTP ${r.status} ${await r.text()}`);
  return path.endsWith('/log') || path.includes('/log?') ? r.text() : r.json();
}

const ns = (real) => `/namespaces/${real.namespace}`;
const deployment = (real, name) => kube(real, `/apis/apps/v1${ns(real)}/deployments/${name}`);
const podsOf = async (real, app) => (await kube(real, `/api/v1${ns(real)}/pods?labelSelector=app%3D${app}`)).items;
const running = (pods) => pods.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);

/** Rolled out: every replica of the Deployment updated and available (what kubectl rollout status waits for). */
async function rolledOut(real, name, replicas) {
  const d = await deployment(real, name);
  const s = d.status;
  return s.observedGeneration >= d.metadata.generation && (replicas === undefined || d.spec.replicas === replicas) &&
    s.updatedReplicas === d.spec.replicas && s.availableReplicas === d.spec.replicas && (s.replicas ?? 0) === d.spec.replicas && d;
}

async function adminGet(real, path) {
  // One login for all the polling (logins are rate-limited); again if it expired.
  real.token ??= await login(real.baseUrl, real.admin.user, real.admin.password);
  let r = await api(real.baseUrl, 'GET', path, real.token);
  if (r.status === 401) {
    real.token = await login(real.baseUrl, real.admin.user, real.admin.password);
    r = await api(real.baseUrl, 'GET', path, real.token);
  }
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** A page logged in as admin on the real cluster's API; the API has the cluster's state. */
export async function realPage(browser, stack) {
  const real = { ...stack.real, admin: stack.admin };
  const page = await newPage(browser);
  await uiLogin(page, real.baseUrl, real.admin.user, real.admin.password);
  await until('the real cluster in the API', async () => (await adminGet(real, '/api/v1/clusters')).items.some((c) => c.id === real.cluster), 180_000, 1000);
  // A cluster page open: the dashboard watches the cluster, so the agent
  // publishes its state at once; the API lists its objects.
  await page.goto(`${real.baseUrl}/#/c/${real.cluster}/workloads`);
  await until('the real cluster\'s Deployment web in the API', async () => {
    const l = await adminGet(real, `/api/v1/clusters/${real.cluster}/deployments?limit=50`);
    return l.items.some((d) => d.name === 'web');
  }, 180_000, 1000);
  return { page, real };
}

/** Waits until the API (the agent's state) has an object of resource matching pred. */
async function inAPI(real, resource, pred, what) {
  return until(`${what} in the API`, async () => {
    const l = await adminGet(real, `/api/v1/clusters/${real.cluster}/${resource}?limit=500`);
    return l.items.find(pred);
  }, 90_000, 1000);
}

/**
 * Opens the object's drawer at hash, runs action from its action bar with
 * the parameters fill sets, waits until the dialog shows state (default
 * succeeded), and returns the command as the API reports it, with the
 * dialog still open.
 */
async function act(page, real, hash, action, { fill, state = 'succeeded', reason } = {}) {
  await page.goto(`${real.baseUrl}/#/c/${real.cluster}/${hash}`);
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.locator('[data-testid=action-bar]').waitFor({ timeout: 30_000 });
  await settle(page);
  await drawer.locator(`[data-testid="action-${action}"]`).click();
  const dialog = page.locator('[data-testid=dialog]');
  await dialog.waitFor();
  if (fill) await fill(dialog);
  await dialog.locator('[data-testid=command-reason]').fill(reason ?? `e2e real: ${action}`);
  await dialog.locator('[data-testid=command-submit]').click();
  await dialog.locator('[data-testid=command-status]').waitFor();
  const id = await dialog.locator('[data-testid=command-id]').innerText();
  if (state) await dialog.locator(`[data-testid=command-state][data-state="${state}"]`).waitFor({ timeout: 90_000 });
  const c = await adminGet(real, `/api/v1/clusters/${real.cluster}/commands/${id.trim()}`);
  assert(c.action === action && c.signature === 'valid', `the API has the signed ${action}: ${JSON.stringify(c)}`);
  if (state) assert(c.state === state, `the API says ${action} is ${state}: ${c.state} ${c.error ?? ''}`);
  return { c, dialog };
}

async function close(page, dialog) {
  await dialog.locator('[data-testid=command-close]').click();
  await dialog.waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
}

/** The dialog shows the API's changes. */
async function changesShown(dialog, c) {
  const shown = (await dialog.locator('[data-testid=command-changes] li').allInnerTexts()).map((s) => s.trim());
  assert(JSON.stringify(shown) === JSON.stringify(c.changes ?? []), `the dialog shows the API's changes: ${JSON.stringify(shown)} vs ${JSON.stringify(c.changes)}`);
}

/** pod delete: the pod is gone from the cluster and its Deployment replaced it. */
export async function podDelete({ page, real }) {
  const pod = running(await podsOf(real, 'web'))[0];
  const name = pod.metadata.name;
  await inAPI(real, 'pods', (p) => p.name === name, `pod ${name}`);
  const { c, dialog } = await act(page, real, `pods?pod=${real.namespace}/${name}`, 'pod.delete');
  await changesShown(dialog, c);
  await shot(page, 'real-pod-delete-light');
  await close(page, dialog);
  await until(`pod ${name} gone from the cluster`, async () => {
    const p = await kube(real, `/api/v1${ns(real)}/pods/${name}`);
    return !p || p.metadata.uid !== pod.metadata.uid;
  }, 60_000, 500);
  await until('web back to 3 running pods', async () => running(await podsOf(real, 'web')).length === 3 && rolledOut(real, 'web'), 60_000, 500);
  await noErrors(page, 'pod delete');
}

/**
 * rollout restart makes a new ReplicaSet whose pods replace the old ones;
 * undo goes back to the previous template; pause and resume set
 * spec.paused.
 */
export async function rollouts({ page, real }) {
  const before = await rolledOut(real, 'web');
  assert(before, 'web rolled out before the restart');
  const rs0 = before.metadata.annotations['deployment.kubernetes.io/revision'];
  const { c, dialog } = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.restart');
  await changesShown(dialog, c);
  await close(page, dialog);
  const after = await until('web rolled out with the restart annotation', async () => {
    const d = await rolledOut(real, 'web');
    return d && d.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] && d;
  }, 90_000, 500);
  assert(Number(after.metadata.annotations['deployment.kubernetes.io/revision']) > Number(rs0), 'the restart made a new revision (ReplicaSet)');
  const rsets = (await kube(real, `/apis/apps/v1${ns(real)}/replicasets?labelSelector=app%3Dweb`)).items;
  assert(rsets.length >= 2, `a new ReplicaSet: ${rsets.length}`);

  // Undo: back to the template without the restart annotation.
  const undo = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.undo');
  await close(page, undo.dialog);
  await until('web rolled back to the template before the restart', async () => {
    const d = await rolledOut(real, 'web');
    return d && !d.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
  }, 90_000, 500);

  // Pause, then resume.
  const pause = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.pause');
  await close(page, pause.dialog);
  assert((await deployment(real, 'web')).spec.paused === true, 'web is paused in the cluster');
  const resume = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.resume');
  await shot(page, 'real-rollout-resume-light');
  await close(page, resume.dialog);
  assert(!(await deployment(real, 'web')).spec.paused, 'web is resumed in the cluster');
  await noErrors(page, 'rollouts');
}

/** scale: the cluster runs the new number of pods; the API's state says so. */
export async function scale({ page, real }) {
  const { c, dialog } = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.scale', {
    fill: (d) => d.locator('[data-testid=param-replicas]').fill('4'),
  });
  assert((c.changes ?? []).some((x) => x.endsWith('→ 4')), `the change: ${JSON.stringify(c.changes)}`);
  await changesShown(dialog, c);
  await close(page, dialog);
  await until('web runs 4 pods', async () => (await rolledOut(real, 'web', 4)) && running(await podsOf(real, 'web')).length === 4, 90_000, 500);
  await inAPI(real, 'deployments', (d) => d.name === 'web' && d.desired === 4, 'web with 4 replicas');
  await noErrors(page, 'scale');
}

/** set image: a new ReplicaSet with the image, rolled out. */
export async function setImage({ page, real }) {
  const { c, dialog } = await act(page, real, `workloads?obj=${real.namespace}/web`, 'workload.set_image', {
    fill: async (d) => {
      await d.locator('[data-testid=param-container]').fill('app');
      await d.locator('[data-testid=param-image]').fill('nginx:1.28');
    },
  });
  await changesShown(dialog, c);
  await close(page, dialog);
  await until('web rolled out on nginx:1.28', async () => {
    const d = await rolledOut(real, 'web');
    return d && d.spec.template.spec.containers[0].image === 'nginx:1.28';
  }, 90_000, 500);
  const pods = running(await podsOf(real, 'web'));
  assert(pods.length > 0 && pods.every((p) => p.spec.containers[0].image === 'nginx:1.28'), 'every web pod runs nginx:1.28');
  await noErrors(page, 'set image');
}

const nodeOf = async (real, app) => running(await podsOf(real, app))[0]?.spec.nodeName;
const node = (real, name) => kube(real, `/api/v1/nodes/${name}`);

/**
 * cordon/uncordon; a drain blocked by a budget that allows no disruption
 * shows why in its progress and is stopped from the dialog; a drain of a
 * node whose pods a budget lets go one at a time completes: the node is
 * empty but for its DaemonSet pod.
 */
export async function nodes({ page, real }) {
  const lockedNode = await nodeOf(real, 'locked');
  const free = real.nodes.find((n) => n !== lockedNode);
  assert(lockedNode && free, `nodes: locked on ${lockedNode}`);

  const cordon = await act(page, real, `nodes?node=${free}`, 'node.cordon');
  await changesShown(cordon.dialog, cordon.c);
  await close(page, cordon.dialog);
  assert((await node(real, free)).spec.unschedulable === true, `${free} unschedulable in the cluster`);
  const uncordon = await act(page, real, `nodes?node=${free}`, 'node.uncordon');
  await close(page, uncordon.dialog);
  assert(!(await node(real, free)).spec.unschedulable, `${free} schedulable again`);

  // A drain the "locked" budget holds: progress says why; stop it.
  const held = await act(page, real, `nodes?node=${lockedNode}`, 'node.drain', { state: 'running' });
  const progress = held.dialog.locator('[data-testid=command-progress]');
  await until('the drain says what it waits for', async () => /waiting to evict .*locked/.test((await progress.innerText().catch(() => '')) ?? ''), 60_000, 500);
  await shot(page, 'real-drain-waiting-light');
  const api = await adminGet(real, `/api/v1/clusters/${real.cluster}/commands/${held.c.id}`);
  assert(api.state === 'running' && /locked/.test(api.progress ?? '') && api.can_stop, `the API says running, waiting on locked, stoppable: ${JSON.stringify(api)}`);
  await held.dialog.locator('[data-testid=command-stop]').click();
  await held.dialog.locator('[data-testid=command-stop-requested]').waitFor();
  await held.dialog.locator('[data-testid=command-state][data-state="failed"]').waitFor({ timeout: 60_000 });
  const stopped = await adminGet(real, `/api/v1/clusters/${real.cluster}/commands/${held.c.id}`);
  assert(stopped.state === 'failed' && stopped.stop_requested_by === real.admin.user, `the API says stopped by admin: ${JSON.stringify(stopped)}`);
  assert(running(await podsOf(real, 'locked')).some((p) => p.spec.nodeName === lockedNode), 'the locked pod still runs on its node');
  await shot(page, 'real-drain-stopped-light');
  await close(page, held.dialog);
  const un = await act(page, real, `nodes?node=${lockedNode}`, 'node.uncordon');
  await close(page, un.dialog);

  // A drain that completes: web's budget lets its pods go one at a time.
  const target = real.nodes.find((n) => n !== lockedNode && n);
  const onTarget = async () => (await kube(real, `/api/v1/pods?fieldSelector=spec.nodeName%3D${target}`)).items.filter((p) => !p.metadata.deletionTimestamp);
  const isDS = (p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet';
  const before = (await onTarget()).filter((p) => !isDS(p)).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  const drain = await act(page, real, `nodes?node=${target}`, 'node.drain');
  const evicted = (drain.c.changes ?? []).filter((x) => x.startsWith('evicted pod ')).map((x) => x.slice('evicted pod '.length));
  assert(JSON.stringify(evicted.sort()) === JSON.stringify(before.sort()), `evicted ${JSON.stringify(evicted)}, on the node were ${JSON.stringify(before)}`);
  assert(/DaemonSet/.test(drain.c.summary ?? ''), `the DaemonSet pod is left: ${drain.c.summary}`);
  await changesShown(drain.dialog, drain.c);
  await shot(page, 'real-drain-done-light');
  await close(page, drain.dialog);
  const left = await onTarget();
  assert(left.length > 0 && left.every(isDS), `only DaemonSet pods left on ${target}: ${left.map((p) => p.metadata.name)}`);
  assert((await node(real, target)).spec.unschedulable === true, `${target} cordoned`);
  await until('web rolled out elsewhere', async () => rolledOut(real, 'web'), 90_000, 500);
  const back = await act(page, real, `nodes?node=${target}`, 'node.uncordon');
  await close(page, back.dialog);
  await noErrors(page, 'nodes');
}

/** logs: the viewer shows what the cluster's pods/log returns. */
export async function logs({ page, real }) {
  const pod = running(await podsOf(real, 'web'))[0].metadata.name;
  await inAPI(real, 'pods', (p) => p.name === pod, `pod ${pod}`);
  const { c, dialog } = await act(page, real, `pods?pod=${real.namespace}/${pod}`, 'pod.logs', {
    fill: (d) => d.locator('[data-testid=param-tail_lines]').fill('20'),
  });
  const want = (await kube(real, `/api/v1${ns(real)}/pods/${pod}/log?tailLines=20`)).trimEnd();
  const viewer = dialog.locator('[data-testid=command-output]');
  await viewer.waitFor();
  const shown = (await viewer.innerText()).trimEnd();
  assert(c.output_bytes > 0 && shown === want, `the viewer shows the cluster's 20 lines:\n${shown}\n---\n${want}`);
  await dialog.locator('[data-testid=output-search]').fill('listening');
  await until('the search filters the lines', async () => {
    const lines = (await viewer.innerText()).trimEnd().split('\n');
    return lines.length === want.split('\n').filter((l) => l.includes('listening')).length && lines.every((l) => l.includes('listening'));
  }, 10_000, 200);
  await shot(page, 'real-logs-light');
  await close(page, dialog);
  await noErrors(page, 'logs');
}

/** YAML: the live object, with its current image; env literal values redacted. */
export async function yaml({ page, real }) {
  const { c, dialog } = await act(page, real, `workloads?obj=${real.namespace}/web`, 'object.yaml');
  const out = dialog.locator('[data-testid=command-output]');
  await out.waitFor();
  const text = await out.innerText();
  const d = await deployment(real, 'web');
  assert(c.output_bytes > 0 && text.includes('name: web') && text.includes(`image: ${d.spec.template.spec.containers[0].image}`), `the YAML has the live image:\n${text.slice(0, 600)}`);
  assert(text.includes('name: MODE') && !/value: "?e2e"?/.test(text), 'the env literal value is redacted');
  await shot(page, 'real-yaml-light');
  await close(page, dialog);
  await noErrors(page, 'yaml');
}

/** events: the Deployment's events as the cluster has them. */
export async function events({ page, real }) {
  const { c, dialog } = await act(page, real, `workloads?obj=${real.namespace}/web`, 'object.events');
  const out = dialog.locator('[data-testid=command-output]');
  await out.waitFor();
  const text = await out.innerText();
  // The events the cluster had when the agent read them.
  const seen = (e) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) <= Date.parse(c.finished_at);
  const evs = (await kube(real, `/api/v1${ns(real)}/events?fieldSelector=involvedObject.name%3Dweb,involvedObject.kind%3DDeployment`)).items.filter(seen);
  assert(evs.length > 0, 'the cluster has events for web');
  assert(evs.every((e) => text.includes(e.reason)), `every event reason shown: ${evs.map((e) => e.reason)}\n${text.slice(0, 600)}`);
  assert(text.includes(evs[0].message), `an event's message shown: ${evs[0].message}`);
  await close(page, dialog);
  await noErrors(page, 'events');
}

/** CronJob trigger makes a Job; suspend sets spec.suspend; the Job is deleted from its drawer. */
export async function cronjobs({ page, real }) {
  await inAPI(real, 'cronjobs', (x) => x.name === 'nightly', 'cronjob nightly');
  const trig = await act(page, real, `workloads?kind=cronjobs&obj=${real.namespace}/nightly`, 'cronjob.trigger');
  await close(page, trig.dialog);
  const job = await until('a Job from nightly in the cluster', async () => {
    const l = (await kube(real, `/apis/batch/v1${ns(real)}/jobs`)).items;
    return l.find((j) => j.metadata.annotations?.['cronjob.kubernetes.io/instantiate'] === 'manual' && j.metadata.ownerReferences?.[0]?.name === 'nightly');
  }, 30_000, 500);
  assert((trig.c.changes ?? []).some((x) => x.includes(job.metadata.name)), `the change names the Job: ${JSON.stringify(trig.c.changes)}`);

  const sus = await act(page, real, `workloads?kind=cronjobs&obj=${real.namespace}/nightly`, 'cronjob.suspend');
  await close(page, sus.dialog);
  assert((await kube(real, `/apis/batch/v1${ns(real)}/cronjobs/nightly`)).spec.suspend === true, 'nightly suspended in the cluster');

  const name = job.metadata.name;
  await inAPI(real, 'jobs', (x) => x.name === name, `job ${name}`);
  const del = await act(page, real, `workloads?kind=jobs&obj=${real.namespace}/${name}`, 'job.delete');
  await shot(page, 'real-job-delete-light');
  await close(page, del.dialog);
  await until(`job ${name} gone from the cluster`, async () => !(await kube(real, `/apis/batch/v1${ns(real)}/jobs/${name}`)), 60_000, 500);
  await noErrors(page, 'cronjobs');
}
