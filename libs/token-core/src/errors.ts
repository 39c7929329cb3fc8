/** Stable error codes of the token domain. The gateway maps them to HTTP status codes; this lib knows nothing of HTTP. */
export type TokenErrorCode =
  | 'TOKEN.EXPIRED'
  | 'TOKEN.MALFORMED'
  | 'TOKEN.BAD_SIGNATURE'
  | 'TOKEN.UNSUPPORTED_ALG'
  | 'TOKEN.UNKNOWN_KEY'
  | 'TOKEN.REVOKED'
  | 'TOKEN.CLAIM_MISMATCH'
  | 'TOKEN.REUSED'
  | 'TOKEN.UNKNOWN'
  | 'TOKEN.VERSION_CONFLICT'
  | 'TOKEN.NO_SIGNING_KEY'
  | 'TOKEN.INVALID_ARGUMENT';

/**
 * Human-readable messages, deliberately generic: they never echo token content, key ids or
 * which claim failed, so an attacker learns nothing beyond the code.
 */
const MESSAGES: Record<TokenErrorCode, string> = {
  'TOKEN.EXPIRED': 'The token has expired; refresh it or sign in again.',
  'TOKEN.MALFORMED': 'The token is not well formed.',
  'TOKEN.BAD_SIGNATURE': 'The token signature is not valid.',
  'TOKEN.UNSUPPORTED_ALG': 'The token uses an algorithm that is not accepted.',
  'TOKEN.UNKNOWN_KEY': 'The token was signed with a key that is not (or no longer) trusted.',
  'TOKEN.REVOKED': 'The token has been revoked; sign in again.',
  'TOKEN.CLAIM_MISMATCH': 'The token was not issued for this service.',
  'TOKEN.REUSED': 'A refresh token was reused; the whole token family has been revoked. Sign in again.',
  'TOKEN.UNKNOWN': 'The refresh token is not known.',
  'TOKEN.VERSION_CONFLICT': 'The token family changed concurrently; retry the refresh.',
  'TOKEN.NO_SIGNING_KEY': 'No signing key is configured.',
  'TOKEN.INVALID_ARGUMENT': 'Invalid argument.',
};

/** A token-domain failure with a stable `code`. `detail` is for logs only, never for clients. */
export class TokenError extends Error {
  override readonly name = 'TokenError';

  constructor(
    readonly code: TokenErrorCode,
    readonly detail?: string,
  ) {
    super(MESSAGES[code]);
  }
}

/** Type guard for {@link TokenError}. */
export function isTokenError(value: unknown): value is TokenError {
  return value instanceof TokenError;
}
