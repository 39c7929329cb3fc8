import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then one request per refill interval, per key', () => {
    const limiter = new RateLimiter(2, 3);
    const at0 = [1, 2, 3, 4].map(() => limiter.take('ip-a', 0).ok);
    expect(at0).toEqual([true, true, true, false]);
    expect(limiter.take('ip-b', 0).ok).toBe(true);
    expect(limiter.take('ip-a', 0)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(limiter.take('ip-a', 500).ok).toBe(true);
    expect(limiter.take('ip-a', 500).ok).toBe(false);
  });

  it('forgets refilled buckets and caps the number of keys', () => {
    const limiter = new RateLimiter(1, 2, 3);
    for (const k of ['a', 'b', 'c', 'd']) limiter.take(k, 0);
    expect(limiter.size).toBe(3);
    limiter.prune(5000);
    expect(limiter.size).toBe(0);
  });
});
