import { requireInt, requireNumber } from '../errors';

/** Options of {@link SessionKnn}. */
export interface SessionKnnOptions {
  /** Sessions kept (a ring: the oldest is evicted when a new one opens; default 100,000). */
  readonly maxSessions?: number;
  /** Per action, the most recent sessions holding it that are candidate neighbours (M, default 500). */
  readonly postingLimit?: number;
  /** Neighbours whose items are scored (k, default 100). */
  readonly neighbours?: number;
  /** Most recent actions of the current session that find and weigh neighbours (default 20). */
  readonly historyWindow?: number;
  /**
   * A neighbour's vote is divided by the rank (1 = latest) of the most recent action of the
   * current session it shares, so neighbours that continue from where the session is now count
   * most (default false).
   */
  readonly stepDecay?: boolean;
  /**
   * Default of {@link SessionKnn.score}'s `afterDecay`: above 0, a neighbour votes only for what
   * it did after the most recent action it shares with the session, less the further after
   * (default 0: for all of its actions alike).
   */
  readonly afterDecay?: number;
  /** Distinct actions stored per session; later new ones are not indexed (default 200). */
  readonly maxSessionItems?: number;
  /** Default of {@link SessionKnn.score}'s `skipSessionItems`: leave actions already in the session unscored (default false; the ensemble learns a repeat factor instead). */
  readonly skipSessionItems?: boolean;
}

/** Resolved {@link SessionKnnOptions}. */
export type ResolvedKnnOptions = Required<SessionKnnOptions>;

/** Fills defaults and validates; throws `PREDICTION.INVALID_ARGUMENT`. */
export function resolveKnnOptions(o: SessionKnnOptions = {}): ResolvedKnnOptions {
  return {
    maxSessions: requireInt('maxSessions', o.maxSessions ?? 100_000, 1, 1 << 26),
    postingLimit: requireInt('postingLimit', o.postingLimit ?? 500, 1, 1 << 20),
    neighbours: requireInt('neighbours', o.neighbours ?? 100, 1, 1 << 16),
    historyWindow: requireInt('historyWindow', o.historyWindow ?? 20, 1, 1 << 12),
    maxSessionItems: requireInt('maxSessionItems', o.maxSessionItems ?? 200, 1, 1 << 16),
    skipSessionItems: o.skipSessionItems ?? false,
    stepDecay: o.stepDecay ?? false,
    afterDecay: requireNumber('afterDecay', o.afterDecay ?? 0, 0, 1e6),
  };
}
