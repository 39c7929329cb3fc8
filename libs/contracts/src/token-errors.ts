import { ErrorCodes, type ErrorCode } from './errors';

const PASSED_THROUGH = new Set<string>([
  ErrorCodes.TOKEN_EXPIRED,
  ErrorCodes.TOKEN_MALFORMED,
  ErrorCodes.TOKEN_BAD_SIGNATURE,
  ErrorCodes.TOKEN_UNSUPPORTED_ALG,
  ErrorCodes.TOKEN_UNKNOWN_KEY,
  ErrorCodes.TOKEN_REVOKED,
  ErrorCodes.TOKEN_CLAIM_MISMATCH,
  ErrorCodes.TOKEN_REUSED,
  ErrorCodes.TOKEN_UNKNOWN,
]);

/**
 * The Foresight error code for a token-domain code (`TokenErrorCode` of @foresight/token-core).
 * Client-facing token failures keep their code; internal ones become retryable or invalid-request codes.
 */
export function tokenErrorCode(tokenCode: string): ErrorCode {
  if (PASSED_THROUGH.has(tokenCode)) return tokenCode as ErrorCode;
  if (tokenCode === 'TOKEN.INVALID_ARGUMENT') return ErrorCodes.VALIDATION;
  // TOKEN.VERSION_CONFLICT (a concurrent change: retry) and TOKEN.NO_SIGNING_KEY (keys not loaded yet).
  return ErrorCodes.UNAVAILABLE;
}
