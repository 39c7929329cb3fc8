import { edgeScore, expectedRttMs, type EdgeScoreOptions, type EdgeState, DEFAULT_EDGE_SCORE } from './edge-score';
import { weightedRendezvous } from './rendezvous';

/** Why a session is on the edge a routing decision chose. */
export type RouteReason = 'kept' | 'new' | 'edge-down' | 'low-weight';

export interface RouteInput {
  /** Rendezvous key: the session id, or the user id when sessions of one user should share an edge. */
  readonly key: string;
  /** The session's edge, when it has one. */
  readonly current?: string;
  readonly weight: number;
  /** Below this weight a session leaves its edge. */
  readonly threshold: number;
  readonly clientZone?: string;
  readonly edges: readonly EdgeState[];
  readonly scoreOptions?: EdgeScoreOptions;
  /**
   * Forecast placement (the predictive policy): only edges whose expected cost for the client's zone
   * (RTT learned from every session's reports, plus expected failures) is within this margin of the
   * best edge's are candidates. Absent: every healthy edge is (plain weighted rendezvous).
   */
  readonly forecast?: ForecastPlacement;
}

export interface ForecastPlacement {
  /** How much worse than the best a candidate may be expected to be, ms (the cost of a move is the natural bound). */
  readonly marginMs: number;
  /** What a failed attempt costs the client, ms. */
  readonly failureCostMs: number;
}

export interface RouteDecision {
  /** The chosen edge; undefined only when no edge is healthy. */
  readonly edgeId: string | undefined;
  readonly reason: RouteReason;
  readonly moved: boolean;
}

/**
 * Weighted routing: a session stays on its edge while the edge is healthy and its weight is at least
 * the threshold. Otherwise it is (re)assigned among the healthy edges by weighted rendezvous over
 * their scores for the client; a session leaving for a low weight does not pick its edge again when
 * another is healthy.
 */
export function route(input: RouteInput): RouteDecision {
  const o = input.scoreOptions ?? DEFAULT_EDGE_SCORE;
  const current = input.current !== undefined ? input.edges.find((e) => e.edgeId === input.current) : undefined;
  if (current?.healthy && input.weight >= input.threshold) return { edgeId: current.edgeId, reason: 'kept', moved: false };
  const reason: RouteReason = input.current === undefined ? 'new' : current?.healthy ? 'low-weight' : 'edge-down';
  let candidates = input.edges.filter((e) => e.healthy);
  if (reason === 'low-weight' && candidates.length > 1) candidates = candidates.filter((e) => e.edgeId !== input.current);
  if (input.forecast) candidates = withinMargin(candidates, input.clientZone, input.forecast, o);
  const edgeId = weightedRendezvous(
    input.key,
    candidates.map((e) => ({ edgeId: e.edgeId, score: edgeScore(e, input.clientZone, o) })),
  );
  if (edgeId === undefined) return { edgeId: current?.edgeId, reason, moved: false };
  return { edgeId, reason, moved: edgeId !== input.current };
}

/** Expected cost (ms) of one request of a client in `clientZone` on the edge: its RTT and its failures. */
export function expectedCostMs(edge: EdgeState, clientZone: string | undefined, failureCostMs: number, o: EdgeScoreOptions = DEFAULT_EDGE_SCORE): number {
  return expectedRttMs(edge, clientZone, o) + (edge.errorRate ?? 0) * failureCostMs;
}

/**
 * The edges expected to cost at most `marginMs` more than the best one. A session's first edge is
 * chosen on what every session of its zone taught (its own requests are too few to learn from): a
 * sure loss (another zone, an edge that degrades) is never drawn, and rendezvous still spreads the
 * sessions over the edges that are as good as the best.
 */
function withinMargin(edges: readonly EdgeState[], clientZone: string | undefined, f: ForecastPlacement, o: EdgeScoreOptions): EdgeState[] {
  if (edges.length <= 1) return [...edges];
  const costs = edges.map((e) => expectedCostMs(e, clientZone, f.failureCostMs, o));
  const best = Math.min(...costs);
  return edges.filter((_, i) => costs[i]! <= best + f.marginMs);
}
