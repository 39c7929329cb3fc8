import { ErrorCodes, ForesightError, type LockMode, type LockStateName } from '@foresight/contracts';

/** One lock granted on a session: its token is the holder's proof. */
export interface LockGrant {
  readonly token: string;
  readonly mode: LockMode;
  readonly holder: string | null;
  readonly leaseMs: number;
  /** Epoch ms; the lock grants nothing from then on. */
  readonly expiresAt: number;
  /** The acquisition's request id: a retried acquisition gets the same grant back. */
  readonly requestId?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The lock state of the sessions a node owns, in memory and framework-free (time is passed in):
 * unlocked, shared (any number of holders, no writes by anyone) or exclusive (one holder, and only
 * writes carrying its token). A lease ends at `expiresAt` unless renewed. Tokens of locks that
 * expired or were released are remembered for `forgetAfterMs`, so their late use is told apart
 * (`LOCK.EXPIRED`) from a token never issued here (`LOCK.NOT_HOLDER`, `LOCK.TOKEN_INVALID`).
 */
export class LockTable {
  private readonly live = new Map<string, LockGrant[]>();
  /** `sessionId token` → when the token stopped granting (expiry or release). */
  private readonly ended = new Map<string, number>();
  /** Grants that expired since the last sweep (their records are to be deleted). */
  private expiredSinceSweep: { sessionId: string; token: string }[] = [];

  constructor(private readonly forgetAfterMs: number) {}

  /** Live grants of a session; expired ones move to the ended tokens. */
  grants(sessionId: string, now: number): readonly LockGrant[] {
    const all = this.live.get(sessionId);
    if (!all) return [];
    const alive = all.filter((g) => g.expiresAt > now);
    if (alive.length !== all.length) {
      for (const g of all) {
        if (g.expiresAt > now) continue;
        this.ended.set(key(sessionId, g.token), g.expiresAt);
        this.expiredSinceSweep.push({ sessionId, token: g.token });
      }
      if (alive.length === 0) this.live.delete(sessionId);
      else this.live.set(sessionId, alive);
    }
    return alive;
  }

  state(sessionId: string, now: number): LockStateName {
    return stateOf(this.grants(sessionId, now));
  }

  /** The live grant of an earlier acquisition with this request id, if any (a retried acquisition). */
  byRequest(sessionId: string, requestId: string | undefined, now: number): LockGrant | undefined {
    if (requestId === undefined) return undefined;
    return this.grants(sessionId, now).find((g) => g.requestId === requestId);
  }

  /** Throws `LOCK.HELD` when `mode` cannot be granted now: exclusive needs no holder, shared no exclusive one. */
  checkAcquire(sessionId: string, mode: LockMode, now: number): void {
    const held = this.grants(sessionId, now);
    const blocking = mode === 'exclusive' ? held : held.filter((g) => g.mode === 'exclusive');
    if (blocking.length === 0) return;
    const until = Math.max(...blocking.map((g) => g.expiresAt));
    const state = stateOf(held);
    throw new ForesightError(
      ErrorCodes.LOCK_HELD,
      `Session ${sessionId} is locked (${state}) until ${iso(until)} unless renewed; retry once the lock is released or has expired.`,
      { state, expiresAt: iso(until) },
    );
  }

  /** Records a grant (the caller checked it with {@link checkAcquire} and made it durable). */
  add(sessionId: string, grant: LockGrant): void {
    this.live.set(sessionId, [...(this.live.get(sessionId) ?? []), grant]);
  }

  /** Installs the grants a new owner found in the store, replacing what it held for the session. */
  install(sessionId: string, grants: readonly LockGrant[]): void {
    if (grants.length === 0) this.live.delete(sessionId);
    else this.live.set(sessionId, [...grants]);
  }

  /** Extends a live lock to `now + leaseMs`; `LOCK.EXPIRED` or `LOCK.NOT_HOLDER` otherwise. */
  renew(sessionId: string, token: string, leaseMs: number, now: number): LockGrant {
    const current = this.holding(sessionId, token, now, 'renew');
    const renewed: LockGrant = { ...current, leaseMs, expiresAt: Math.max(current.expiresAt, now + leaseMs) };
    this.live.set(
      sessionId,
      this.grants(sessionId, now).map((g) => (g.token === token ? renewed : g)),
    );
    return renewed;
  }

  /**
   * Gives a lock back: the grant released, or undefined when the lock had already expired or been
   * released (releasing twice is harmless). A token never issued for the session is `LOCK.NOT_HOLDER`.
   */
  release(sessionId: string, token: string, now: number): LockGrant | undefined {
    const held = this.grants(sessionId, now);
    const grant = held.find((g) => g.token === token);
    if (!grant) {
      if (this.ended.has(key(sessionId, token))) return undefined;
      throw notHolder(sessionId);
    }
    this.install(
      sessionId,
      held.filter((g) => g.token !== token),
    );
    this.ended.set(key(sessionId, token), now);
    return grant;
  }

  /**
   * May a write carrying `token` (or none) change the session now? Unlocked: yes, unless it carries a
   * token that no longer grants anything (a holder whose lock ran out must not write believing it
   * still holds it). Shared: no one writes. Exclusive: only with the holder's token.
   */
  checkWrite(sessionId: string, token: string | undefined, now: number): void {
    const held = this.grants(sessionId, now);
    const exclusive = held.find((g) => g.mode === 'exclusive');
    if (token !== undefined && exclusive?.token === token) return;
    if (token !== undefined && !held.some((g) => g.token === token)) {
      const endedAt = this.ended.get(key(sessionId, token));
      if (endedAt !== undefined) {
        throw new ForesightError(
          ErrorCodes.LOCK_EXPIRED,
          `The lock this token held on session ${sessionId} ended at ${iso(endedAt)}; acquire the lock again and re-read the session before writing.`,
          { endedAt: iso(endedAt) },
        );
      }
      throw new ForesightError(
        ErrorCodes.LOCK_TOKEN_INVALID,
        `The lock token is not a lock held on session ${sessionId}; send the token that POST /v1/sessions/{id}/locks returned for this session.`,
      );
    }
    if (held.length === 0) return;
    const until = iso(Math.max(...held.map((g) => g.expiresAt)));
    if (exclusive) {
      throw new ForesightError(
        ErrorCodes.LOCK_HELD,
        `Session ${sessionId} is under an exclusive lock until ${until} unless renewed: only writes carrying the holder's token (lock-token header) are accepted; wait for the lock to be released.`,
        { state: 'exclusive', expiresAt: until },
      );
    }
    throw new ForesightError(
      ErrorCodes.LOCK_HELD,
      `Session ${sessionId} is under a shared lock until ${until} unless renewed, and nobody writes while shared locks are held; wait for them to be released, or hold an exclusive lock to write.`,
      { state: 'shared', expiresAt: until },
    );
  }

  /**
   * Sweeps: moves expired grants to the ended tokens (returned, so their records can be deleted)
   * and forgets ended tokens older than `forgetAfterMs`.
   */
  sweep(now: number): { sessionId: string; token: string }[] {
    for (const sessionId of [...this.live.keys()]) this.grants(sessionId, now);
    for (const [k, at] of this.ended) if (at + this.forgetAfterMs <= now) this.ended.delete(k);
    const expired = this.expiredSinceSweep;
    this.expiredSinceSweep = [];
    return expired;
  }

  /** Forgets the sessions `drop` selects (their shard left this node); returns how many. */
  dropWhere(drop: (sessionId: string) => boolean): number {
    let n = 0;
    for (const id of [...this.live.keys()]) {
      if (drop(id)) {
        this.live.delete(id);
        n++;
      }
    }
    for (const k of [...this.ended.keys()]) if (drop(k.slice(0, k.indexOf(' ')))) this.ended.delete(k);
    this.expiredSinceSweep = this.expiredSinceSweep.filter((e) => !drop(e.sessionId));
    return n;
  }

  /** Sessions with at least one grant held (expired ones may linger until the next sweep). */
  get lockedSessions(): number {
    return this.live.size;
  }

  private holding(sessionId: string, token: string, now: number, what: 'renew'): LockGrant {
    const grant = this.grants(sessionId, now).find((g) => g.token === token);
    if (grant) return grant;
    const endedAt = this.ended.get(key(sessionId, token));
    if (endedAt !== undefined) {
      throw new ForesightError(
        ErrorCodes.LOCK_EXPIRED,
        `Cannot ${what}: the lock this token held on session ${sessionId} ended at ${iso(endedAt)}; acquire it again.`,
        { endedAt: iso(endedAt) },
      );
    }
    throw notHolder(sessionId);
  }
}

function stateOf(grants: readonly LockGrant[]): LockStateName {
  if (grants.length === 0) return 'unlocked';
  return grants.some((g) => g.mode === 'exclusive') ? 'exclusive' : 'shared';
}

const key = (sessionId: string, token: string): string => `${sessionId} ${token}`;

function notHolder(sessionId: string): ForesightError {
  return new ForesightError(
    ErrorCodes.LOCK_NOT_HOLDER,
    `This token holds no lock on session ${sessionId}: acquire one with POST /v1/sessions/{id}/locks and use the token it returns.`,
  );
}
