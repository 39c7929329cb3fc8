import { isCacheError } from '@foresight/cache-core';
import { ErrorCodes, ForesightError, type ErrorCode } from '@foresight/contracts';

const CODE_BY_CACHE_ERROR: Readonly<Record<string, ErrorCode>> = {
  'ORIGIN.TIMEOUT': ErrorCodes.ORIGIN_TIMEOUT,
  'ORIGIN.FAILED': ErrorCodes.ORIGIN_FAILED,
  'ORIGIN.BAD_RESPONSE': ErrorCodes.ORIGIN_BAD_RESPONSE,
  'ORIGIN.CIRCUIT_OPEN': ErrorCodes.ORIGIN_CIRCUIT_OPEN,
  'ORIGIN.NOT_FOUND': ErrorCodes.ORIGIN_NOT_FOUND,
  'DATA.NOT_FOUND': ErrorCodes.DATA_NOT_FOUND,
  'CACHE.INVALID_KEY': ErrorCodes.VALIDATION,
  'CACHE.INVALID_PATTERN': ErrorCodes.CACHE_INVALID_PATTERN,
  'REQUIREMENT.INVALID_TEMPLATE': ErrorCodes.REQUIREMENT_INVALID_TEMPLATE,
  'CACHE.ENTRY_TOO_LARGE': ErrorCodes.ORIGIN_BAD_RESPONSE,
};

/** A cache-core error as a ForesightError with the same (or the mapped) stable code; others unchanged. */
export function toForesightError(error: unknown): unknown {
  if (!isCacheError(error)) return error;
  return new ForesightError(CODE_BY_CACHE_ERROR[error.code] ?? ErrorCodes.INTERNAL, error.message);
}
