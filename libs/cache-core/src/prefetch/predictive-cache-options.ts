import type { Clock } from '@foresight/time';
import type { ProtectionTable } from '../eviction/protection-table';
import type { OriginRegistry } from '../origin/origin-registry';
import type { LearnedRequirements } from '../requirements/learned';
import type { RequirementResolver } from '../requirements/resolver';
import type { SkippedTemplate } from '../requirements/template';
import type { ByteCache } from '../store/byte-cache';
import type { PlannedKey, PlannerOptions } from './planner';
import type { ActionPredictor } from './predictor';
import type { VictimMeasure } from './budget-meter';

/** Options of `PredictiveCache`. */
export interface PredictiveCacheOptions<V> {
  readonly cache: ByteCache<V>;
  readonly origins: OriginRegistry<V>;
  readonly requirements: RequirementResolver;
  readonly clock: Clock;
  /** Next-action model; without one the node only caches. */
  readonly predictor?: ActionPredictor;
  readonly planner?: PlannerOptions;
  /** Feed `predictor.observe` with every recorded action (default false: the model is trained elsewhere). */
  readonly learnOnline?: boolean;
  /** Fed with every read, to learn requirements nobody declared. */
  readonly learned?: LearnedRequirements;
  /** The eviction scorer's table of predicted keys (Foresight policy); omitted with LRU/LFU. */
  readonly protection?: ProtectionTable;
  /** Requests of the session during which a predicted key stays protected (default 10). */
  readonly protectSteps?: number;
  /** TTL in ms by key pattern (most specific wins). */
  readonly ttlByPattern?: Readonly<Record<string, number>>;
  /** A session not seen for this long is forgotten (default 30 min). */
  readonly sessionIdleMs?: number;
  /** A session not seen for this long stops protecting its predicted keys (default 60 s). */
  readonly liveSessionMs?: number;
  /**
   * Share of the cache budget that the predicted keys of all live sessions may take together
   * (default 0.75; Infinity = unbounded). Each live session gets an equal slice; its most likely keys
   * are protected and prefetched until the slice is used. Without it, many sessions or a small cache
   * make prefetches evict each other before they are read.
   */
  readonly prefetchBudgetShare?: number;
  /**
   * When a session's predicted keys exceed its slice, older predictions count for `p × ageDecay^age`
   * (age in the session's requests) and the least valuable are dropped (default 0.7).
   */
  readonly protectionAgeDecay?: number;
  /**
   * How long a key its origin does not have (`DATA.NOT_FOUND`) is remembered as absent: reads within it
   * get the same error without asking the origin, and it is not prefetched (default 5,000 ms; 0 = off).
   * Invalidating the key forgets it at once.
   */
  readonly notFoundTtlMs?: number;
  /**
   * Also load the keys of the action just recorded (declared or learned), on the demand lane: they are
   * certain to be read next, so that read joins the load or finds the value (default false).
   */
  readonly warmCurrentAction?: boolean;
  /**
   * Origin fetches allowed, as a multiple of what a demand-only LRU cache of the same size would
   * fetch on the same reads (estimated online; at least 1; omitted = no limit). The node prefetches
   * only within it and moves its prefetch threshold from the measured precision of its prefetches.
   */
  readonly fetchBudget?: number;
  /** Which evictions price a prefetch under the budget (default `shadow`; see {@link VictimMeasure}). */
  readonly victimMeasure?: VictimMeasure;
  /**
   * Under the budget, whose precision is held to the floor: `all` prefetches (default) or the
   * `marginal` ones, admitted with a probability under twice the threshold of the moment.
   */
  readonly budgetJudge?: 'all' | 'marginal';
  /** Size assumed for a key never loaded before (default 1,024 bytes). */
  readonly defaultSizeBytes?: number;
  /** Passed to the scheduler. */
  readonly maxQueuedPerOwner?: number;
  readonly abortStalePrefetches?: boolean;
}

/** Result of a read. */
export interface GetResult<V> {
  readonly value: V;
  /** `cache`: no wait; `inflight`: joined a load already running; `origin`: loaded on demand. */
  readonly source: 'cache' | 'inflight' | 'origin';
  /** The value was in the cache thanks to a prefetch (first read of a prefetched entry). */
  readonly prefetched: boolean;
  /** Time spent waiting for the origin, ms. */
  readonly waitedMs: number;
}

/** What one recorded action planned. */
export interface PrefetchPlan {
  readonly planned: readonly PlannedKey[];
  /** Keys sent to the prefetch queue (not resident, not already loading). */
  readonly queued: readonly string[];
  readonly skipped: readonly SkippedTemplate[];
}
