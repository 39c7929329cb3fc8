import type { ForesightConfig } from '@foresight/config';
import { ForesightError, tokenErrorCode } from '@foresight/contracts';
import type { Clock } from '@foresight/time';
import { verifyAccessToken, type AccessTokenClaims } from '@foresight/token-core';
import type { JwksCache } from './jwks-cache';

/**
 * Verifies access tokens at the gateway with token-core against the cached JWKS, and the L1
 * revocation list. Failures become ForesightErrors with the token code and token-core's generic
 * message: which claim or key failed is never told to the client.
 */
export class AccessTokenVerifier {
  constructor(
    private readonly jwks: JwksCache,
    private readonly isRevoked: (claims: AccessTokenClaims) => boolean,
    private readonly clock: Clock,
    private readonly config: ForesightConfig['token'],
    /** Sees every verified token (renewal on use). */
    private readonly onVerified?: (claims: AccessTokenClaims, now: number) => void,
  ) {}

  async verify(token: string): Promise<AccessTokenClaims> {
    const opts = { now: this.clock.now(), issuer: this.config.issuer, audience: this.config.audience, isRevoked: this.isRevoked };
    let result = await verifyAccessToken(await this.jwks.current(), token, opts);
    if (!result.ok && result.error.code === 'TOKEN.UNKNOWN_KEY') result = await verifyAccessToken(await this.jwks.afterUnknownKey(), token, opts);
    if (!result.ok) throw new ForesightError(tokenErrorCode(result.error.code), result.error.message);
    this.onVerified?.(result.claims, opts.now);
    return result.claims;
  }
}
