// The kinds walk: every kind the API serves (the generated kind module,
// src/lib/k8s/kinds.gen.ts), reached through the navigation, its list and
// its detail, in English, Chinese and Japanese. For each kind, one object's
// values on the page (its row and its detail) must equal the API's
// response for that object, and so must its YAML (parsed; no Secret or
// ConfigMap data); a kind the agent does not collect must say so with the
// agent's reason. Then the YAML diff of a Deployment across a change.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { diffLines } from 'diff';
import { setLanguage } from './lib/language.mjs';
import { assert } from './lib/runner.mjs';
import { api, login, WEB } from './lib/stack.mjs';
import { noErrors, settle, shot } from './scenarios.mjs';

const SRC = join(WEB, 'src');
const INTL = { en: 'en', zh: 'zh-CN', ja: 'ja-JP' };
const LANGS = ['en', 'zh', 'ja'];

/** The kinds of the generated module: one line per kind. */
export function moduleKinds() {
  const text = readFileSync(join(SRC, 'lib/k8s/kinds.gen.ts'), 'utf8');
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\{ resource: '([^']+)', kind: '([^']+)',.* namespaced: (true|false),.* table: '(\w+)', columns: (null|\[[^\]]*\]),.* metadataOnly: (true|false),/.exec(line);
    if (!m) continue;
    out.push({ resource: m[1], kind: m[2], namespaced: m[3] === 'true', table: m[4], columns: m[5] === 'null' ? null : JSON.parse(m[5].replaceAll("'", '"')), metadataOnly: m[6] === 'true' });
  }
  if (out.length < 20) throw new Error(`kinds.gen.ts: parsed only ${out.length} kinds`);
  return out;
}

/** How the dashboard shows each objects-table column (src/common/columnShapes.ts). */
function columnShapes() {
  const text = readFileSync(join(SRC, 'common/columnShapes.ts'), 'utf8');
  const block = text.slice(text.indexOf('const SHAPES'), text.indexOf('};', text.indexOf('const SHAPES')));
  return Object.fromEntries([...block.matchAll(/^\s*(\w+): '(\w+)',$/gm)].map((m) => [m[1], m[2]]));
}

const locale = (ns, lang) => JSON.parse(readFileSync(join(SRC, ns === 'k8s' ? 'lib/k8s' : ns === 'common' ? 'common' : `pages/${ns}`, 'locales', `${lang}.json`), 'utf8'));

/** formatBytes of src/lib/format (binary units, one fraction digit). */
function bytes(lang, v) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let x = Math.abs(v);
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${new Intl.NumberFormat(INTL[lang], { maximumFractionDigits: i === 0 ? 0 : 1 }).format(x)} ${units[i]}`;
}

const empty = (v) => v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v).length);
const mapEntries = (v) => Object.entries(v ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${k}=${x}`);

/**
 * What the page must show for a column's value: `text` in a table cell,
 * `items` (one element each) or `text` as a detail field; null when the
 * field is left out.
 */
function expected(shape, v, lang, common) {
  const nf = new Intl.NumberFormat(INTL[lang]);
  if (empty(v)) return { cell: '—', field: null };
  switch (shape) {
    case 'count':
      return { cell: nf.format(v), field: { text: nf.format(v) } };
    case 'bytes':
      return { cell: bytes(lang, v), field: { text: bytes(lang, v) } };
    case 'bool': {
      const s = v ? common.value.yes : common.value.no;
      return { cell: s, field: { text: s } };
    }
    case 'list':
      return { cell: v.join(', '), field: { items: v } };
    case 'map':
      return { cell: mapEntries(v).join(', '), field: { items: mapEntries(v) } };
    case 'selector':
      return { cell: v, field: { items: v.split(',') } };
    default:
      return { cell: String(v), field: { text: String(v) } };
  }
}

/** Cells every table of a state table shows, beyond name and namespace: column id → value from the API row. */
const TABLE_CELLS = {
  pods: { ready: (o) => `${o.ready_containers ?? 0}/${o.total_containers ?? 0}`, node: (o) => o.node || '—', ip: (o) => o.pod_ip || '—' },
  nodes: { kubelet: (o) => o.kubelet_version ?? '', zone: (o) => o.zone || '—' },
  workloads: { images: (o) => (o.images ?? []).join(', '), owner: (o) => (o.owner_kind ? `${o.owner_kind}/${o.owner_name}` : '—') },
};

class Api {
  constructor(stack, cluster) {
    this.stack = stack;
    this.cluster = cluster;
  }
  async get(path) {
    // Tokens live 15 minutes: one per call keeps a long walk simple.
    this.token ??= await login(this.stack.baseUrl, this.stack.admin.user, this.stack.admin.password);
    let r = await api(this.stack.baseUrl, 'GET', path, this.token);
    if (r.status === 401) {
      this.token = await login(this.stack.baseUrl, this.stack.admin.user, this.stack.admin.password);
      r = await api(this.stack.baseUrl, 'GET', path, this.token);
    }
    assert(r.status === 200, `GET ${path}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }
  objectPath(k, o, at) {
    const c = encodeURIComponent(this.cluster);
    const key = k.namespaced ? `${encodeURIComponent(o.namespace)}/${encodeURIComponent(o.name)}` : encodeURIComponent(o.name);
    return `/api/v1/clusters/${c}/${k.resource}/${key}${at ? `?at=${encodeURIComponent(at)}` : ''}`;
  }
}

/** The table row showing an object, as column id → text; marks it for clicking. */
async function rowOf(page, name, namespace) {
  await page.waitForFunction(
    ([n, ns]) =>
      [...document.querySelectorAll('[data-testid=data-table] [role=row]')].some((r) => r.querySelector('[data-col=name]')?.textContent.trim() === n && (ns === null || r.querySelector('[data-col=namespace]')?.textContent.trim() === ns)),
    [name, namespace],
  );
  return page.evaluate(
    ([n, ns]) => {
      for (const r of document.querySelectorAll('[data-testid=data-table] [role=row]')) {
        const cells = Object.fromEntries([...r.querySelectorAll('[data-col]')].map((c) => [c.dataset.col, c.textContent.trim()]));
        if (cells.name === n && (ns === null || cells.namespace === ns)) {
          r.setAttribute('data-e2e-row', '');
          return cells;
        }
      }
      return null;
    },
    [name, namespace],
  );
}

/** The open drawer's fields: data-field → its value text, its items and its time. */
function drawerFields(page) {
  return page.evaluate(() => {
    const d = document.querySelector('[data-testid=drawer]');
    return Object.fromEntries(
      [...d.querySelectorAll('[data-field]')].map((f) => [
        f.dataset.field,
        { text: (f.querySelector('dd') ?? f).textContent.trim(), items: [...f.querySelectorAll('[data-item]')].map((i) => i.textContent.trim()), time: f.querySelector('time')?.getAttribute('datetime') ?? null },
      ]),
    );
  });
}

/**
 * Opens an object the way a user does: its kind's navigation entry, the
 * list's search filled with its name, a click on its row. Returns the
 * row's cells (column id → text).
 */
async function openObject(page, k, o) {
  await page.click(`[data-testid=nav-${k.resource}]`);
  await page.fill(`[data-testid=${k.resource}-search]`, o.name);
  const cells = await rowOf(page, o.name, k.namespaced ? o.namespace : null);
  await page.click('[data-e2e-row]');
  await page.locator('[data-testid=drawer]').waitFor();
  return cells;
}

function same(a, b, what) {
  assert(JSON.stringify(a) === JSON.stringify(b), `${what}: page ${JSON.stringify(a)} ≠ API ${JSON.stringify(b)}`);
}

/**
 * Every kind, in every language: the nav entry named as the registry names
 * it, the list, one object's row and detail equal to the API's.
 */
export async function kindsWalk(page, stack, cluster) {
  const kinds = moduleKinds();
  const shapes = columnShapes();
  const a = new Api(stack, cluster);
  const c = encodeURIComponent(cluster);
  let compared = 0;
  await page.goto(`${stack.baseUrl}/#/c/${c}`);
  await settle(page);
  for (const lang of LANGS) {
    await setLanguage(page, lang);
    const names = locale('k8s', lang);
    const common = locale('common', lang);
    for (const k of kinds) {
      const where = `${k.kind} (${lang})`;
      const nav = page.locator(`[data-testid=nav-${k.resource}]`);
      assert((await nav.innerText()).trim() === names.kinds[k.kind], `${where}: nav entry says ${await nav.innerText()}, not ${names.kinds[k.kind]}`);
      const list = await a.get(`/api/v1/clusters/${c}/${k.resource}?limit=1`);
      if (list.collected === false) {
        await nav.click();
        await page.waitForSelector('[data-testid=not-collected]');
        const reason = (await page.innerText('[data-testid=not-collected-reason]')).trim();
        same(reason, list.not_collected_reason, `${where}: not-collected reason`);
        assert((await page.locator('[data-testid=data-table]').count()) === 0, `${where}: a kind not collected shows no (empty) table`);
        if (lang === 'en') await shot(page, `kind-${k.resource}-not-collected-light`);
        await noErrors(page, where);
        continue;
      }
      assert(list.items.length === 1, `${where}: the simulated fleet has objects of every collected kind (none of ${k.kind})`);
      const o = list.items[0];
      const d = await a.get(a.objectPath(k, o));
      // The list, filtered to the object by its name; then its detail.
      const cells = await openObject(page, k, o);
      const cols = k.columns ?? [];
      for (const col of cols) {
        assert(col in cells, `${where}: the list has no ${col} column`);
        same(cells[col], expected(shapes[col] ?? 'text', o[col], lang, common).cell, `${where}: cell ${col}`);
        compared++;
      }
      for (const [col, get] of Object.entries(TABLE_CELLS[k.table] ?? {})) {
        if (col in cells) {
          same(cells[col], get(o), `${where}: cell ${col}`);
          compared++;
        }
      }
      const drawer = page.locator('[data-testid=drawer]');
      await page.waitForSelector('[data-testid=drawer] [data-field=uid]');
      same((await drawer.locator('h2').innerText()).trim(), o.name, `${where}: drawer title`);
      const f = await drawerFields(page);
      const obj = d.object;
      same(f.uid?.text, obj.uid, `${where}: uid`);
      same(f.created?.time, obj.created_at, `${where}: created`);
      same(f.labels?.items ?? [], Object.entries(obj.labels ?? {}).map(([lk, lv]) => (lv ? `${lk}=${lv}` : lk)), `${where}: labels`);
      if (k.namespaced) same(f.namespace?.text, obj.namespace, `${where}: namespace`);
      if (obj.owner_kind) same(f.owner?.text, `${obj.owner_kind}/${obj.owner_name}`, `${where}: owner`);
      for (const col of cols) {
        const want = expected(shapes[col] ?? 'text', obj[col], lang, common).field;
        if (want === null) assert(!(col in f), `${where}: field ${col} shown for an empty value`);
        else if (want.items) same(f[col]?.items, want.items, `${where}: field ${col}`);
        else same(f[col]?.text, want.text, `${where}: field ${col}`);
        compared++;
      }
      if (k.table === 'workloads' && obj.kind !== 'Job' && obj.kind !== 'CronJob') {
        const nf = new Intl.NumberFormat(INTL[lang]);
        same(f.desired?.text, nf.format(obj.desired ?? 0), `${where}: desired`);
        same(f.ready?.text, nf.format(obj.ready ?? 0), `${where}: ready`);
        compared += 2;
      }
      compared += 4;
      if (lang === 'en') {
        await shot(page, `kind-${k.resource}-detail-light`);
        await yamlView(page, k, o, d);
      }
      await page.keyboard.press('Escape');
      await drawer.waitFor({ state: 'detached' });
      // The search's own URL write (debounced on some lists) may land after
      // the drawer closed; it must not bring the drawer's parameter back.
      const query = () => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] ?? '')));
      const closed = await query();
      await page.waitForFunction((n) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('q') === n, o.name);
      same(Object.keys(await query()).sort(), [...new Set([...Object.keys(closed), 'q'])].sort(), `${where}: the URL once the search is written, the drawer closed`);
      await noErrors(page, where);
    }
    await shot(page, `kinds-walk-${lang}-light`);
  }
  await setLanguage(page, 'en');
  console.log(`    (${kinds.length} kinds × ${LANGS.length} languages, ${compared} values compared with the API)`);
}

/**
 * The open drawer's YAML tab: the YAML parses to the API's detail (Secrets
 * and ConfigMaps carry metadata and no data); a Secret's and a
 * Deployment's download as that same YAML.
 */
async function yamlView(page, k, o, d) {
  await page.locator('[data-testid=drawer]').getByRole('tab', { name: 'YAML', exact: true }).click();
  await page.waitForSelector('[data-testid=yaml-view]');
  const text = await page.innerText('[data-testid=yaml-view]');
  same(parseYaml(text), d.detail, `${k.kind}: YAML view`);
  if (k.metadataOnly) assert(!/^(data|stringData|binaryData):/m.test(text) && /^metadata:/m.test(text), `${k.kind}: YAML shows metadata and no data`);
  if (k.resource === 'secrets' || k.resource === 'deployments') {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=yaml-download]')]);
    same(parseYaml(readFileSync(await download.path(), 'utf8')), d.detail, `${k.kind}: downloaded YAML`);
    assert(download.suggestedFilename() === `${k.kind.toLowerCase()}-${o.namespace}-${o.name}.yaml`, `${k.kind}: file name ${download.suggestedFilename()}`);
    await shot(page, `kind-${k.resource}-yaml-light`);
  }
}

/**
 * The YAML diff of a Deployment across its last change equals the line
 * diff of the API's detail at the two moments, unified and side by side;
 * the cluster's time-travel diff links to it.
 */
export async function yamlDiff(page, stack, cluster) {
  const a = new Api(stack, cluster);
  const c = encodeURIComponent(cluster);
  const kinds = moduleKinds();
  await page.goto(`${stack.baseUrl}/#/c/${c}`);
  await setLanguage(page, 'en');
  await settle(page);
  const drawer = page.locator('[data-testid=drawer]');
  // A Deployment that rolled out (owns two ReplicaSets): the YAML diff
  // around its last change, picked in the drawer as a user would.
  const rss = await a.get(`/api/v1/clusters/${c}/replicasets?limit=1000`);
  const owners = new Map();
  for (const rs of rss.items) if (rs.owner_kind === 'Deployment') owners.set(`${rs.namespace}/${rs.owner_name}`, (owners.get(`${rs.namespace}/${rs.owner_name}`) ?? 0) + 1);
  const rolled = [...owners].find(([, n]) => n > 1)?.[0];
  assert(rolled, 'a Deployment of the simulated fleet rolled out (owns two ReplicaSets)');
  const [ns, name] = rolled.split('/');
  const deployments = kinds.find((k) => k.resource === 'deployments');
  const tl = await a.get(`/api/v1/clusters/${c}/timetravel/timeline?kind=deployments&namespace=${encodeURIComponent(ns)}&name=${encodeURIComponent(name)}&from=-7d&limit=200`);
  const last = tl.items.filter((it) => it.op !== 'checkpoint').at(-1);
  assert(last?.op === 'update', `${rolled}: its last change is an update (${last?.op})`);
  await openObject(page, deployments, { namespace: ns, name });
  // Its newest change in the Changes tab opens the YAML diff around it.
  await drawer.getByRole('tab', { name: 'Changes', exact: true }).click();
  await page.locator('[data-testid=change-timeline] [data-testid=timeline-diff]').first().click();
  await page.waitForFunction(() => location.hash.includes('t1=') && location.hash.includes('t2='));
  const q = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
  const [t1, t2] = [q.get('t1'), q.get('t2')];
  same(Date.parse(t2), Date.parse(last.ts) + 1, `${rolled}: the diff ends just after its last change`);
  same(Date.parse(t1), Date.parse(last.ts) - 1, `${rolled}: the diff starts just before it`);
  const [before, after] = await Promise.all([a.get(a.objectPath(deployments, { namespace: ns, name }, t1)), a.get(a.objectPath(deployments, { namespace: ns, name }, t2))]);
  const yaml = (x) => stringify(x, { lineWidth: 0, aliasDuplicateObjects: false });
  const [y1, y2] = [yaml(before.detail), yaml(after.detail)];
  let added = 0;
  let removed = 0;
  for (const ch of diffLines(y1, y2)) {
    if (ch.added) added += ch.count;
    if (ch.removed) removed += ch.count;
  }
  assert(added + removed > 0, `${rolled}: its last update changed its object`);
  await page.waitForSelector('[data-testid=yaml-diff-unified]');
  const digits = async (sel) => Number((await page.innerText(sel)).replace(/\D/g, ''));
  same([await digits('[data-testid=yaml-diff-added]'), await digits('[data-testid=yaml-diff-removed]')], [added, removed], `${rolled}: YAML diff line counts`);
  const lines = (type) => page.locator(`[data-testid=yaml-diff-unified] [data-type=${type}] [data-line]`).allTextContents();
  for (const l of await lines('add')) assert(y2.split('\n').includes(l), `${rolled}: added line ${JSON.stringify(l)} is in the YAML at t2`);
  for (const l of await lines('del')) assert(y1.split('\n').includes(l), `${rolled}: removed line ${JSON.stringify(l)} is in the YAML at t1`);
  same((await lines('add')).length + (await lines('del')).length, added + removed, `${rolled}: every changed line shown`);
  await shot(page, 'deployment-yaml-diff-unified-light');
  await page.click('[data-testid=yaml-diff-mode-split]');
  await page.waitForSelector('[data-testid=yaml-diff-split]');
  same(
    [await page.locator('[data-testid=yaml-diff-split] td[data-type=add]').count(), await page.locator('[data-testid=yaml-diff-split] td[data-type=del]').count()],
    [added, removed],
    `${rolled}: side-by-side diff lines`,
  );
  await shot(page, 'deployment-yaml-diff-split-light');
  await page.keyboard.press('Escape');
  await noErrors(page, 'YAML diff');

  // From the cluster's time-travel diff to one object's YAML diff.
  const [from, to] = [t1, t2];
  await page.goto(`${stack.baseUrl}/#/c/${c}/timetravel?t1=${encodeURIComponent(from)}&t2=${encodeURIComponent(to)}&kinds=deployments&change=changed`);
  const item = page.locator('[data-testid=diff-items] > li', { hasText: rolled });
  await item.locator('[data-testid=diff-yaml-link]').click();
  await page.waitForSelector('[data-testid=yaml-diff-stat]');
  const opened = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
  same([opened.get('tab'), opened.get('t1'), opened.get('t2')], ['diff', from, to], 'time travel opens the object\'s YAML diff of the same moments');
  await noErrors(page, 'time travel → YAML diff');
}
