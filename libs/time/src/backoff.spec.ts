import { seededRng } from '@foresight/random';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the base per attempt up to the cap', () => {
    const none = { baseMs: 50, maxMs: 1000, jitter: 'none' } as const;
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, none, Math.random))).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('full jitter is uniform below the delay, equal jitter in its upper half, never above the cap', () => {
    const rng = seededRng(3);
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = Math.min(1000, 50 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const full = backoffDelay(attempt, { baseMs: 50, maxMs: 1000, jitter: 'full' }, rng);
        const equal = backoffDelay(attempt, { baseMs: 50, maxMs: 1000, jitter: 'equal' }, rng);
        expect(full).toBeGreaterThanOrEqual(0);
        expect(full).toBeLessThan(d);
        expect(equal).toBeGreaterThanOrEqual(d / 2);
        expect(equal).toBeLessThan(d);
      }
    }
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 'equal' }, () => 0)).toBe(200);
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 'full' }, () => 0.5)).toBe(200);
  });

  it('defaults to a 50 ms base, a 2 s cap and full jitter', () => {
    expect(backoffDelay(0, {}, () => 0.5)).toBe(25);
    expect(backoffDelay(10, {}, () => 0.5)).toBe(1000);
  });

  it('refuses a negative or fractional attempt and a cap below the base', () => {
    expect(() => backoffDelay(-1, {}, Math.random)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, {}, Math.random)).toThrow(RangeError);
    expect(() => backoffDelay(0, { baseMs: 100, maxMs: 50 }, Math.random)).toThrow(RangeError);
    expect(() => backoffDelay(0, { baseMs: Number.NaN }, Math.random)).toThrow(RangeError);
  });
});
