import { seededRng } from '@foresight/random';
import { ManualClock } from '@foresight/time';
import { CacheError, isCacheError } from '../errors';
import { OriginRegistry } from './origin-registry';
import { ResilientOrigin, type OriginFetch, type OriginOptions } from './resilient-origin';

const flush = () => new Promise((r) => setImmediate(r));

/** Scripted origin: each call takes `delays[i]` ms and fails when `fails[i]`. */
function scripted(clock: ManualClock, script: { delay: number; fail?: boolean; garbage?: boolean; missing?: boolean }[]) {
  let calls = 0;
  const fetch: OriginFetch<string> = (key, signal) => {
    const step = script[Math.min(calls++, script.length - 1)]!;
    return new Promise((resolve, reject) => {
      const t = clock.setTimeout(() => {
        if (step.fail) reject(new Error('boom'));
        else if (step.missing) reject(new CacheError('DATA.NOT_FOUND', `no ${key}`));
        else resolve(step.garbage ? ({ value: key } as never) : { value: `v:${key}`, size: 10 });
      }, step.delay);
      signal.addEventListener('abort', () => clock.clearTimeout(t));
    });
  };
  return { fetch, calls: () => calls };
}

async function settle<T>(clock: ManualClock, p: Promise<T>, maxMs = 60_000): Promise<T | CacheError> {
  let done = false;
  let out: T | CacheError | undefined;
  p.then(
    (v) => ((done = true), (out = v)),
    (e) => ((done = true), (out = e as CacheError)),
  );
  const until = clock.now() + maxMs;
  for (;;) {
    await flush();
    const next = clock.nextTimerAt();
    if (done || next === undefined || next > until) break;
    clock.advanceTo(next);
  }
  return out!;
}

function origin(clock: ManualClock, fetch: OriginFetch<string>, o: Partial<OriginOptions<string>> = {}) {
  return new ResilientOrigin<string>(
    { id: 'o', fetch, timeoutMs: 100, backoff: { baseMs: 10, maxMs: 10, jitter: 'none' }, ...o },
    { clock, timers: clock, rng: seededRng(1) },
  );
}

describe('ResilientOrigin', () => {
  it('measures latency into the EWMA', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 20 }]);
    const o = origin(clock, s.fetch, { latencyAlpha: 1 });
    expect(await settle(clock, o.load('k', 'demand'))).toEqual({ value: 'v:k', size: 10 });
    expect(o.latency.value).toBe(20);
  });

  it('times out an attempt, retries a demand load after back-off and succeeds', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 500 }, { delay: 30 }]);
    const o = origin(clock, s.fetch, { retries: 2 });
    const start = clock.now();
    expect(await settle(clock, o.load('k', 'demand'))).toEqual({ value: 'v:k', size: 10 });
    expect(s.calls()).toBe(2);
    expect(clock.now() - start).toBeGreaterThanOrEqual(100 + 10 + 30);
  });

  it('does not retry a prefetch and reports the timeout with its code', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 500 }]);
    const o = origin(clock, s.fetch);
    const e = await settle(clock, o.load('k', 'prefetch'));
    expect(isCacheError(e, 'ORIGIN.TIMEOUT')).toBe(true);
    expect(s.calls()).toBe(1);
  });

  it('rejects garbage without retrying', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 5, garbage: true }]);
    const e = await settle(clock, origin(clock, s.fetch).load('k', 'demand'));
    expect(isCacheError(e, 'ORIGIN.BAD_RESPONSE')).toBe(true);
    expect(s.calls()).toBe(1);
  });

  it('passes "no such key" through at once, without retrying or counting it against the breaker', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 5, missing: true }]);
    const o = origin(clock, s.fetch, { retries: 2, breaker: { failureThreshold: 2, openMs: 1000 } });
    for (let i = 0; i < 5; i++) expect(isCacheError(await settle(clock, o.load(`k${i}`, 'demand')), 'DATA.NOT_FOUND')).toBe(true);
    expect(s.calls()).toBe(5);
    expect(o.available).toBe(true);
  });

  it('opens the circuit after repeated failures and fails fast without calling the origin', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 5, fail: true }]);
    const o = origin(clock, s.fetch, { retries: 0, breaker: { failureThreshold: 3, openMs: 1000 } });
    for (let i = 0; i < 3; i++) expect(isCacheError(await settle(clock, o.load('k', 'demand')), 'ORIGIN.FAILED')).toBe(true);
    expect(o.available).toBe(false);
    const e = await settle(clock, o.load('k', 'demand'), 1);
    expect(isCacheError(e, 'ORIGIN.CIRCUIT_OPEN')).toBe(true);
    expect(s.calls()).toBe(3);
    expect(o.errors.get('ORIGIN.CIRCUIT_OPEN')).toBe(1);
  });

  it('cancels a load when the caller aborts', async () => {
    const clock = new ManualClock();
    const s = scripted(clock, [{ delay: 50 }]);
    const ac = new AbortController();
    const p = origin(clock, s.fetch).load('k', 'prefetch', ac.signal);
    clock.advance(10);
    ac.abort();
    expect(isCacheError(await settle(clock, p), 'PREFETCH.CANCELLED')).toBe(true);
  });

  it('is found by the most specific key pattern', () => {
    const clock = new ManualClock();
    const reg = new OriginRegistry<string>();
    const a = origin(clock, scripted(clock, [{ delay: 1 }]).fetch, { id: 'products' });
    const b = origin(clock, scripted(clock, [{ delay: 1 }]).fetch, { id: 'default' });
    reg.register('*', b);
    reg.register('product:*', a);
    expect(reg.resolve('product:1').id).toBe('products');
    expect(reg.resolve('cart:1').id).toBe('default');
    expect(() => new OriginRegistry<string>().resolve('x')).toThrow(expect.objectContaining({ code: 'ORIGIN.NOT_FOUND' }));
  });
});
