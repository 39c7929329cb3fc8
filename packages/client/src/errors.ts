import type { ErrorCode } from './generated/contract.js';

/** Codes of failures the client finds itself, before or instead of an answer from a gateway. */
export const ClientErrorCodes = {
  /** The client was built with options it cannot work with (a bad URL or key, a bad timeout). */
  CONFIGURATION: 'CLIENT.CONFIGURATION',
  /** No gateway could be reached (refused, reset, DNS), after the retries the deadline allowed. */
  CONNECTION: 'CLIENT.CONNECTION',
  /** The call's deadline passed before a gateway answered it. */
  DEADLINE_EXCEEDED: 'CLIENT.DEADLINE_EXCEEDED',
  /** The caller's AbortSignal aborted the call. */
  ABORTED: 'CLIENT.ABORTED',
  /** The gateway speaks a contract version this client does not. */
  INCOMPATIBLE_SERVER: 'CLIENT.INCOMPATIBLE_SERVER',
  /** The gateway answered something that is not the documented JSON. */
  BAD_RESPONSE: 'CLIENT.BAD_RESPONSE',
  /** The client (or its token manager) was closed. */
  CLOSED: 'CLIENT.CLOSED',
} as const;

export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];

export interface ForesightErrorInit {
  readonly code: ErrorCode | ClientErrorCode;
  readonly message: string;
  /** HTTP status of the gateway's answer; undefined for failures found by the client. */
  readonly status?: number;
  readonly correlationId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * Every error the client throws. Switch on `code` (a stable code of the gateway, or a `CLIENT.*`
 * code), or on the subclass; the message is for people.
 */
export class ForesightError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  readonly status: number | undefined;
  readonly correlationId: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(init: ForesightErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.correlationId = init.correlationId;
    this.details = init.details;
  }

  /** True when trying again may succeed (the cluster was unavailable, slow, or unreachable). */
  get retryable(): boolean {
    return false;
  }
}

/** A request or value the gateway refuses as malformed (400 `REQUEST.INVALID`, an unknown group…). */
export class ValidationError extends ForesightError {
  /** JSON pointer of the offending field, when the gateway names one. */
  get path(): string | undefined {
    return typeof this.details?.path === 'string' ? this.details.path : undefined;
  }
}
export class UnauthenticatedError extends ForesightError {}
export class ForbiddenError extends ForesightError {}
export class SessionNotFoundError extends ForesightError {}
export class SessionEndedError extends ForesightError {}
export class VariableNotFoundError extends ForesightError {}
export class IdempotencyKeyReusedError extends ForesightError {}

/** 409: the session moved on since `expectedVersion`; re-read and retry. */
export class VersionConflictError extends ForesightError {
  get currentVersion(): number | undefined {
    return typeof this.details?.currentVersion === 'number' ? this.details.currentVersion : undefined;
  }
}

/** 413, from the gateway or refused by the client before sending with the gateway's own limits. */
export class TooLargeError extends ForesightError {
  /** The limit that was passed, in bytes of the value's JSON (UTF-8). */
  get limitBytes(): number | undefined {
    return typeof this.details?.limit === 'number' ? this.details.limit : undefined;
  }
  /** The size that was refused, when known. */
  get sizeBytes(): number | undefined {
    return typeof this.details?.bytes === 'number' ? this.details.bytes : undefined;
  }
  /** True when the client refused the value without sending it. */
  get clientSide(): boolean {
    return this.details?.clientSide === true;
  }
}

export class RateLimitedError extends ForesightError {
  get retryAfterMs(): number | undefined {
    return typeof this.details?.retryAfterMs === 'number' ? this.details.retryAfterMs : undefined;
  }
  override get retryable(): boolean {
    return true;
  }
}

/** 503/504 from the cluster (no owner answered, a timeout): retried by the client within the deadline. */
export class UnavailableError extends ForesightError {
  override get retryable(): boolean {
    return true;
  }
}

/** The session is locked in a mode that refuses the call (423 `LOCK.HELD`): wait for the lock to be released. */
export class LockHeldError extends ForesightError {}

/**
 * The lock token no longer grants anything (`LOCK.EXPIRED`), holds nothing on the session
 * (`LOCK.NOT_HOLDER`) or is not a lock of it (`LOCK.TOKEN_INVALID`): acquire the lock again and
 * re-read the session before writing.
 */
export class LockLostError extends ForesightError {}

/** An access token the gateway refuses (expired, malformed, unknown key…). */
export class TokenError extends ForesightError {}

/**
 * The session's token family is revoked (logout, reuse of an old refresh token, the session ended):
 * no token of it will work again. Sign in again.
 */
export class TokenRevokedError extends ForesightError {}

/** The predictive cache's origin has no such key (404 `DATA.NOT_FOUND`), or no origin serves it. */
export class DataNotFoundError extends ForesightError {}
/** The predictive cache's origin failed, timed out, or its circuit is open. */
export class OriginError extends ForesightError {
  override get retryable(): boolean {
    return this.code === 'ORIGIN.TIMEOUT' || this.code === 'ORIGIN.CIRCUIT_OPEN';
  }
}

export class ConfigurationError extends ForesightError {
  constructor(message: string) {
    super({ code: ClientErrorCodes.CONFIGURATION, message });
  }
}
export class ConnectionError extends ForesightError {
  override get retryable(): boolean {
    return true;
  }
}
export class DeadlineExceededError extends ForesightError {}
export class AbortedError extends ForesightError {}
export class IncompatibleServerError extends ForesightError {}
export class BadResponseError extends ForesightError {}
export class ClosedError extends ForesightError {}

// Names on the prototypes, so they survive a minifier that renames classes.
for (const [name, Class] of Object.entries({
  ForesightError,
  ValidationError,
  UnauthenticatedError,
  ForbiddenError,
  SessionNotFoundError,
  SessionEndedError,
  VariableNotFoundError,
  IdempotencyKeyReusedError,
  VersionConflictError,
  TooLargeError,
  RateLimitedError,
  UnavailableError,
  TokenError,
  TokenRevokedError,
  LockHeldError,
  LockLostError,
  DataNotFoundError,
  OriginError,
  ConfigurationError,
  ConnectionError,
  DeadlineExceededError,
  AbortedError,
  IncompatibleServerError,
  BadResponseError,
  ClosedError,
})) {
  Object.defineProperty(Class.prototype, 'name', { value: name, writable: true, configurable: true });
}

type ErrorClass = new (init: ForesightErrorInit) => ForesightError;

const BY_CODE: Readonly<Record<string, ErrorClass>> = {
  'REQUEST.INVALID': ValidationError,
  'SESSION.UNKNOWN_GROUP': ValidationError,
  'CACHE.INVALID_PATTERN': ValidationError,
  'REQUIREMENT.INVALID_TEMPLATE': ValidationError,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': ValidationError,
  'REQUEST.URI_TOO_LONG': ValidationError,
  'REQUEST.HEADERS_TOO_LARGE': ValidationError,
  'AUTH.UNAUTHENTICATED': UnauthenticatedError,
  'AUTH.FORBIDDEN': ForbiddenError,
  'SESSION.NOT_FOUND': SessionNotFoundError,
  'SESSION.INVALID_ID': SessionNotFoundError,
  'SESSION.ENDED': SessionEndedError,
  'SESSION.VERSION_CONFLICT': VersionConflictError,
  'SESSION.VARIABLE_NOT_FOUND': VariableNotFoundError,
  'SESSION.VARIABLE_TOO_LARGE': TooLargeError,
  'SESSION.TOO_LARGE': TooLargeError,
  'REQUEST.TOO_LARGE': TooLargeError,
  'REQUEST.IDEMPOTENCY_KEY_REUSED': IdempotencyKeyReusedError,
  'REQUEST.RATE_LIMITED': RateLimitedError,
  'REQUEST.TIMEOUT': UnavailableError,
  'SERVICE.UNAVAILABLE': UnavailableError,
  'SERVICE.TIMEOUT': UnavailableError,
  'SHARD.NOT_OWNER': UnavailableError,
  'SHARD.STALE_EPOCH': UnavailableError,
  'SHARD.NO_OWNER': UnavailableError,
  'TOKEN.REVOKED': TokenRevokedError,
  'TOKEN.REUSED': TokenRevokedError,
  'LOCK.HELD': LockHeldError,
  'LOCK.EXPIRED': LockLostError,
  'LOCK.NOT_HOLDER': LockLostError,
  'LOCK.TOKEN_INVALID': LockLostError,
  'DATA.NOT_FOUND': DataNotFoundError,
  'ORIGIN.NOT_FOUND': DataNotFoundError,
  'ORIGIN.TIMEOUT': OriginError,
  'ORIGIN.FAILED': OriginError,
  'ORIGIN.BAD_RESPONSE': OriginError,
  'ORIGIN.CIRCUIT_OPEN': OriginError,
};

/** The typed error for a gateway's error envelope. */
export function errorFromEnvelope(status: number, body: unknown): ForesightError {
  const error = (body as { error?: { code?: unknown; message?: unknown; correlationId?: unknown; details?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') {
    return new (status >= 500 ? UnavailableError : BadResponseError)({
      code: status >= 500 ? 'SERVICE.UNAVAILABLE' : ClientErrorCodes.BAD_RESPONSE,
      status,
      message: `The gateway answered ${status} without an error body; is the URL a Foresight gateway?`,
    });
  }
  const code = error.code as ErrorCode;
  const Class =
    BY_CODE[code] ?? (code.startsWith('TOKEN.') ? TokenError : status >= 500 && status !== 500 && status !== 502 ? UnavailableError : ForesightError);
  return new Class({
    code,
    status,
    message: error.message,
    correlationId: typeof error.correlationId === 'string' ? error.correlationId : undefined,
    details: typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : undefined,
  });
}
