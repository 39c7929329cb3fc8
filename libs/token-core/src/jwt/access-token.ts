import { SignJWT } from 'jose';

import { TokenError } from '../errors';
import { ACCESS_TOKEN_ALG, type KeyRing } from './key-ring';

/** Claims carried by every access token. Times are epoch seconds, as in RFC 7519. */
export interface AccessTokenClaims {
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly iss: string;
  readonly aud: string;
}

/** What the caller decides when minting an access token. */
export interface AccessTokenRequest {
  readonly userId: string;
  readonly sessionId: string;
  /** Unique token id; generate it from an injected id source. */
  readonly jti: string;
  /** Issue time, epoch milliseconds (from the injected clock). */
  readonly now: number;
  readonly ttlMs: number;
  readonly issuer: string;
  readonly audience: string;
}

/** A signed access token and its decoded claims. */
export interface SignedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
  readonly kid: string;
}

/** Signs an access token with the ring's current key. Throws `TOKEN.NO_SIGNING_KEY` on an empty ring. */
export async function signAccessToken(ring: KeyRing, req: AccessTokenRequest): Promise<SignedAccessToken> {
  const key = ring.current;
  if (!key) throw new TokenError('TOKEN.NO_SIGNING_KEY');
  if (!(req.ttlMs > 0)) throw new TokenError('TOKEN.INVALID_ARGUMENT', 'ttlMs must be positive');
  const iat = Math.floor(req.now / 1000);
  // Round expiry down so a token never outlives the requested TTL.
  const exp = Math.floor((req.now + req.ttlMs) / 1000);
  const claims: AccessTokenClaims = {
    sub: req.userId,
    sid: req.sessionId,
    jti: req.jti,
    iat,
    exp,
    iss: req.issuer,
    aud: req.audience,
  };
  const token = await new SignJWT({ sid: claims.sid })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setJti(claims.jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .sign(key.privateKey);
  return { token, claims, kid: key.kid };
}
