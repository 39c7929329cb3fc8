import { decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

import { TokenError, type TokenErrorCode } from '../errors';
import type { AccessTokenClaims } from './access-token';
import { ACCESS_TOKEN_ALG, findKey, type KeyRing } from './key-ring';

/** Options for {@link verifyAccessToken}. */
export interface VerifyOptions {
  /** Verification time, epoch milliseconds (from the injected clock). */
  readonly now: number;
  readonly issuer: string;
  readonly audience: string;
  /** Accepted clock skew in seconds between issuer and verifier; default 0. */
  readonly clockToleranceSec?: number;
  /** Optional revocation check (jti or session revoked). Runs only after the signature is proven. */
  readonly isRevoked?: (claims: AccessTokenClaims) => boolean | Promise<boolean>;
}

/** Outcome of a verification: claims, or a {@link TokenError} with a stable code and a generic message. */
export type VerifyResult = { readonly ok: true; readonly claims: AccessTokenClaims } | { readonly ok: false; readonly error: TokenError };

const fail = (code: TokenErrorCode, detail?: string): VerifyResult => ({ ok: false, error: new TokenError(code, detail) });

/**
 * Verifies an access token against the key ring. Order matters: header and algorithm first
 * (`alg: none`, HS256 … are refused before any key is looked up), then the key id, then the
 * signature, and only then the claims, so nothing unsigned is ever trusted.
 */
export async function verifyAccessToken(ring: KeyRing, token: string, opts: VerifyOptions): Promise<VerifyResult> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192 || token.split('.').length !== 3) {
    return fail('TOKEN.MALFORMED');
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail('TOKEN.MALFORMED');
  }
  if (header.alg !== ACCESS_TOKEN_ALG) return fail('TOKEN.UNSUPPORTED_ALG', String(header.alg));
  if (typeof header.kid !== 'string') return fail('TOKEN.UNKNOWN_KEY', 'no kid');
  const key = findKey(ring, header.kid);
  if (!key) return fail('TOKEN.UNKNOWN_KEY', header.kid);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: opts.issuer,
      audience: opts.audience,
      currentDate: new Date(opts.now),
      clockTolerance: opts.clockToleranceSec ?? 0,
      requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
    }));
  } catch (e) {
    return fail(mapJoseError(e), (e as { code?: string }).code);
  }
  const claims = toClaims(payload);
  if (!claims) return fail('TOKEN.MALFORMED', 'claim types');
  if (opts.isRevoked && (await opts.isRevoked(claims))) return fail('TOKEN.REVOKED');
  return { ok: true, claims };
}

function mapJoseError(e: unknown): TokenErrorCode {
  const code = (e as { code?: string }).code;
  const claim = (e as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'TOKEN.EXPIRED';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'TOKEN.BAD_SIGNATURE';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'TOKEN.UNSUPPORTED_ALG';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      // A missing required claim is a malformed token; a wrong iss/aud/nbf/iat is a mismatch.
      return claim === 'iss' || claim === 'aud' || claim === 'nbf' || claim === 'iat' ? mismatchOrMalformed(e) : 'TOKEN.MALFORMED';
    default:
      return 'TOKEN.MALFORMED';
  }
}

function mismatchOrMalformed(e: unknown): TokenErrorCode {
  const reason = (e as { reason?: string }).reason;
  return reason === 'missing' ? 'TOKEN.MALFORMED' : 'TOKEN.CLAIM_MISMATCH';
}

function toClaims(p: JWTPayload): AccessTokenClaims | undefined {
  const { sub, jti, iat, exp, iss, aud } = p;
  const sid = p['sid'];
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof iss !== 'string' || typeof aud !== 'string') return undefined;
  return { sub, sid, jti, iat, exp, iss, aud };
}
