import { DatabaseError } from 'pg';
import { ErrorCodes, ForesightError } from '@foresight/contracts';

/**
 * SQLSTATE classes that say nothing about the rows a statement carried: connection exceptions,
 * errors in the statement itself, lack of resources, operator intervention (shutdown, statement
 * timeout), system and internal errors, configuration. They would fail any subset of a batch alike.
 */
const NOT_ABOUT_THE_DATA = new Set(['08', '42', '53', '57', '58', 'F0', 'XX']);

/**
 * Whether Postgres refused a statement for the data it carried (a value it cannot store, a broken
 * constraint…): then the connection is fine, nothing was written, and retrying the batch without
 * the offending request succeeds. Anything else (a lost connection, a timeout on our side) is not
 * isolatable: the outcome may be unknown, and every request would fail alike.
 */
export function isDataError(error: unknown): boolean {
  return error instanceof DatabaseError && typeof error.code === 'string' && !NOT_ABOUT_THE_DATA.has(error.code.slice(0, 2));
}

/**
 * SQLSTATEs that mean the database cannot serve anyone right now: a connection exception (class 08),
 * too many connections, shutting down or starting up, crashed, recovering (hot standby conflicts are
 * retryable too). Not a property of the request: the same request may succeed a moment later.
 */
const OUTAGE_STATES = new Set(['53300', '57P01', '57P02', '57P03', '57P05']);

/** Socket errors of a connection to the database that went away or never came up. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What node-postgres and its pool say, without a code, when a connection ended or never came. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /connection error and is not queryable/,
  /^Cannot use a pool after calling end/,
];

/** Whether `error` says Postgres is unreachable or going away, rather than anything about the request. */
export function isDatabaseOutage(error: unknown): boolean {
  // Duck-typed: socket errors may come from another realm (a VM context), where instanceof Error fails.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || OUTAGE_STATES.has(code) || SOCKET_CODES.has(code))) return true;
  return typeof message === 'string' && DRIVER_MESSAGES.some((m) => m.test(message));
}

/**
 * A database outage as `SERVICE.UNAVAILABLE` (503 at the gateway, which retries it with the same
 * request id: a write whose commit outcome is unknown is then either applied or recognised as
 * applied); any other error as it is.
 */
export function asServiceError(error: unknown): unknown {
  if (error instanceof ForesightError || !isDatabaseOutage(error)) return error;
  return new ForesightError(ErrorCodes.UNAVAILABLE, 'The session store (Postgres) cannot be reached right now; retry shortly.');
}
