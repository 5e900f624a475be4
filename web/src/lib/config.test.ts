import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';

describe('parseConfig', () => {
  it('accepts URLs and paths and trims trailing slashes', () => {
    expect(parseConfig({ apiBase: 'https://api.example.com/' })).toEqual({ apiBase: 'https://api.example.com', title: undefined });
    expect(parseConfig({ apiBase: '/atlhyper' }).apiBase).toBe('/atlhyper');
    expect(parseConfig({}).apiBase).toBe('');
    expect(parseConfig({ apiBase: '', title: ' Prod ' }).title).toBe('Prod');
  });
  it('rejects bad values with a clear message', () => {
    expect(() => parseConfig(null)).toThrow(/object/);
    expect(() => parseConfig({ apiBase: 42 })).toThrow(/string/);
    expect(() => parseConfig({ apiBase: 'ftp://x' })).toThrow(/http/);
  });
});
