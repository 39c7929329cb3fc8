import { createHash } from 'node:crypto';

import { TokenError } from '../errors';
import type { RandomBytes } from '../random';

/** Refresh tokens carry 256 bits of entropy. */
const REFRESH_TOKEN_BYTES = 32;
const ENCODED_LENGTH = 43; // base64url of 32 bytes, unpadded
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A freshly minted refresh token: the plaintext goes to the client once, only the hash is stored. */
export interface MintedRefreshToken {
  readonly token: string;
  readonly hash: string;
}

/** Mints an opaque 256-bit refresh token from the injected CSPRNG. */
export function mintRefreshToken(randomBytes: RandomBytes): MintedRefreshToken {
  const bytes = randomBytes(REFRESH_TOKEN_BYTES);
  if (bytes.length !== REFRESH_TOKEN_BYTES) throw new TokenError('TOKEN.INVALID_ARGUMENT', 'short random source');
  const token = Buffer.from(bytes).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** True when `token` has the shape of a refresh token (43 base64url characters). */
export function isWellFormedRefreshToken(token: unknown): token is string {
  return typeof token === 'string' && token.length === ENCODED_LENGTH && BASE64URL.test(token);
}

/** SHA-256 of the token, base64url: the only form that is stored or looked up. */
export function hashRefreshToken(token: string): string {
  if (!isWellFormedRefreshToken(token)) throw new TokenError('TOKEN.MALFORMED');
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
