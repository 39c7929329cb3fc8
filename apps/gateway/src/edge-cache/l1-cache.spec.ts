import { L1Cache, type EdgeEvent } from './l1-cache';

const set = (v: number, name: string, value: unknown): EdgeEvent => ({
  type: 'session.variable_set',
  sessionId: 's',
  streamVersion: v,
  data: { group: 'cart', name, value: value as never },
});

describe('L1Cache', () => {
  it('serves a filled variable until its TTL, then forgets it', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 3, 0);
    expect(c.get('s', 'cart/a', 999)).toEqual({ value: 1, version: 3 });
    expect(c.get('s', 'cart/a', 1000)).toBeUndefined();
  });

  it('advances only by the next event, and drops the entry on a gap or an end', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 3, 0);
    c.apply(set(4, 'a', 2));
    expect(c.get('s', 'cart/a', 1)).toEqual({ value: 2, version: 4 });
    c.apply(set(4, 'a', 99)); // a duplicate is ignored
    expect(c.get('s', 'cart/a', 1)?.value).toBe(2);
    c.apply(set(6, 'a', 3)); // version 5 was missed
    expect(c.get('s', 'cart/a', 1)).toBeUndefined();
    c.fill('s', 'cart/a', 3, 6, 2);
    c.apply({ type: 'session.ended', sessionId: 's', streamVersion: 7, data: {} });
    expect(c.get('s', 'cart/a', 3)).toBeUndefined();
  });

  it('never serves a sealed value: an event carrying one drops the session, whose next read goes to the owner', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 3, 0);
    c.apply({
      type: 'session.variable_set',
      sessionId: 's',
      streamVersion: 4,
      data: { group: 'auth', name: 'email', value: { $sealed: 'AQJr' }, sealed: true },
    });
    expect(c.get('s', 'cart/a', 1)).toBeUndefined();
    expect(c.get('s', 'auth/email', 1)).toBeUndefined();
  });

  it('keeps other variables when one changes, and removes deleted ones', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 3, 0);
    c.fill('s', 'cart/b', 2, 3, 0);
    c.apply({ type: 'session.variable_deleted', sessionId: 's', streamVersion: 4, data: { group: 'cart', name: 'a' } });
    expect(c.get('s', 'cart/a', 1)).toBeUndefined();
    expect(c.get('s', 'cart/b', 1)).toEqual({ value: 2, version: 4 });
  });

  it('ignores an answer older than what it knows, and restarts on a newer one', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 5, 0);
    c.fill('s', 'cart/b', 7, 4, 0);
    expect(c.get('s', 'cart/b', 1)).toBeUndefined();
    c.fill('s', 'cart/b', 8, 6, 0);
    expect(c.get('s', 'cart/a', 1)).toBeUndefined();
    expect(c.get('s', 'cart/b', 1)).toEqual({ value: 8, version: 6 });
  });

  it('writes through only when its write is the next version', () => {
    const c = new L1Cache(1000, 10);
    c.fill('s', 'cart/a', 1, 3, 0);
    c.wrote('s', 'cart/a', 5, 4);
    expect(c.get('s', 'cart/a', 1)).toEqual({ value: 5, version: 4 });
    c.wrote('s', 'cart/a', 6, 9);
    expect(c.get('s', 'cart/a', 1)).toBeUndefined();
  });

  it('keeps at most maxSessions entries, dropping the oldest', () => {
    const c = new L1Cache(1000, 2);
    c.fill('a', 'k', 1, 1, 0);
    c.fill('b', 'k', 1, 1, 0);
    c.fill('c', 'k', 1, 1, 0);
    expect(c.size).toBe(2);
    expect(c.get('a', 'k', 1)).toBeUndefined();
    expect(c.get('c', 'k', 1)).toBeDefined();
  });
});
