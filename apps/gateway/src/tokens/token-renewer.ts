import { shouldRenewOnUse, type AccessTokenClaims } from '@foresight/token-core';
import { familyOfJti } from './revocation-list';

export interface TokenRenewerDeps {
  /** Asks the token service to mint the next pair of a family (the `renew` request). */
  readonly renew: (request: { sessionId: string; familyId: string; generation: number }) => Promise<{ renewed: boolean }>;
  /** How close to its expiry a used access token is renewed. */
  readonly windowMs: number;
  /** At most this many tokens remembered as already asked for (the oldest are forgotten first). */
  readonly maxRemembered?: number;
  readonly onAsked?: () => void;
  readonly onFailed?: (error: unknown) => void;
}

/**
 * Renewal on use, the gateway half: a request whose verified access token expires within the
 * window asks the token service, once per token, to mint the next pair. The request is not held
 * for it: the pair reaches the client over its WebSocket like a pre-minted one. Sessions that stop
 * making requests cost nothing, and a request after the planner's last chance to push still renews.
 */
export class TokenRenewer {
  /** jti → when to forget it (its expiry). Insertion order is expiry order closely enough to trim. */
  private readonly asked = new Map<string, number>();
  private readonly max: number;

  constructor(private readonly deps: TokenRenewerDeps) {
    this.max = deps.maxRemembered ?? 100_000;
  }

  /** Called with every verified token's claims. Returns whether it asked for a renewal. */
  onUse(claims: AccessTokenClaims, now: number): boolean {
    const expiresAt = claims.exp * 1000;
    if (!shouldRenewOnUse(expiresAt, now, this.deps.windowMs) || this.asked.has(claims.jti)) return false;
    const family = familyOfJti(claims.jti);
    if (!family) return false;
    this.trim(now);
    this.asked.set(claims.jti, expiresAt);
    this.deps.onAsked?.();
    this.deps.renew({ sessionId: claims.sid, familyId: family.familyId, generation: family.generation }).catch((error: unknown) => {
      // Asked again by the next request with this token; the client's own refresh remains the fallback.
      this.asked.delete(claims.jti);
      this.deps.onFailed?.(error);
    });
    return true;
  }

  /** How many tokens are remembered (for tests). */
  get remembered(): number {
    return this.asked.size;
  }

  private trim(now: number): void {
    for (const [jti, forgetAt] of this.asked) {
      if (forgetAt > now && this.asked.size < this.max) break;
      this.asked.delete(jti);
    }
  }
}
