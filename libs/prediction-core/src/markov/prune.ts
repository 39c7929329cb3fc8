import type { SuccessorList } from './successor-list';

const BUCKETS = 256;

/**
 * Shrinks `contexts` to at most `target` entries by deleting the rarest contexts (smallest
 * totals) first. Runs in O(contexts); callers trigger it with head-room so it is amortised O(1).
 */
export function pruneContexts(contexts: Map<number, SuccessorList>, target: number): number {
  const excess = contexts.size - target;
  if (excess <= 0) return 0;
  const histogram = new Float64Array(BUCKETS);
  for (const node of contexts.values()) histogram[Math.min(node.total, BUCKETS - 1)]!++;
  let cut = 0;
  let below = 0;
  while (cut < BUCKETS - 1 && below + histogram[cut]! < excess) below += histogram[cut++]!;
  // Everything with total < cut goes; contexts at exactly `cut` go until the excess is removed.
  let atCut = excess - below;
  let removed = 0;
  for (const [key, node] of contexts) {
    const t = Math.min(node.total, BUCKETS - 1);
    if (t < cut || (t === cut && atCut > 0)) {
      if (t === cut) atCut--;
      contexts.delete(key);
      removed++;
    }
  }
  return removed;
}
