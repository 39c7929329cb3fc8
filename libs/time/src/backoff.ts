import type { Rng } from '@foresight/random';

/** Retry back-off: exponential from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter (default 50 ms). */
  readonly baseMs?: number;
  /** Cap (default 2,000 ms); the delay never exceeds it, jitter included. */
  readonly maxMs?: number;
  /**
   * `full`: uniform in [0, d) — spreads many clients' retries the most; `equal`: uniform in
   * [d/2, d) — spread, but never much sooner than planned; `none`: d (default `full`).
   */
  readonly jitter?: 'full' | 'equal' | 'none';
}

/**
 * The one retry back-off of the code base: the delay before retry number `attempt` (0 = first
 * retry) is d = min(maxMs, baseMs · 2^attempt), jittered with `rng` (uniform in [0, 1): inject
 * `Math.random` in services, a seeded generator in tests and simulations).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, rng: Rng): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be an integer ≥ 0, got ${attempt}.`);
  const base = options.baseMs ?? 50;
  const max = options.maxMs ?? 2000;
  if (!(base >= 0) || base === Number.POSITIVE_INFINITY) throw new RangeError(`baseMs must be a finite number ≥ 0, got ${base}.`);
  if (!(max >= base)) throw new RangeError(`maxMs must be a number ≥ baseMs (${base}), got ${max}.`);
  const d = Math.min(max, base * 2 ** Math.min(attempt, 30));
  switch (options.jitter ?? 'full') {
    case 'full':
      return rng() * d;
    case 'equal':
      return d / 2 + (rng() * d) / 2;
    case 'none':
      return d;
  }
}
