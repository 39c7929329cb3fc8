import { TokenError } from '../errors';

/** One refresh token of a family, stored by hash only. Times are epoch milliseconds. */
export interface RefreshTokenRecord {
  readonly hash: string;
  /** 0 for the token issued at sign-in, +1 per rotation. */
  readonly generation: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Why a family was revoked. */
export type RevocationReason = 'reuse-detected' | 'logout' | 'session-ended' | 'admin';

/**
 * A refresh-token family: every token descended from one sign-in. `version` increases with every
 * event, so the service can persist it with a versioned update (`WHERE version = $expected`).
 */
export interface RefreshFamily {
  readonly familyId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly createdAt: number;
  /** No token of the family outlives this, however often it rotates. */
  readonly absoluteExpiresAt: number;
  readonly version: number;
  readonly status: 'active' | 'revoked';
  readonly revokedAt?: number;
  readonly revokedReason?: RevocationReason;
  readonly current: RefreshTokenRecord;
  /** The immediately previous token and when it was rotated away (the only one eligible for grace). */
  readonly previous?: RefreshTokenRecord & { readonly rotatedAt: number };
  /** Hashes of every older rotated token: presenting one of them is reuse. */
  readonly retiredHashes: readonly string[];
}

/** Events of a family, applied by {@link evolve}. */
export type RefreshFamilyEvent =
  | {
      readonly type: 'FamilyIssued';
      readonly familyId: string;
      readonly userId: string;
      readonly sessionId: string;
      readonly token: RefreshTokenRecord;
      readonly absoluteExpiresAt: number;
      readonly at: number;
    }
  | { readonly type: 'TokenRotated'; readonly fromGeneration: number; readonly next: RefreshTokenRecord; readonly at: number }
  | { readonly type: 'FamilyRevoked'; readonly reason: RevocationReason; readonly at: number };

/**
 * Applies one event. Explicit transitions: issued → active; active --TokenRotated--> active
 * (current becomes previous, previous becomes retired); active --FamilyRevoked--> revoked (final).
 * Throws `TOKEN.VERSION_CONFLICT` if a rotation was decided on a stale generation and
 * `TOKEN.REVOKED` if anything but another revocation targets a revoked family.
 */
export function evolve(state: RefreshFamily | undefined, event: RefreshFamilyEvent): RefreshFamily {
  if (event.type === 'FamilyIssued') {
    if (state) throw new TokenError('TOKEN.VERSION_CONFLICT', 'family exists');
    return {
      familyId: event.familyId,
      userId: event.userId,
      sessionId: event.sessionId,
      createdAt: event.at,
      absoluteExpiresAt: event.absoluteExpiresAt,
      version: 1,
      status: 'active',
      current: event.token,
      retiredHashes: [],
    };
  }
  if (!state) throw new TokenError('TOKEN.UNKNOWN', `${event.type} without family`);
  if (event.type === 'FamilyRevoked') {
    if (state.status === 'revoked') return state;
    return { ...state, version: state.version + 1, status: 'revoked', revokedAt: event.at, revokedReason: event.reason };
  }
  if (state.status === 'revoked') throw new TokenError('TOKEN.REVOKED');
  if (event.fromGeneration !== state.current.generation || event.next.generation !== state.current.generation + 1) {
    throw new TokenError('TOKEN.VERSION_CONFLICT', `rotation from ${event.fromGeneration}, current ${state.current.generation}`);
  }
  return {
    ...state,
    version: state.version + 1,
    current: event.next,
    previous: { ...state.current, rotatedAt: event.at },
    retiredHashes: state.previous ? [...state.retiredHashes, state.previous.hash] : state.retiredHashes,
  };
}

/** Folds a stream of events into the family state. */
export function replay(events: readonly RefreshFamilyEvent[]): RefreshFamily | undefined {
  return events.reduce<RefreshFamily | undefined>((s, e) => evolve(s, e), undefined);
}
