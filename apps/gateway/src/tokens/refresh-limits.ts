import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { RateLimiter } from './rate-limiter';

/**
 * Rate limits of `POST /v1/tokens/refresh`, per client IP and per refresh token (a family's
 * current token), so guessing tokens or hammering one family is slowed down while a few tabs
 * racing with the same token stay well within the burst.
 */
export class RefreshLimits {
  private readonly byIp: RateLimiter;
  private readonly byToken: RateLimiter;

  constructor(limits: ForesightConfig['token']['rateLimit']) {
    this.byIp = new RateLimiter(limits.perIpPerSecond, limits.ipBurst);
    this.byToken = new RateLimiter(limits.perTokenPerSecond, limits.tokenBurst);
  }

  /** Throws REQUEST.RATE_LIMITED (429) when either bucket is empty. */
  check(ip: string, tokenKey: string, now: number): void {
    for (const take of [this.byIp.take(ip, now), this.byToken.take(tokenKey, now)]) {
      if (!take.ok) {
        throw new ForesightError(ErrorCodes.RATE_LIMITED, 'Too many refresh requests; retry later.', { retryAfterMs: take.retryAfterMs });
      }
    }
  }

  prune(now: number): void {
    this.byIp.prune(now);
    this.byToken.prune(now);
  }
}
