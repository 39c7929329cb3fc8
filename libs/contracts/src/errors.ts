/**
 * Stable error codes. They know nothing of HTTP: the gateway maps them to status codes in one
 * exception filter, services put them in RPC replies.
 */
export const ErrorCodes = {
  VALIDATION: 'REQUEST.INVALID',
  PAYLOAD_TOO_LARGE: 'REQUEST.TOO_LARGE',
  MALFORMED_MESSAGE: 'MESSAGE.MALFORMED',
  UNAUTHENTICATED: 'AUTH.UNAUTHENTICATED',
  FORBIDDEN: 'AUTH.FORBIDDEN',
  SESSION_NOT_FOUND: 'SESSION.NOT_FOUND',
  SESSION_INVALID_ID: 'SESSION.INVALID_ID',
  SESSION_ENDED: 'SESSION.ENDED',
  SESSION_VERSION_CONFLICT: 'SESSION.VERSION_CONFLICT',
  VARIABLE_NOT_FOUND: 'SESSION.VARIABLE_NOT_FOUND',
  VARIABLE_TOO_LARGE: 'SESSION.VARIABLE_TOO_LARGE',
  SESSION_TOO_LARGE: 'SESSION.TOO_LARGE',
  UNKNOWN_GROUP: 'SESSION.UNKNOWN_GROUP',
  NOT_OWNER: 'SHARD.NOT_OWNER',
  STALE_EPOCH: 'SHARD.STALE_EPOCH',
  NO_OWNER: 'SHARD.NO_OWNER',
  /** A register for a node id that is live under another incarnation (its lease has not run out). */
  NODE_INCARNATION_CONFLICT: 'NODE.INCARNATION_CONFLICT',
  /** An edge id the affinity service does not know (never registered, or asked for by a stranger). */
  EDGE_NOT_FOUND: 'EDGE.NOT_FOUND',
  /** A register for an edge id that is live under another incarnation. */
  EDGE_INCARNATION_CONFLICT: 'EDGE.INCARNATION_CONFLICT',
  /** No edge is healthy, so a session cannot be given one. */
  AFFINITY_NO_EDGE: 'AFFINITY.NO_EDGE',
  UNAVAILABLE: 'SERVICE.UNAVAILABLE',
  TIMEOUT: 'SERVICE.TIMEOUT',
  INTERNAL: 'SERVICE.INTERNAL',
  UNKNOWN_OPERATION: 'RPC.UNKNOWN_OPERATION',
  ROUTE_NOT_FOUND: 'REQUEST.ROUTE_NOT_FOUND',
  RATE_LIMITED: 'REQUEST.RATE_LIMITED',
  /** An idempotency key (request id) already used for a different request to the same session. */
  IDEMPOTENCY_KEY_REUSED: 'REQUEST.IDEMPOTENCY_KEY_REUSED',
  // HTTP-level refusals, raised before a request reaches a route.
  UNSUPPORTED_MEDIA_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  URI_TOO_LONG: 'REQUEST.URI_TOO_LONG',
  HEADERS_TOO_LARGE: 'REQUEST.HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST.TIMEOUT',
  /**
   * The caller closed its connection before the answer: the gateway stops retrying the call (a
   * client that gave up on an attempt retries it itself). Logged as HTTP 499, never seen by a client.
   */
  CANCELLED: 'REQUEST.CANCELLED',
  // Tokens: the same codes as @foresight/token-core's TokenError.
  TOKEN_EXPIRED: 'TOKEN.EXPIRED',
  TOKEN_MALFORMED: 'TOKEN.MALFORMED',
  TOKEN_BAD_SIGNATURE: 'TOKEN.BAD_SIGNATURE',
  TOKEN_UNSUPPORTED_ALG: 'TOKEN.UNSUPPORTED_ALG',
  TOKEN_UNKNOWN_KEY: 'TOKEN.UNKNOWN_KEY',
  TOKEN_REVOKED: 'TOKEN.REVOKED',
  TOKEN_CLAIM_MISMATCH: 'TOKEN.CLAIM_MISMATCH',
  TOKEN_REUSED: 'TOKEN.REUSED',
  TOKEN_UNKNOWN: 'TOKEN.UNKNOWN',
  // Prediction: no stored model yet, or the version asked for is no longer served.
  PREDICTION_MODEL_NOT_FOUND: 'PREDICTION.MODEL_NOT_FOUND',
  // Predictive cache: the same codes as @foresight/cache-core's CacheError where they overlap.
  ORIGIN_TIMEOUT: 'ORIGIN.TIMEOUT',
  ORIGIN_FAILED: 'ORIGIN.FAILED',
  ORIGIN_BAD_RESPONSE: 'ORIGIN.BAD_RESPONSE',
  ORIGIN_CIRCUIT_OPEN: 'ORIGIN.CIRCUIT_OPEN',
  /** No origin is registered for the key's pattern. */
  ORIGIN_NOT_FOUND: 'ORIGIN.NOT_FOUND',
  /** The key's origin answered that the key does not exist (HTTP 404/410, or a NATS `NOT_FOUND` error). */
  DATA_NOT_FOUND: 'DATA.NOT_FOUND',
  CACHE_INVALID_PATTERN: 'CACHE.INVALID_PATTERN',
  REQUIREMENT_INVALID_TEMPLATE: 'REQUIREMENT.INVALID_TEMPLATE',
  // Session locks: the session's owner node decides; a write under an exclusive lock presents its token.
  /** The session is locked in a mode that refuses this acquisition or this write. */
  LOCK_HELD: 'LOCK.HELD',
  /** The lock this token named has expired (or was released): it no longer grants anything. */
  LOCK_EXPIRED: 'LOCK.EXPIRED',
  /** A renewal or release by a token that holds no lock on this session. */
  LOCK_NOT_HOLDER: 'LOCK.NOT_HOLDER',
  /** A write presented a lock token that is not a live exclusive lock of this session. */
  LOCK_TOKEN_INVALID: 'LOCK.TOKEN_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The error every Foresight component throws for an expected failure. */
export class ForesightError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'ForesightError';
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The wire form of an error, in RPC replies and HTTP bodies. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ErrorBody).code === 'string' && typeof (value as ErrorBody).message === 'string';
}
