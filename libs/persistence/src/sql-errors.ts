import { DatabaseError } from 'pg';

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
