import { observeRequest, type ActivityState, type ReturnModel, type SessionToPlan } from '@foresight/token-core';

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
 * session makes another request before its idle timeout ends it (as in bench:tokens). A token that outlives the session's idle
 * end never needs a refresh: a later request re-plans it. The planner's `sessionId` is the family id.
 */
export function toSessionsToPlan(candidates: readonly Candidate[], now: number, returns: ReturnModel): SessionToPlan[] {
  return candidates.map((c) => {
    const state = c.activity ?? observeRequest(undefined, c.familyCreatedAt);
    const sessionEnd = state.lastAt + c.idleTimeoutMs;
    const p = c.accessExpiresAt >= sessionEnd ? 0 : returns.probabilityReturn(state, now, sessionEnd, c.idleTimeoutMs);
    return { sessionId: c.familyId, expiresAt: c.accessExpiresAt, pActiveAfterExpiry: p };
  });
}
