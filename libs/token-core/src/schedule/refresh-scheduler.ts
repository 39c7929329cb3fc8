/** Policy knobs of the predictive refresh scheduler. Times in milliseconds. */
export interface SchedulerConfig {
  /** Planning resolution: refreshes are assigned to buckets of this length. */
  readonly bucketMs: number;
  /** A session becomes due this long before its token expires (default 5 min). */
  readonly thresholdMs: number;
  /** The floor: refresh no later than this before expiry, whatever the forecasts say. */
  readonly minSkewMs: number;
  /** How much earlier than `expiresAt − thresholdMs` a refresh may move to avoid a predicted peak. */
  readonly maxPullForwardMs: number;
  /** Sessions whose P(active after expiry) is below this are left to expire. */
  readonly activeProbability: number;
  /** Target ceiling of token-service work per bucket (forecast load + planned refreshes); the floor wins over it. */
  readonly maxLoadPerBucket: number;
}

/** A session holding a token, with its activity forecast. */
export interface SessionToPlan {
  readonly sessionId: string;
  readonly expiresAt: number;
  /** Forecast probability that the session makes a request after `expiresAt` (before its idle timeout). */
  readonly pActiveAfterExpiry: number;
}

/** Everything the plan depends on; the plan is a pure function of it. */
export interface PlanInput {
  readonly now: number;
  readonly sessions: readonly SessionToPlan[];
  /** Forecast token-service work (e.g. sign-ins) per bucket; index 0 is [now, now + bucketMs). Missing buckets count as 0. */
  readonly loadForecast: readonly number[];
  readonly config: SchedulerConfig;
}

/** The decision for one session. */
export type PlanEntry =
  | { readonly sessionId: string; readonly action: 'refresh-now' }
  | { readonly sessionId: string; readonly action: 'refresh-later'; readonly at: number }
  | { readonly sessionId: string; readonly action: 'not-due' }
  | { readonly sessionId: string; readonly action: 'let-expire' };

/**
 * Decides when each session's token is refreshed. Sessions unlikely to be active after expiry are
 * left to expire. The others are placed, most urgent first, into the bucket of their window with
 * the least planned work: the window is [expiresAt − threshold, expiresAt − minSkew], extended up
 * to `maxPullForwardMs` earlier only when every bucket of it would exceed `maxLoadPerBucket`
 * (a predicted peak). Ties go to the later bucket, so no refresh happens earlier than needed.
 * A wrong forecast can only move a refresh earlier: nothing is ever placed after the floor.
 */
export function planRefreshes(input: PlanInput): PlanEntry[] {
  const { now, config: c } = input;
  const horizonBuckets = Math.ceil((c.thresholdMs + c.maxPullForwardMs) / c.bucketMs) + 1;
  const planned = new Array<number>(horizonBuckets).fill(0);
  const load = (b: number): number => (input.loadForecast[b] ?? 0) + planned[b]!;
  const bucketOf = (t: number): number => Math.max(0, Math.floor((t - now) / c.bucketMs));

  const entries: PlanEntry[] = [];
  const due: SessionToPlan[] = [];
  for (const s of input.sessions) {
    if (s.pActiveAfterExpiry < c.activeProbability) entries.push({ sessionId: s.sessionId, action: 'let-expire' });
    else if (s.expiresAt - c.thresholdMs - c.maxPullForwardMs > now + (horizonBuckets - 1) * c.bucketMs) {
      entries.push({ sessionId: s.sessionId, action: 'not-due' });
    } else due.push(s);
  }
  due.sort((a, b) => a.expiresAt - b.expiresAt || (a.sessionId < b.sessionId ? -1 : 1));

  for (const s of due) {
    const last = Math.min(bucketOf(s.expiresAt - c.minSkewMs), horizonBuckets - 1);
    const preferredFirst = Math.min(bucketOf(s.expiresAt - c.thresholdMs), last);
    let chosen = quietest(preferredFirst, last, load);
    if (load(chosen) >= c.maxLoadPerBucket) {
      const early = Math.min(bucketOf(s.expiresAt - c.thresholdMs - c.maxPullForwardMs), preferredFirst);
      if (early < preferredFirst) {
        const alt = quietest(early, preferredFirst - 1, load);
        if (load(alt) < load(chosen)) chosen = alt;
      }
    }
    planned[chosen]!++;
    entries.push(
      chosen === 0 ? { sessionId: s.sessionId, action: 'refresh-now' } : { sessionId: s.sessionId, action: 'refresh-later', at: now + chosen * c.bucketMs },
    );
  }
  return entries;
}

/** The bucket in [from, to] with the least load; ties resolved to the later bucket. */
function quietest(from: number, to: number, load: (b: number) => number): number {
  let best = to;
  for (let b = to - 1; b >= from; b--) if (load(b) < load(best)) best = b;
  return best;
}
