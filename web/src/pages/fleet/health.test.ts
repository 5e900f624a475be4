import { describe, expect, it } from 'vitest';
import i18next from 'i18next';
import en from './locales/en.json';
import zh from './locales/zh.json';
import ja from './locales/ja.json';
import { reasonText } from './health';
import { fleetAsOf, type FleetCluster } from './hooks';

const fmt = { duration: (ms: number) => `${ms / 1000}s`, dateTime: (v: string) => v, number: (v: number) => String(v) };

async function tFor(lng: string) {
  const i = i18next.createInstance();
  await i.init({ lng, resources: { en: { fleet: en }, zh: { fleet: zh }, ja: { fleet: ja } }, interpolation: { escapeValue: false } });
  return i.t;
}

describe('reasonText', () => {
  it('translates by code with plurals', async () => {
    const t = await tFor('en');
    const r = (code: string, params?: Record<string, unknown>) => ({ severity: 'warning' as const, code: code as never, message: 'English from the API', params });
    expect(reasonText(t, fmt, r('critical_anomalies', { count: 1 }))).toBe('1 critical anomaly open');
    expect(reasonText(t, fmt, r('critical_anomalies', { count: 3 }))).toBe('3 critical anomalies open');
    expect(reasonText(t, fmt, r('heartbeat_late', { seconds: 200 }), { status: 'stale', heartbeat_interval_seconds: 120 })).toBe('The last heartbeat is 200s old (expected every 120s)');
    expect(reasonText(t, fmt, r('a_code_from_a_newer_api'))).toBe('English from the API');
    const zt = await tFor('zh');
    expect(reasonText(zt, fmt, r('pods_crash_looping', { count: 1 }))).toBe('1 个 Pod 崩溃循环');
    const jt = await tFor('ja');
    expect(reasonText(jt, fmt, r('nodes_not_ready', { count: 1, total: 3 }))).toBe('3 ノード中 1 ノードが Ready ではありません');
  });
});

describe('fleetAsOf', () => {
  it('is the oldest state of the clusters whose agent is alive', () => {
    const c = (status: string, t?: string) => ({ status, state_updated_at: t }) as unknown as FleetCluster;
    expect(fleetAsOf([c('online', '2026-01-01T10:00:05Z'), c('stale', '2026-01-01T10:00:01Z'), c('offline', '2026-01-01T09:00:00Z')])).toBe('2026-01-01T10:00:01Z');
    expect(fleetAsOf([c('offline', '2026-01-01T09:00:00Z')])).toBeNull();
  });
});
