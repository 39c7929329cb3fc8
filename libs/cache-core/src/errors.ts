/** Stable error codes of the cache core; callers map them to HTTP statuses or reply headers. */
export type CacheErrorCode =
  | 'CACHE.INVALID_ARGUMENT'
  | 'CACHE.INVALID_KEY'
  | 'CACHE.INVALID_PATTERN'
  | 'CACHE.ENTRY_TOO_LARGE'
  | 'REQUIREMENT.INVALID_TEMPLATE'
  | 'ORIGIN.NOT_FOUND'
  /** The origin answered that the key does not exist (HTTP 404/410): not a failure of the origin. */
  | 'DATA.NOT_FOUND'
  | 'ORIGIN.TIMEOUT'
  | 'ORIGIN.FAILED'
  | 'ORIGIN.BAD_RESPONSE'
  | 'ORIGIN.CIRCUIT_OPEN'
  | 'PREFETCH.CANCELLED';

/** Codes worth retrying: the next attempt may succeed. */
const RETRYABLE: ReadonlySet<CacheErrorCode> = new Set<CacheErrorCode>(['ORIGIN.TIMEOUT', 'ORIGIN.FAILED']);

/** Error with a stable {@link CacheErrorCode} and a sentence a person can act on. */
export class CacheError extends Error {
  override readonly name = 'CacheError';

  constructor(
    readonly code: CacheErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when retrying the same operation may succeed (timeouts, transient origin failures). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** Type guard for {@link CacheError}, optionally of one code. */
export function isCacheError(value: unknown, code?: CacheErrorCode): value is CacheError {
  return value instanceof CacheError && (code === undefined || value.code === code);
}

/** Throws `CACHE.INVALID_ARGUMENT` unless `value` is a finite number in `[min, max]`. */
export function requireNumber(name: string, value: number, min: number, max = Number.POSITIVE_INFINITY): number {
  if (Number.isNaN(value) || value < min || value > max || value === Number.NEGATIVE_INFINITY) {
    throw new CacheError('CACHE.INVALID_ARGUMENT', `${name} must be a number in [${min}, ${max}], got ${value}.`);
  }
  return value;
}

/** Throws `CACHE.INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. */
export function requireInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CacheError('CACHE.INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${value}.`);
  }
  return value;
}
