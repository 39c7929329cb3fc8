import { ErrorCodes, ForesightError } from '@foresight/contracts';

export interface HeartbeatAttempts {
  /** Each attempt's timeout. */
  readonly perAttemptMs: number;
  /** At most this many attempts per heartbeat. */
  readonly attempts: number;
  /** No attempt starts that could end after this (the clock of `now`): the lease must not run out meanwhile. */
  readonly deadline: number;
  readonly now: () => number;
  /** Stop retrying (the node is stopping). */
  readonly stopped?: () => boolean;
}

/**
 * One heartbeat, sent again at once when an attempt times out or finds nobody listening. The metadata
 * instances answer in a queue group: after one of them dies (SIGKILL), the bus may still hand it a
 * request or two before it notices, and an attempt sent there only times out. The next attempt normally
 * goes to a live instance, so retrying at once, rather than at the next heartbeat, renews the lease well
 * before it can run out. Any other error (the metadata service refused) is the answer, not retried.
 */
export async function heartbeatWithRetries<T>(send: (timeoutMs: number) => Promise<T>, options: HeartbeatAttempts): Promise<{ reply: T; attempts: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= Math.max(1, options.attempts); attempt++) {
    try {
      return { reply: await send(options.perAttemptMs), attempts: attempt };
    } catch (error) {
      lastError = error;
      if (!retryable(error) || options.stopped?.() === true) break;
      if (options.now() + options.perAttemptMs > options.deadline) break;
    }
  }
  throw lastError;
}

/** A timeout or a missing responder says nothing about the metadata service as a whole: another instance may answer. */
function retryable(error: unknown): boolean {
  return error instanceof ForesightError && (error.code === ErrorCodes.TIMEOUT || error.code === ErrorCodes.UNAVAILABLE);
}
