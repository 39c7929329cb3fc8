import type { GatewaySecurityConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, MAX_USAGE_ENTRIES, type WriteLimitUsage } from '@foresight/contracts';
import { RateLimiter } from '../tokens/rate-limiter';

type Usage = Pick<WriteLimitUsage, 'keys' | 'addresses'>;

/**
 * Rate limits of every mutating request (POST, PUT, PATCH, DELETE): one token bucket per API key for
 * back ends, one per client address for everyone else (browsers with a bearer token, anonymous
 * callers). The buckets live in each gateway's memory; with sharing on, each gateway also records
 * what it granted, reports it to the others ({@link takeUsage}) and is charged what they granted
 * ({@link charge}), so the rates hold for the cluster. A rate of 0 turns that bucket off.
 */
export class WriteLimits {
  private readonly byKey: RateLimiter | undefined;
  private readonly byIp: RateLimiter | undefined;
  /** Writes granted since the last report, per bucket; undefined when nothing is shared. */
  private granted: { keys: Map<string, number>; addresses: Map<string, number> } | undefined;

  constructor(limits: GatewaySecurityConfig['writeLimits']) {
    this.byKey = limits.perKeyPerSecond > 0 ? new RateLimiter(limits.perKeyPerSecond, limits.keyBurst) : undefined;
    this.byIp = limits.perIpPerSecond > 0 ? new RateLimiter(limits.perIpPerSecond, limits.ipBurst) : undefined;
    if (limits.shareEveryMs > 0) this.granted = { keys: new Map(), addresses: new Map() };
  }

  /** Throws REQUEST.RATE_LIMITED (429, with `retryAfterMs`) when the caller's bucket is empty. */
  check(keyId: string | undefined, clientIp: string, now: number): void {
    const take = keyId !== undefined ? this.byKey?.take(keyId, now) : this.byIp?.take(clientIp, now);
    if (!take) return;
    if (!take.ok) {
      throw new ForesightError(
        ErrorCodes.RATE_LIMITED,
        keyId !== undefined
          ? 'Too many writes with this API key; retry after the time in Retry-After.'
          : 'Too many writes from this address; retry after the time in Retry-After.',
        { retryAfterMs: take.retryAfterMs },
      );
    }
    if (this.granted) count(keyId !== undefined ? this.granted.keys : this.granted.addresses, keyId ?? clientIp);
  }

  /** What this gateway granted since the last call (for the others to be charged), and forget it. */
  takeUsage(): Usage {
    if (!this.granted) return { keys: [], addresses: [] };
    const usage = { keys: [...this.granted.keys], addresses: [...this.granted.addresses] };
    this.granted = { keys: new Map(), addresses: new Map() };
    return usage;
  }

  /** Charges the buckets with what another gateway granted from them. */
  charge(usage: Usage, now: number): void {
    if (this.byKey) for (const [key, n] of usage.keys) this.byKey.charge(key, n, now);
    if (this.byIp) for (const [address, n] of usage.addresses) this.byIp.charge(address, n, now);
  }

  prune(now: number): void {
    this.byKey?.prune(now);
    this.byIp?.prune(now);
  }
}

/**
 * One more grant from `bucket`. A report names at most {@link MAX_USAGE_ENTRIES} buckets per kind:
 * past that, a flood of new addresses is not reported (each still has its own bucket here).
 */
function count(map: Map<string, number>, bucket: string): void {
  const n = map.get(bucket);
  if (n !== undefined) map.set(bucket, Math.min(n + 1, 1_000_000));
  else if (map.size < MAX_USAGE_ENTRIES) map.set(bucket, 1);
}
