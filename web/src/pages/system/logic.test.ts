import { describe, expect, it } from 'vitest';
import { agentTone, agentTotals, clusterRows, conditionalAnswers, costBasis, costLines, notices, OTHER_KEY, requestRows, spoolRatio, storageByTable, tableRows, type Usage, type UsageAgent } from './logic';

const agent = (over: Partial<UsageAgent>): UsageAgent => ({
  cluster: 'a',
  state: 'online',
  interval_seconds: 30,
  uptime_seconds: 7200,
  synced: true,
  spool: { objects: 0, bytes: 0, max_bytes: 1000, full: false },
  written: { rows: 0, objects: 0, bytes: 0 },
  watched_objects: 0,
  errors: 0,
  estimated_puts_per_hour: 180,
  ...over,
});

const usage = (over: Partial<Usage> = {}): Usage => ({
  generated_at: '2026-05-01T12:00:00Z',
  inventory: {
    taken_at: '2026-05-01T11:30:00Z',
    age_seconds: 1800,
    stale: false,
    objects: 30,
    bytes: 1000,
    compacted_objects: 4,
    compaction_backlog: 2,
    tables: [
      { table: 'pods', objects: 20, bytes: 800, compacted_objects: 4, bytes_by_cluster: { a: 500, b: 200, c: 60, d: 40 } },
      { table: 'audit', objects: 10, bytes: 200, compacted_objects: 0, bytes_by_cluster: { _global: 200 } },
      { table: 'events', objects: 0, bytes: 0, compacted_objects: 0, bytes_by_cluster: {} },
    ],
    clusters: [
      { cluster: 'a', objects: 10, bytes: 500, bytes_by_table: { pods: 500 } },
      { cluster: 'b', objects: 5, bytes: 200, bytes_by_table: { pods: 200, events: 0 } },
      { cluster: '_global', objects: 10, bytes: 200, bytes_by_table: { audit: 200 } },
      { cluster: 'c', objects: 3, bytes: 60, bytes_by_table: { pods: 60 } },
      { cluster: 'd', objects: null, bytes: 40, bytes_by_table: { pods: 40 } },
    ],
  },
  jobs: [
    { job: 'compact', state: 'ok', duration_ms: 900, every_seconds: 900, requests: { put: 1, get: 2, list: 3, delete: 0, head: 0, errors: 0, not_modified: 0, precondition_failed: 0, bytes_in: 0, bytes_out: 0 },
      rate: { runs: 96, window_seconds: 86400, per_hour: { put: 4, get: 8, list: 12, delete: 0, head: 0, errors: 0, not_modified: 0, precondition_failed: 0 } } },
    { job: 'inventory', state: 'never_run', duration_ms: 0 },
  ],
  agents: [agent({ cluster: 'a' }), agent({ cluster: 'b', state: 'offline' }), agent({ cluster: 'c', state: 'no_heartbeat', estimated_puts_per_hour: null, spool: { objects: 0, bytes: 0, max_bytes: 0, full: false } })],
  api: {
    started_at: '2026-05-01T10:00:00Z',
    uptime_seconds: 7200,
    total: { put: 10, get: 100, list: 5, delete: 1, head: 2, errors: 0, not_modified: 40, precondition_failed: 1, bytes_in: 1, bytes_out: 2 },
    window_seconds: 3600,
    per_hour: { put: 5, get: 50, list: 2, delete: 0.5, head: 1, errors: 0, not_modified: 20, precondition_failed: 0.5 },
  },
  cost_estimate: {
    estimate: true,
    currency: 'USD',
    price_basis: 'S3',
    prices: { put_list_per_1000: 0.005, get_per_1000: 0.0004, storage_per_gb_month: 0.023 },
    hours_per_month: 730,
    items: [
      { item: 'storage', window_seconds: 0, storage_gb: 1, put_list_requests_per_month: 0, get_requests_per_month: 0, usd_per_month: 0.023, basis: '' },
      { item: 'agents', window_seconds: 43200, storage_gb: 0, put_list_requests_per_month: 131400, get_requests_per_month: 0, usd_per_month: 0.657, basis: '' },
    ],
    total_usd: 0.68,
    per_cluster: { clusters: 3, usd_per_month: 0.2267, basis: '' },
    excludes: ['data_transfer'],
  },
  missing: [
    { code: 'job_never_ran', subject: 'inventory', message: '' },
    { code: 'no_heartbeat', subject: 'c', message: '' },
    { code: 'agent_requests_unreported', message: '' },
    { code: 'api_rate_pending', message: '' },
  ],
  ...over,
});

describe('storage by table', () => {
  it('stacks the largest clusters and folds the rest into one series', () => {
    const c = storageByTable(usage().inventory!, 2);
    expect(c.series.map((s) => s.key)).toEqual(['c:a', 'c:b', OTHER_KEY]);
    expect(c.series[2].cluster).toBeNull();
    // Empty tables are not drawn.
    expect(c.data.map((d) => d.label)).toEqual(['pods', 'audit']);
    expect(c.data[0]).toMatchObject({ 'c:a': 500, 'c:b': 200, [OTHER_KEY]: 100 });
    expect(c.data[1]).toMatchObject({ 'c:a': 0, 'c:b': 0, [OTHER_KEY]: 200 });
    expect(c.max).toBe(800);
  });
  it('has no "other" series when every cluster fits', () => {
    expect(storageByTable(usage().inventory!, 10).series.map((s) => s.key)).toEqual(['c:a', 'c:b', 'c:_global', 'c:c', 'c:d']);
  });
  it('rows with mean object size and share', () => {
    const rows = tableRows(usage().inventory!);
    expect(rows[0]).toEqual({ table: 'pods', objects: 20, bytes: 800, compacted: 4, avgBytes: 40, share: 0.8 });
    expect(rows[2].avgBytes).toBeNull();
  });
  it('cluster rows keep unknown object counts as null and list the largest tables', () => {
    const rows = clusterRows(usage().inventory!);
    expect(rows[0]).toMatchObject({ cluster: 'a', share: 0.5, largest: [['pods', 500]] });
    expect(rows[1].largest).toEqual([['pods', 200]]);
    expect(rows[4].objects).toBeNull();
  });
});

describe('notices', () => {
  it('only page-level gaps; section gaps stay in their section', () => {
    expect(notices(usage()).map((n) => n.key)).toEqual(['notice.job_never_ran']);
    const u = usage({ inventory: null, missing: [{ code: 'no_inventory', message: '' }, { code: 'unreadable', subject: '_sys/jobs/compact.json', message: '' }] });
    expect(notices(u)).toEqual([
      { key: 'notice.no_inventory', params: {}, tone: 'info' },
      { key: 'notice.unreadable', params: { subject: '_sys/jobs/compact.json' }, tone: 'warn' },
    ]);
  });
});

describe('agents', () => {
  it('tones and spool', () => {
    expect(agentTone(agent({}))).toBe('ok');
    expect(agentTone(agent({ spool: { objects: 1, bytes: 900, max_bytes: 1000, full: true } }))).toBe('warn');
    expect(agentTone(agent({ state: 'offline' }))).toBe('crit');
    expect(agentTone(agent({ state: 'no_heartbeat' }))).toBe('neutral');
    expect(spoolRatio(agent({ spool: { objects: 1, bytes: 250, max_bytes: 1000, full: false } }))).toBe(0.25);
    expect(spoolRatio(agent({ spool: { objects: 0, bytes: 0, max_bytes: 0, full: false } }))).toBeNull();
  });
  it('totals', () => {
    expect(agentTotals(usage().agents)).toEqual({ agentsOnline: 1, agents: 3, spoolBytes: 0, spoolObjects: 0, agentErrors: 0 });
  });
});

describe('requests and cost', () => {
  it('request rows with how S3 prices them', () => {
    const rows = requestRows(usage().api);
    expect(rows.map((r) => [r.type, r.total, r.perHour, r.price])).toEqual([
      ['get', 100, 50, 'get'],
      ['put', 10, 5, 'put_list'],
      ['list', 5, 2, 'put_list'],
      ['head', 2, 1, 'get'],
      ['delete', 1, 0.5, 'free'],
    ]);
    const pending = usage();
    pending.api.per_hour = null;
    expect(requestRows(pending.api).every((r) => r.perHour === null)).toBe(true);
  });
  it('cost lines, most expensive first, and what is not priced yet', () => {
    const { items, unpriced } = costLines(usage());
    expect(items.map((i) => i.item)).toEqual(['agents', 'storage']);
    expect(unpriced).toEqual(['api', 'jobs']);
  });
  it('counts 304 and 412 answers', () => {
    expect(conditionalAnswers(usage().api)).toEqual({ notModified: 40, preconditionFailed: 1 });
  });
  it('the inputs behind each line', () => {
    const u = usage();
    expect(costBasis(u, 'agents')).toEqual({ item: 'agents', agents: 1, putsPerHour: 180, windowSeconds: 43200 });
    expect(costBasis(u, 'api')).toEqual({ item: 'api', putListPerHour: 7, getPerHour: 51, windowSeconds: 3600 });
    // Only jobs whose recorded runs give a rate; never-run ones are not priced.
    expect(costBasis(u, 'jobs')).toEqual({ item: 'jobs', jobs: [{ job: 'compact', runs: 96, windowSeconds: 86400 }] });
    expect(costBasis(u, 'storage')).toMatchObject({ bytes: 1000, objects: 30 });
  });
});
