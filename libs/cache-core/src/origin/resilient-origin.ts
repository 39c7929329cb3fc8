import type { Rng } from '@foresight/random';
import { backoffDelay, sleep, type BackoffOptions, type Clock, type Timers } from '@foresight/time';
import { CacheError, isCacheError, requireInt, requireNumber } from '../errors';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import { Ewma } from './ewma';

/** What an origin returns for a key: the value and its size in bytes. */
export interface OriginResponse<V> {
  readonly value: V;
  readonly size: number;
}

/** Fetches one key from a data source; should honour `signal` (abort on timeout or cancellation). */
export type OriginFetch<V> = (key: string, signal: AbortSignal) => Promise<OriginResponse<V>>;

/** Why a load runs: a reader is waiting (`demand`) or it is speculative (`prefetch`). */
export type Lane = 'demand' | 'prefetch';

/** Options of {@link ResilientOrigin}. */
export interface OriginOptions<V> {
  readonly id: string;
  readonly fetch: OriginFetch<V>;
  /** Per-attempt timeout (default 1,000 ms). */
  readonly timeoutMs?: number;
  /** Retries of a demand load after a timeout or failure (default 2). */
  readonly retries?: number;
  /** Retries of a prefetch (default 0: a failed prefetch is simply dropped). */
  readonly prefetchRetries?: number;
  readonly backoff?: BackoffOptions;
  readonly breaker?: CircuitBreakerOptions;
  /** Extra check of a response; `false` means garbage (`ORIGIN.BAD_RESPONSE`, not retried). */
  readonly validate?: (value: V) => boolean;
  /** Prefetches allowed in flight at once against this origin (default 8). */
  readonly maxPrefetchConcurrency?: number;
  /** Latency assumed before the first measurement (default 50 ms). */
  readonly initialLatencyMs?: number;
  /** Weight of each latency sample in the EWMA (default 0.2). */
  readonly latencyAlpha?: number;
}

/** Injected time and randomness. */
export interface OriginDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly rng: Rng;
}

/**
 * A data source wrapped with a per-attempt timeout, retries with jittered back-off, a circuit
 * breaker and a latency EWMA (which feeds prefetch priority). Errors carry `ORIGIN.*` codes.
 */
export class ResilientOrigin<V> {
  readonly id: string;
  readonly latency: Ewma;
  readonly breaker: CircuitBreaker;
  readonly maxPrefetchConcurrency: number;
  private readonly o: OriginOptions<V>;
  private readonly timeoutMs: number;
  /** Loads that ended in an error, by code. */
  readonly errors = new Map<string, number>();

  constructor(
    options: OriginOptions<V>,
    private readonly deps: OriginDeps,
  ) {
    this.o = options;
    this.id = options.id;
    this.timeoutMs = requireNumber('timeoutMs', options.timeoutMs ?? 1000, 1);
    requireInt('retries', options.retries ?? 2, 0, 10);
    requireInt('prefetchRetries', options.prefetchRetries ?? 0, 0, 10);
    this.maxPrefetchConcurrency = requireInt('maxPrefetchConcurrency', options.maxPrefetchConcurrency ?? 8, 0);
    this.latency = new Ewma(options.latencyAlpha ?? 0.2, options.initialLatencyMs ?? 50);
    this.breaker = new CircuitBreaker(deps.clock, options.breaker);
  }

  /** False while the circuit is open: callers should not even queue speculative work. */
  get available(): boolean {
    return this.breaker.state !== 'open';
  }

  /** Loads `key`, retrying per lane; rejects with a {@link CacheError}. */
  async load(key: string, lane: Lane, signal?: AbortSignal): Promise<OriginResponse<V>> {
    const retries = lane === 'demand' ? (this.o.retries ?? 2) : (this.o.prefetchRetries ?? 0);
    let last: CacheError | undefined;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw cancelled(key);
      if (!this.breaker.tryAcquire()) {
        throw this.count(
          new CacheError('ORIGIN.CIRCUIT_OPEN', `Origin "${this.id}" is failing; its circuit is open for another ${Math.ceil(this.breaker.retryAfterMs)} ms.`, {
            cause: last,
          }),
        );
      }
      try {
        return await this.attempt(key, signal);
      } catch (e) {
        last = e as CacheError;
        if (last.code === 'PREFETCH.CANCELLED' || !last.retryable || attempt >= retries) throw this.count(last);
      }
      await sleep(backoffDelay(attempt, this.o.backoff ?? {}, this.deps.rng), { timers: this.deps.timers, signal }).catch(() => {
        throw cancelled('(retry)');
      });
    }
  }

  private async attempt(key: string, signal?: AbortSignal): Promise<OriginResponse<V>> {
    const { clock, timers } = this.deps;
    const started = clock.now();
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = timers.setTimeout(() => {
        ac.abort();
        reject(new CacheError('ORIGIN.TIMEOUT', `Origin "${this.id}" did not answer for "${key}" within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => signal?.aborted && reject(cancelled(key)), { once: true }));
    try {
      const res = await Promise.race([this.o.fetch(key, ac.signal), timeout, aborted]);
      this.check(key, res);
      this.breaker.onSuccess();
      this.latency.update(clock.now() - started);
      return res;
    } catch (e) {
      const err = isCacheError(e)
        ? e
        : new CacheError('ORIGIN.FAILED', `Origin "${this.id}" failed for "${key}": ${(e as Error)?.message ?? String(e)}`, { cause: e });
      if (err.code === 'DATA.NOT_FOUND') {
        // A healthy origin saying "no such key": counts for the breaker and the latency like a success.
        this.breaker.onSuccess();
        this.latency.update(clock.now() - started);
      } else if (err.code === 'PREFETCH.CANCELLED') this.breaker.onAbandon();
      else this.breaker.onFailure();
      if (err.code === 'ORIGIN.TIMEOUT') this.latency.update(this.timeoutMs);
      throw err;
    } finally {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private check(key: string, res: OriginResponse<V> | undefined): void {
    const ok = res !== null && typeof res === 'object' && Number.isInteger(res.size) && res.size >= 0 && (this.o.validate?.(res.value) ?? true);
    if (!ok) throw new CacheError('ORIGIN.BAD_RESPONSE', `Origin "${this.id}" returned a malformed response for "${key}".`);
  }

  private count(e: CacheError): CacheError {
    this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1);
    return e;
  }
}

function cancelled(key: string): CacheError {
  return new CacheError('PREFETCH.CANCELLED', `Load of "${key}" was cancelled.`);
}
