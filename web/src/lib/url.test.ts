import { describe, expect, it } from 'vitest';
import { liveParams } from './url';

describe('liveParams', () => {
  it('reads the query of the hash while the location is on the page', () => {
    expect(liveParams('#/c/sim-1/pods?q=auth&pod=batch%2Fauth-1', '/c/sim-1/pods')?.toString()).toBe('q=auth&pod=batch%2Fauth-1');
    expect(liveParams('#/c/sim-1/pods', '/c/sim-1/pods')?.toString()).toBe('');
    expect(liveParams('', '/')?.toString()).toBe('');
  });

  it('is null once the location has left the page, so a late write cannot take the user back', () => {
    expect(liveParams('#/c/sim-1/nodes?q=auth', '/c/sim-1/pods')).toBeNull();
    expect(liveParams('#/c/sim-1/pods-x', '/c/sim-1/pods')).toBeNull();
  });

  it('matches a path whether or not the router decoded it', () => {
    expect(liveParams('#/c/prod%20eu/pods?q=a', '/c/prod eu/pods')?.get('q')).toBe('a');
    expect(liveParams('#/c/prod%20eu/pods?q=a', '/c/prod%20eu/pods')?.get('q')).toBe('a');
  });
});
