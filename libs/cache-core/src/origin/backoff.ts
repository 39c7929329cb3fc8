import { requireInt, requireNumber } from '../errors';
import type { Rng } from '../util/rng';

/** Retry back-off: exponential from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter (default 50 ms). */
  readonly baseMs?: number;
  /** Cap (default 2,000 ms). */
  readonly maxMs?: number;
  /** `full`: uniform in [0, d]; `equal`: uniform in [d/2, d]; `none` (default `full`). */
  readonly jitter?: 'full' | 'equal' | 'none';
}

/** Delay before retry number `attempt` (0 = first retry). Jitter spreads retries of many clients apart. */
export function backoffDelay(attempt: number, options: BackoffOptions, rng: Rng): number {
  requireInt('attempt', attempt, 0);
  const base = requireNumber('baseMs', options.baseMs ?? 50, 0);
  const max = requireNumber('maxMs', options.maxMs ?? 2000, base);
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
