import { fmix32, fnv1a32 } from '@foresight/hashing';

/** One candidate edge with its score (> 0; higher attracts more keys). */
export interface ScoredEdge {
  readonly edgeId: string;
  readonly score: number;
}

/** A uniform number in (0, 1) from the key and the edge id, the same in every process. */
function unit(key: string, edgeId: string): number {
  const h = fmix32(fnv1a32(key) ^ fmix32(fnv1a32(edgeId) + 0x9e3779b9));
  return (h + 0.5) / 4294967296;
}

/**
 * Weighted rendezvous hashing: the edge maximising `−score / ln(u(key, edge))`. Each edge gets a
 * share of keys proportional to its score, the answer depends only on the key and the candidate set,
 * and removing an edge moves only the keys it held. Ties break by edge id so the order is total.
 *
 * @returns the chosen edge id, or undefined when no candidate has a positive score.
 */
export function weightedRendezvous(key: string, edges: readonly ScoredEdge[]): string | undefined {
  let best: string | undefined;
  let bestValue = -Infinity;
  for (const e of edges) {
    if (!(e.score > 0) || !Number.isFinite(e.score)) continue;
    const value = -e.score / Math.log(unit(key, e.edgeId));
    if (value > bestValue || (value === bestValue && best !== undefined && e.edgeId < best)) {
      best = e.edgeId;
      bestValue = value;
    }
  }
  return best;
}

/** Plain (unweighted) rendezvous: every edge scored 1. */
export function plainRendezvous(key: string, edgeIds: readonly string[]): string | undefined {
  return weightedRendezvous(
    key,
    edgeIds.map((edgeId) => ({ edgeId, score: 1 })),
  );
}
