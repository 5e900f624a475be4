import { describe, expect, it } from 'vitest';
import { KINDS, kindPage } from '../lib/k8s/kinds';
import { NAV } from './nav';
import en from '../lib/k8s/locales/en.json';
import zh from '../lib/k8s/locales/zh.json';
import ja from '../lib/k8s/locales/ja.json';

// Every kind the API serves is reachable from the navigation, under its
// registry name, at the page that lists it (lib/k8s/kinds.ts kindPage).
describe('navigation', () => {
  const items = NAV.flatMap((s) => s.items.map((it) => ({ ...it, section: s.id })));
  it('has an entry per kind, at its page', () => {
    for (const k of KINDS) {
      const entries = items.filter((it) => it.id === k.resource);
      expect(entries, k.kind).toHaveLength(1);
      const [path] = entries[0].to.split('?');
      expect(path, k.kind).toBe(`/c/:cluster/${kindPage(k.resource).path}`);
      expect(entries[0].label).toBe(`k8s:kinds.${k.kind}`);
      expect(entries[0].section, k.kind).toBe(k.category === 'cluster' ? 'cluster' : k.category);
      for (const names of [en, zh, ja]) expect((names.kinds as Record<string, string>)[k.kind], k.kind).toBeTruthy();
    }
  });
  it('tells the workload kinds sharing a page apart by its query', () => {
    const deployments = items.find((it) => it.id === 'deployments')!;
    const jobs = items.find((it) => it.id === 'jobs')!;
    expect(deployments.selects?.(new URLSearchParams(''))).toBe(true);
    expect(jobs.selects?.(new URLSearchParams(''))).toBe(false);
    expect(jobs.selects?.(new URLSearchParams('kind=jobs'))).toBe(true);
    expect(jobs.to).toBe('/c/:cluster/workloads?kind=jobs');
  });
  it('has unique ids', () => {
    expect(new Set(items.map((it) => it.id)).size).toBe(items.length);
  });
});
