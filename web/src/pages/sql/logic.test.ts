import { describe, expect, it } from 'vitest';
import { cellText, completionSchema, downloadName, isNumericType } from './logic';

describe('sql logic', () => {
  it('builds the completion schema', () => {
    expect(completionSchema({ tables: [{ name: 'pods', columns: [{ name: 'name', type: 'VARCHAR' }, { name: 'restarts', type: 'INTEGER' }] }] })).toEqual({ pods: ['name', 'restarts'] });
    expect(completionSchema(undefined)).toEqual({});
  });
  it('formats cells', () => {
    expect(cellText(null)).toBe('NULL');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
    expect(cellText([1, 2])).toBe('[1,2]');
    expect(cellText(3.5)).toBe('3.5');
    expect(cellText(true)).toBe('true');
  });
  it('detects numeric types', () => {
    expect(isNumericType('BIGINT')).toBe(true);
    expect(isNumericType('DECIMAL(18,3)')).toBe(true);
    expect(isNumericType('VARCHAR')).toBe(false);
    expect(isNumericType('TIMESTAMP WITH TIME ZONE')).toBe(false);
  });
  it('names downloads', () => expect(downloadName('csv', new Date(2026, 0, 2, 15, 4, 5))).toBe('atlhyper-query-20260102-150405.csv'));
});
