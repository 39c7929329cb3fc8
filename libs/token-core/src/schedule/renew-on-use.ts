import type { ActivityState } from '../forecast/activity';
import type { ReturnModel } from '../forecast/return-model';
import type { SchedulerConfig } from './refresh-scheduler';

/**
 * Renewal on use: a request that finds its access token within this window of expiry gets the
 * next pair minted off its path (the gateway asks, the token service mints and pushes; the request
 * itself is answered without waiting). The window reaches one planning bucket before the planner's
 * floor, so a request that comes after the planner's last chance to push still renews.
 */
export function renewOnUseWindowMs(c: Pick<SchedulerConfig, 'minSkewMs' | 'bucketMs'>): number {
  return c.minSkewMs + c.bucketMs;
}

/** Whether a request at `now` holding a token that expires at `accessExpiresAt` renews it on use. */
export function shouldRenewOnUse(accessExpiresAt: number, now: number, windowMs: number): boolean {
  return windowMs > 0 && now < accessExpiresAt && accessExpiresAt - now <= windowMs;
}

/**
 * The planner's input for a silent session: the probability that it comes back after its access
 * token has expired and before its idle timeout ends it. With renewal on use, a return before the
 * expiry renews the token itself (or is re-planned at the next bucket), so only a later return
 * needs a pushed pair. Without it (`renewOnUse` false) any return before the idle end counts.
 * A token that outlives the session's idle end never needs a refresh: 0.
 */
export function probabilityNeedsPush(
  returns: ReturnModel,
  state: ActivityState,
  now: number,
  expiresAt: number,
  idleTimeoutMs: number,
  renewOnUse: boolean,
): number {
  const sessionEnd = state.lastAt + idleTimeoutMs;
  if (expiresAt >= sessionEnd) return 0;
  return returns.probabilityReturn(state, now, sessionEnd, idleTimeoutMs, renewOnUse ? expiresAt : now);
}
