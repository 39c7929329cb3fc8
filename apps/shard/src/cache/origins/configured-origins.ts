import { OriginRegistry, ResilientOrigin } from '@foresight/cache-core';
import type { OriginSpec } from '@foresight/config';
import { systemTimers, type Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { httpOriginFetch } from './http-origin';
import { OriginKeyPattern } from './key-template';
import { natsOriginFetch } from './nats-origin';

/** One origin of `FORESIGHT_ORIGINS`, as the cache node serves it. */
export interface ConfiguredOrigin {
  readonly spec: OriginSpec;
  readonly pattern: OriginKeyPattern;
  readonly origin: ResilientOrigin<unknown>;
}

/**
 * The configured origins (HTTP through Node's fetch, NATS through request/reply), each behind a
 * `ResilientOrigin` (timeout, retries, breaker), registered by key pattern; and the TTL of each
 * pattern that has one.
 */
export function configuredOrigins(
  specs: readonly OriginSpec[],
  deps: { readonly nc: NatsConnection; readonly clock: Clock; readonly maxValueBytes: number },
): { registry: OriginRegistry<unknown>; origins: ConfiguredOrigin[]; ttlByPattern: Record<string, number> } {
  const registry = new OriginRegistry<unknown>();
  const ttlByPattern: Record<string, number> = {};
  const origins = specs.map((spec) => {
    const pattern = new OriginKeyPattern(spec.pattern);
    const fetch = spec.kind === 'http' ? httpOriginFetch(spec, pattern, deps.maxValueBytes) : natsOriginFetch(spec, deps.nc, deps.maxValueBytes);
    const origin = new ResilientOrigin<unknown>(
      {
        id: spec.id,
        fetch,
        timeoutMs: spec.timeoutMs,
        retries: spec.retries,
        prefetchRetries: spec.prefetchRetries,
        backoff: { baseMs: 50, maxMs: 200, jitter: 'full' },
        breaker: { failureThreshold: spec.breaker.failureThreshold, openMs: spec.breaker.openMs },
        maxPrefetchConcurrency: spec.maxPrefetchConcurrency,
      },
      { clock: deps.clock, timers: systemTimers, rng: Math.random },
    );
    registry.register(pattern.registryPattern, origin);
    if (spec.ttlMs !== null) ttlByPattern[pattern.registryPattern] = spec.ttlMs;
    return { spec, pattern, origin };
  });
  return { registry, origins, ttlByPattern };
}
