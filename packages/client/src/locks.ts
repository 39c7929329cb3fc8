import { ForesightError, LockLostError } from './errors.js';
import type { LockApi, LockMode, SessionApi } from './session-api.js';
import { SessionClient } from './session.js';
import type { CallOptions } from './transport.js';

export interface WithLockOptions {
  /** Lease asked for (default: the gateway's `LOCK_DEFAULT_LEASE_MS`); renewed every third of it. */
  readonly leaseMs?: number;
  /** A label naming the holder, shown in the lock's status. */
  readonly holder?: string;
  /** Aborts the acquisition and the renewals; `fn` sees it through `lock.signal`. */
  readonly signal?: AbortSignal;
}

/** What `fn` gets: the token, a session handle whose writes carry it, and a signal that fires if the lock is lost. */
export interface HeldLock {
  readonly sessionId: string;
  readonly token: string;
  readonly mode: LockMode;
  /** When the lease ends unless renewed, counted from when the last (re)acquisition was sent: never later than the owner's. */
  readonly expiresAt: Date;
  /** Calls on the session; every write carries the lock token. */
  readonly session: SessionClient;
  /** Aborted when a renewal is refused (the lock expired or was taken) or the lease ran out unrenewed. */
  readonly signal: AbortSignal;
}

/**
 * Acquires a lock on the session, runs `fn` with it, renewing the lease every third of it while `fn`
 * runs, and releases it when `fn` settles (the release's own failure is ignored: the lease ends the
 * lock anyway). If a renewal is refused, or the lease runs out because renewals did not get through,
 * `lock.signal` aborts; writes made after that are refused by the session's owner (`LockLostError`).
 */
export async function withLock<T>(
  api: LockApi & SessionApi,
  sessionId: string,
  mode: LockMode,
  fn: (lock: HeldLock) => Promise<T>,
  options: WithLockOptions = {},
): Promise<T> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  let sentAt = Date.now();
  const grant = await api.acquireLock(sessionId, mode, { leaseMs: options.leaseMs, holder: options.holder }, call);
  const leaseMs = grant.leaseMs;
  const lost = new AbortController();
  let expiresAt = Math.min(sentAt + leaseMs, Date.parse(grant.expiresAt));
  const session = new SessionClient(api, sessionId, {}, { lockToken: grant.token, ...call });
  const lock: HeldLock = {
    sessionId,
    token: grant.token,
    mode,
    get expiresAt() {
      return new Date(expiresAt);
    },
    session,
    signal: lost.signal,
  };
  const lose = (reason: unknown) => {
    if (!lost.signal.aborted) lost.abort(reason);
  };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const renewEvery = Math.max(50, Math.floor(leaseMs / 3));
  const renew = async () => {
    if (stopped) return;
    sentAt = Date.now();
    try {
      const renewed = await api.renewLock(sessionId, grant.token, { leaseMs }, call);
      expiresAt = Math.max(expiresAt, Math.min(sentAt + leaseMs, Date.parse(renewed.expiresAt)));
    } catch (error) {
      if (error instanceof LockLostError || (error instanceof ForesightError && !error.retryable)) lose(error);
    }
    if (Date.now() >= expiresAt)
      lose(new LockLostError({ code: 'LOCK.EXPIRED', message: `The lock on session ${sessionId} expired before it could be renewed.` }));
    if (!stopped && !lost.signal.aborted) timer = setTimeout(() => void renew(), renewEvery);
  };
  timer = setTimeout(() => void renew(), renewEvery);
  try {
    return await fn(lock);
  } finally {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (!lost.signal.aborted) await api.releaseLock(sessionId, grant.token).catch(() => undefined);
  }
}
