import { ManualClock } from '@foresight/time';
import { FetchScheduler } from './fetch-scheduler';
import { prefetchPriority } from './priority';
import { fakeOrigin, flush } from './test-origin';

function setup(maxPrefetchConcurrency = 2) {
  const clock = new ManualClock();
  const { registry, calls, origin } = fakeOrigin(clock, 100, { maxPrefetchConcurrency });
  const landed: string[] = [];
  const stored: [string, boolean][] = [];
  const scheduler = new FetchScheduler<string>({
    origins: registry,
    store: (k, _res, prefetched) => {
      stored.push([k, prefetched]);
      if (prefetched) landed.push(k);
    },
  });
  const run = async (ms: number) => {
    clock.advance(ms);
    await flush();
  };
  return { clock, calls, origin, scheduler, landed, stored, run };
}

describe('prefetch priority', () => {
  const base = { probability: 0.5, latencyMs: 20, sizeBytes: 1024, timeToNextRequestMs: 1000 };
  it('rises with probability and origin latency, falls with size and with time to the next request', () => {
    const p = prefetchPriority(base);
    expect(prefetchPriority({ ...base, probability: 0.6 })).toBeGreaterThan(p);
    expect(prefetchPriority({ ...base, latencyMs: 200 })).toBeGreaterThan(p);
    expect(prefetchPriority({ ...base, sizeBytes: 64 * 1024 })).toBeLessThan(p);
    expect(prefetchPriority({ ...base, timeToNextRequestMs: 10 })).toBeGreaterThan(p);
    expect(prefetchPriority({ ...base, probability: 0 })).toBe(0);
  });
});

describe('FetchScheduler', () => {
  it('runs prefetches in priority order with bounded concurrency per origin', async () => {
    const { scheduler, calls, landed, run } = setup(2);
    scheduler.schedule('s', [
      { key: 'low', priority: 1 },
      { key: 'high', priority: 9 },
      { key: 'mid', priority: 5 },
    ]);
    expect(calls).toEqual(['high', 'mid']);
    await run(100);
    expect(landed).toEqual(['high', 'mid']);
    expect(calls).toEqual(['high', 'mid', 'low']);
    await run(100);
    expect(landed).toEqual(['high', 'mid', 'low']);
  });

  it('never loads a key twice at once: a demand read joins the in-flight prefetch', async () => {
    const { scheduler, calls, landed, stored, run } = setup();
    scheduler.schedule('s1', [{ key: 'k', priority: 1 }]);
    scheduler.schedule('s2', [{ key: 'k', priority: 1 }]);
    const d = scheduler.demand('k');
    expect(d.joined).toBe(true);
    await run(100);
    expect(await d.promise).toEqual({ value: 'v:k', size: 1 });
    expect(calls).toEqual(['k']);
    // Stored once, as read (a reader asked for it), not as an unread prefetch.
    expect(landed).toEqual([]);
    expect(stored).toEqual([['k', false]]);
    expect(scheduler.stats).toMatchObject({ demandJoined: 1, prefetchDeduplicated: 1, prefetchStarted: 1 });
  });

  it('a demand read takes over a queued prefetch instead of waiting behind the queue', async () => {
    const { scheduler, calls, run } = setup(1);
    scheduler.schedule('s', [
      { key: 'a', priority: 3 },
      { key: 'b', priority: 2 },
    ]);
    const d = scheduler.demand('b');
    expect(d.joined).toBe(false);
    expect(calls).toEqual(['a', 'b']);
    await run(100);
    await expect(d.promise).resolves.toMatchObject({ value: 'v:b' });
    expect(scheduler.stats.promoted).toBe(1);
    expect(scheduler.queuedCount).toBe(0);
  });

  it('demand loads are never limited by the prefetch concurrency', async () => {
    const { scheduler, calls } = setup(1);
    scheduler.schedule('s', [
      { key: 'p1', priority: 2 },
      { key: 'p2', priority: 1 },
    ]);
    scheduler.demand('d1');
    scheduler.demand('d2');
    expect(calls).toEqual(['p1', 'd1', 'd2']);
  });

  it('cancels queued prefetches the session no longer wants, unless another session still does', async () => {
    const { scheduler, calls, landed, run } = setup(1);
    scheduler.schedule('s1', [
      { key: 'running', priority: 9 },
      { key: 'stale', priority: 5 },
      { key: 'shared', priority: 4 },
    ]);
    scheduler.schedule('s2', [{ key: 'shared', priority: 1 }]);
    scheduler.schedule('s1', [{ key: 'next', priority: 3 }]);
    expect(scheduler.stats.prefetchCancelled).toBe(1);
    await run(100);
    await run(100);
    await run(100);
    // s1 dropped "shared"; it keeps s2's lower priority and runs after s1's new "next".
    expect(calls).toEqual(['running', 'next', 'shared']);
    expect(landed).toEqual(['running', 'next', 'shared']);
  });

  it('optionally aborts an in-flight prefetch nobody wants any more', async () => {
    const clock = new ManualClock();
    const { registry } = fakeOrigin(clock, 100);
    const landed: string[] = [];
    const scheduler = new FetchScheduler<string>({ origins: registry, store: (k) => landed.push(k), abortStale: true });
    scheduler.schedule('s', [{ key: 'k', priority: 1 }]);
    scheduler.schedule('s', []);
    clock.advance(100);
    await flush();
    expect(landed).toEqual([]);
    expect(scheduler.stats.prefetchFailed).toBe(1);
  });

  it('refuses prefetches while the origin circuit is open but still serves demand through it', async () => {
    const clock = new ManualClock();
    const { registry, origin } = fakeOrigin(clock, 10, { breaker: { failureThreshold: 1, openMs: 1000 } });
    origin.breaker.onFailure();
    const scheduler = new FetchScheduler<string>({ origins: registry, store: () => {} });
    scheduler.schedule('s', [{ key: 'k', priority: 1 }]);
    expect(scheduler.stats.prefetchRefused).toBe(1);
    await expect(scheduler.demand('k').promise).rejects.toMatchObject({ code: 'ORIGIN.CIRCUIT_OPEN' });
  });

  it('stores a value as it lands, before the reader waiting for it resumes; settled() is the completion hook', async () => {
    const { scheduler, stored, run } = setup();
    const order: string[] = [];
    const d = scheduler.demand('k');
    void d.promise.then(() => order.push(`reader saw ${stored.length} stored`));
    const settled = scheduler.settled('k').then(() => order.push('settled'));
    await run(100);
    await settled;
    expect(stored).toEqual([['k', false]]);
    expect(order).toEqual(['reader saw 1 stored', 'settled']);
    await expect(scheduler.settled('nothing-loading')).resolves.toBeUndefined();
  });

  it('a key invalidated while its load is in flight: waiting readers get the value, it is not stored, the next read loads again', async () => {
    const { scheduler, calls, stored, run } = setup();
    const before = scheduler.demand('k');
    await run(50);
    expect(scheduler.invalidate('k')).toBe(true);
    expect(scheduler.isInFlight('k')).toBe(false);
    const after = scheduler.demand('k');
    expect(after.joined).toBe(false);
    expect(calls).toEqual(['k', 'k']);
    await run(50);
    await expect(before.promise).resolves.toMatchObject({ value: 'v:k' });
    expect(stored).toEqual([]);
    await run(50);
    await after.promise;
    expect(stored).toEqual([['k', false]]);
    expect(scheduler.stats.invalidatedInFlight).toBe(1);
    expect(scheduler.invalidate('k')).toBe(false);
  });

  it('settled() waits for a load detached by an invalidation too', async () => {
    const { scheduler, run } = setup();
    let landed = false;
    void scheduler.demand('k').promise.then(() => (landed = true));
    scheduler.invalidate('k');
    const settled = scheduler.settled('k');
    await run(100);
    await settled;
    expect(landed).toBe(true);
  });

  it('an invalidated prefetch in flight is not stored, and its session may queue the key again', async () => {
    const { scheduler, calls, landed, run } = setup(1);
    scheduler.schedule('s', [{ key: 'k', priority: 1 }]);
    expect(scheduler.invalidateWhere((key) => key.startsWith('k'))).toBe(1);
    scheduler.schedule('s', [{ key: 'k', priority: 1 }]);
    await run(100);
    await run(100);
    expect(calls).toEqual(['k', 'k']);
    expect(landed).toEqual(['k']);
    expect(scheduler.stats).toMatchObject({ prefetchStarted: 2, prefetchCompleted: 2 });
  });

  it('warms a key on the demand lane: not held by the prefetch limit, stored as prefetched unless a reader joins', async () => {
    const { scheduler, calls, stored, run } = setup(1);
    scheduler.schedule('s', [
      { key: 'p1', priority: 2 },
      { key: 'w2', priority: 1 },
    ]);
    expect(scheduler.warm('w1')).toBe(true);
    expect(scheduler.warm('w2')).toBe(true); // takes the queued prefetch over
    expect(scheduler.warm('w1')).toBe(false); // loading already
    expect(calls).toEqual(['p1', 'w1', 'w2']);
    const reader = scheduler.demand('w2');
    expect(reader.joined).toBe(true);
    await run(100);
    await reader.promise;
    expect(stored).toEqual(
      expect.arrayContaining([
        ['w1', true],
        ['w2', false],
        ['p1', true],
      ]),
    );
    expect(scheduler.stats).toMatchObject({ warmLoads: 2, demandLoads: 0, promoted: 1 });
    expect(scheduler.queuedCount).toBe(0);
  });
});
