import type { GatewaySecurityConfig } from '@foresight/config';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { RateLimiter } from '../tokens/rate-limiter';

/**
 * Rate limits of every mutating request (POST, PUT, PATCH, DELETE): one token bucket per API key for
 * back ends, one per client address for everyone else (browsers with a bearer token, anonymous
 * callers). In memory, per gateway instance: with N instances behind a balancer a client gets up to
 * N times the rate, so configure the rate per instance. A rate of 0 turns that bucket off.
 */
export class WriteLimits {
  private readonly byKey: RateLimiter | undefined;
  private readonly byIp: RateLimiter | undefined;

  constructor(limits: GatewaySecurityConfig['writeLimits']) {
    this.byKey = limits.perKeyPerSecond > 0 ? new RateLimiter(limits.perKeyPerSecond, limits.keyBurst) : undefined;
    this.byIp = limits.perIpPerSecond > 0 ? new RateLimiter(limits.perIpPerSecond, limits.ipBurst) : undefined;
  }

  /** Throws REQUEST.RATE_LIMITED (429, with `retryAfterMs`) when the caller's bucket is empty. */
  check(keyId: string | undefined, clientIp: string, now: number): void {
    const take = keyId !== undefined ? this.byKey?.take(keyId, now) : this.byIp?.take(clientIp, now);
    if (take && !take.ok) {
      throw new ForesightError(
        ErrorCodes.RATE_LIMITED,
        keyId !== undefined
          ? 'Too many writes with this API key; retry after the time in Retry-After.'
          : 'Too many writes from this address; retry after the time in Retry-After.',
        { retryAfterMs: take.retryAfterMs },
      );
    }
  }

  prune(now: number): void {
    this.byKey?.prune(now);
    this.byIp?.prune(now);
  }
}
