import { seededRng } from '@foresight/random';
import type { ManualClock } from '@foresight/time';
import { CacheError } from '../errors';
import { OriginRegistry } from '../origin/origin-registry';
import { ResilientOrigin, type OriginOptions } from '../origin/resilient-origin';

/** Test helper: an origin on a manual clock answering every key after `latencyMs` (keys `missing:*` do not exist), logging calls. */
export function fakeOrigin(clock: ManualClock, latencyMs: number, options: Partial<OriginOptions<string>> = {}) {
  const calls: string[] = [];
  const origin = new ResilientOrigin<string>(
    {
      id: 'fake',
      timeoutMs: 10_000,
      initialLatencyMs: latencyMs,
      fetch: (key, signal) => {
        calls.push(key);
        return new Promise((resolve, reject) => {
          const t = clock.setTimeout(
            () => (key.startsWith('missing:') ? reject(new CacheError('DATA.NOT_FOUND', `no ${key}`)) : resolve({ value: `v:${key}`, size: 1 })),
            latencyMs,
          );
          signal.addEventListener('abort', () => clock.clearTimeout(t));
        });
      },
      ...options,
    },
    { clock, timers: clock, rng: seededRng(1) },
  );
  const registry = new OriginRegistry<string>();
  registry.register('*', origin);
  return { origin, registry, calls };
}

/** Lets pending promise callbacks run. */
export const flush = () => new Promise((r) => setImmediate(r));
