/** Inputs of {@link prefetchPriority}. */
export interface PriorityInput {
  /** Probability that the key is read soon, in [0, 1]. */
  readonly probability: number;
  /** Expected origin latency (EWMA), ms: what a hit saves. */
  readonly latencyMs: number;
  /** Size of the value in bytes (what the prefetch costs in bandwidth and memory). */
  readonly sizeBytes: number;
  /** Expected time until the session's next request, ms. */
  readonly timeToNextRequestMs: number;
}

/**
 * Priority of a prefetch; higher runs first.
 *
 * `p × latency` is the expected wait a prefetch saves; dividing by √(size in KiB, at least 1)
 * favours small values without letting size dominate; the urgency factor, between 1 and 2, favours
 * keys whose session will ask again before a fetch started later could complete.
 */
export function prefetchPriority(i: PriorityInput): number {
  const p = Math.min(1, Math.max(0, i.probability));
  const latency = Math.max(1, i.latencyMs);
  const sizeFactor = Math.sqrt(Math.max(1, i.sizeBytes / 1024));
  const urgency = 1 + latency / (latency + Math.max(0, i.timeToNextRequestMs));
  return ((p * latency) / sizeFactor) * urgency;
}
