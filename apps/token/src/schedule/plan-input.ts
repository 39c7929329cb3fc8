import { observeRequest, probabilityNeedsPush, type ActivityState, type RatedSession, type ReturnModel, type SessionToPlan } from '@foresight/token-core';

/** A family whose access token expires within the planning horizon, with its session's activity. */
export interface Candidate {
  readonly familyId: string;
  readonly sessionId: string;
  readonly generation: number;
  readonly accessExpiresAt: number;
  readonly familyCreatedAt: number;
  /** Undefined when no session event was seen (the sign-in then counts as the last request). */
  readonly activity: ActivityState | undefined;
  readonly idleTimeoutMs: number;
}

/**
 * Scheduler input for each candidate: the probability, from the learned return model, that its
 * session comes back after the access token's expiry and before its idle timeout ends it (as in
 * bench:tokens). A return before the expiry renews the token on use (the gateway's `renew`), or is
 * re-planned at the next bucket, so it needs no push. A token that outlives the session's idle end
 * never needs a refresh. The planner's `sessionId` is the family id.
 */
export function toSessionsToPlan(candidates: readonly Candidate[], now: number, returns: ReturnModel): SessionToPlan[] {
  return toRatedSessions(candidates, now, returns).map((s) => ({ sessionId: s.sessionId, expiresAt: s.expiresAt, pActiveAfterExpiry: s.rating }));
}

/** The same ratings, raw, with what the push ledger needs to decide each token once and settle it later. */
export function toRatedSessions(candidates: readonly Candidate[], now: number, returns: ReturnModel): RatedSession[] {
  return candidates.map((c) => {
    const state = c.activity ?? observeRequest(undefined, c.familyCreatedAt);
    const rating = probabilityNeedsPush(returns, state, now, c.accessExpiresAt, c.idleTimeoutMs, true);
    return { sessionId: c.familyId, expiresAt: c.accessExpiresAt, rating, idleEndsAt: state.lastAt + c.idleTimeoutMs, lastAt: state.lastAt };
  });
}
