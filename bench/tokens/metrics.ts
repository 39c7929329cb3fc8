/** Largest number of events in any window [t, t + windowMs), by a two-pointer sweep over sorted times. */
export function peakInWindow(sortedTimes: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sortedTimes.length; hi++) {
    while (sortedTimes[hi]! - sortedTimes[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Per-policy results of the refresh simulation. */
export interface PolicyResult {
  readonly policy: string;
  readonly requests: number;
  readonly requestsMetExpiredToken: number;
  readonly requestsWaitedOnRefresh: number;
  /** Requests that met an expired token or waited (each request counted once). */
  readonly requestsExpiredOrWaited: number;
  /** Rotations: pairs minted by a refresh (sign-ins excluded). */
  readonly refreshes: number;
  /** Refresh calls, including grace hits that returned the current pair without minting. */
  readonly refreshCalls: number;
  readonly refreshesPerActiveSessionHour: number;
  readonly refreshesAfterLastRequest: number;
  /** Of those, pairs Foresight's scheduler pushed (the rest come from renewal on use or on-request refreshes). */
  readonly pushedAfterLastRequest: number;
  /** Of those, pairs renewed on use (on the session's final request). */
  readonly renewedAfterLastRequest: number;
  /** Minted pairs whose access token no request ever presented (superseded first, or the session never came back). */
  readonly refreshesNeverPresented: number;
  /** Foresight only: access tokens issued longer than the base lifetime because a peak was predicted. */
  readonly extendedAccessTokens: number;
  /** Most refreshes minted within any 1-second sliding window: the burst the token service absorbs. */
  readonly peakRefreshesPerSecond: number;
  /** Highest average rate over the longer sustained window (refreshes per second). */
  readonly sustainedPeakRefreshesPerSecond: number;
  readonly familiesRevokedForReuse: number;
  /** Foresight only: refreshes the scheduler pulled before `exp − threshold` to dodge a predicted peak. */
  readonly refreshesPulledForward: number;
  /** Foresight only: pairs minted beside a request that found its token close to expiry (renewal on use). */
  readonly refreshesRenewedOnUse: number;
  readonly otherVerificationFailures: number;
  /**
   * Foresight's push decisions (pushes and renewals on use, one per token), resolved by what the
   * session did next: needed (it came back after the expiry) or not; and tokens let expire whose
   * session came back after the expiry. All zero for the other policies.
   */
  readonly pushesNeeded: number;
  readonly pushesNotNeeded: number;
  readonly letExpireCameBack: number;
}
