import { jsonBytes, makeCartItems, makeSessionSeed } from './payload';
import { seededRng } from './rng';

describe('session payload', () => {
  it('is about 1 KiB of JSON for every session', () => {
    const rng = seededRng(7);
    const sizes = Array.from({ length: 200 }, (_, i) => jsonBytes(makeSessionSeed(rng, i)));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(700);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1400);
  });

  it('is deterministic for a given seed', () => {
    const a = makeSessionSeed(seededRng(99), 3);
    const b = makeSessionSeed(seededRng(99), 3);
    expect(b).toEqual(a);
    expect(makeSessionSeed(seededRng(100), 3)).not.toEqual(a);
  });

  it('keeps everything in the default cart group with a few items', () => {
    const seed = makeSessionSeed(seededRng(1), 42);
    expect(Object.keys(seed.data)).toEqual(['cart']);
    expect(seed.userId).toBe('user-000042');
    const items = seed.data.cart?.items as unknown[];
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(items.length).toBeLessThanOrEqual(5);
  });

  it('builds carts of the requested length', () => {
    expect(makeCartItems(seededRng(3), 2)).toHaveLength(2);
  });
});
