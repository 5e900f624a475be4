import { describe, expect, it } from 'vitest';
import { actionsFor, buildParams, filterLines, isFinal, pollInterval, reasonProblem, stateTone, targetText, ulid, type ActionInfo } from './logic';

const a = (name: string, kinds: string[], allowed = true, params: string[] = []): ActionInfo =>
  ({ name, verb: name, kinds, role: 'operator', read_only: false, params, timeout_seconds: 120, allowed }) as ActionInfo;

describe('ops logic', () => {
  it('makes ULIDs the API accepts, ordered by time', () => {
    const id = ulid(1_765_000_000_000, () => new Uint8Array(16).fill(255));
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(id.endsWith('Z'.repeat(16))).toBe(true);
    expect(ulid(1_765_000_000_001) > ulid(1_765_000_000_000, () => new Uint8Array(16).fill(255))).toBe(true);
  });
  it("lists only a kind's actions the role may ask for", () => {
    const cat = [a('pod.delete', ['Pod']), a('node.drain', ['Node'], false), a('object.yaml', ['Pod', 'Node']), a('node.cordon', ['Node'])];
    expect(actionsFor(cat, 'Node').map((x) => x.name)).toEqual(['object.yaml', 'node.cordon']);
    expect(actionsFor(cat, 'Secret')).toEqual([]);
    expect(actionsFor(undefined, 'Pod')).toEqual([]);
  });
  it('polls until a command ends', () => {
    expect(pollInterval('pending')).toBe(1500);
    expect(pollInterval('running')).toBe(1000);
    for (const s of ['succeeded', 'failed', 'refused', 'unknown', 'cancelled', 'expired']) {
      expect(isFinal(s)).toBe(true);
      expect(pollInterval(s)).toBe(false);
    }
    expect(stateTone('refused')).toBe('crit');
    expect(stateTone('succeeded')).toBe('ok');
  });
  it('builds params from the form, leaving empty ones out', () => {
    const logs = a('pod.logs', ['Pod'], true, ['container', 'previous', 'tail_lines', 'since_seconds']);
    expect(buildParams(logs, { container: 'app', previous: true, tail_lines: '200', since_seconds: '' })).toEqual({ container: 'app', previous: true, tail_lines: 200 });
    expect(buildParams(logs, { previous: false })).toBeUndefined();
    expect(buildParams(logs, { tail_lines: 'ten' })).toEqual({ tail_lines: 'ten' });
    const drain = a('node.drain', ['Node'], false, ['grace_seconds', 'timeout_seconds', 'delete_emptydir_data', 'force']);
    expect(buildParams(drain, { force: true, delete_emptydir_data: false, timeout_seconds: '120' })).toEqual({ force: true, timeout_seconds: 120 });
  });
  it('requires a reason of at most 500 characters', () => {
    expect(reasonProblem('  ')).toBe('empty');
    expect(reasonProblem('é'.repeat(500))).toBeNull();
    expect(reasonProblem('é'.repeat(501))).toBe('long');
  });
  it('filters output lines', () => {
    expect(filterLines('a error\nb ok\nc ERROR\n', 'error')).toEqual({ lines: ['a error', 'c ERROR'], matched: 2, total: 3 });
    expect(filterLines('x\ny', '').total).toBe(2);
  });
  it('reads a target', () => {
    expect(targetText({ kind: 'Deployment', namespace: 'shop', name: 'web' })).toBe('Deployment shop/web');
    expect(targetText({ kind: 'Node', name: 'node-1' })).toBe('Node node-1');
  });
});
