import { edgeScore, type EdgeScoreOptions, type EdgeState, DEFAULT_EDGE_SCORE } from './edge-score';
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
  const edgeId = weightedRendezvous(
    input.key,
    candidates.map((e) => ({ edgeId: e.edgeId, score: edgeScore(e, input.clientZone, o) })),
  );
  if (edgeId === undefined) return { edgeId: current?.edgeId, reason, moved: false };
  return { edgeId, reason, moved: edgeId !== input.current };
}
