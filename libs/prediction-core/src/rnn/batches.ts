import type { Rng } from '@foresight/random';
import { stepsFor } from './model';

/** One mini-batch: `size` windows of `sorted[from..)`, all with `steps` input steps. */
export interface BatchSlot {
  readonly steps: number;
  readonly from: number;
  readonly size: number;
}

/**
 * Groups the first `count` windows of `order` (window w = pair w of `windows`: session start,
 * target index) by input length (1..T) and cuts each group into batches, in random batch order:
 * batches never carry padding, and short histories (most of them in web sessions) cost only
 * their own length.
 */
export function planBatches(windows: Int32Array, order: Int32Array, count: number, T: number, B: number, rng: Rng): BatchSlot[] & { sorted: Int32Array } {
  const lengthOf = (w: number): number => stepsFor(windows[2 * w + 1]! - windows[2 * w]!, T);
  const starts = new Int32Array(T + 2);
  for (let i = 0; i < count; i++) starts[lengthOf(order[i]!) + 1]!++;
  for (let l = 1; l <= T + 1; l++) starts[l]! += starts[l - 1]!;
  const sorted = new Int32Array(count);
  const fill = starts.slice();
  for (let i = 0; i < count; i++) {
    const w = order[i]!;
    sorted[fill[lengthOf(w)]!++] = w;
  }
  const plan: BatchSlot[] = [];
  for (let l = 1; l <= T; l++) {
    for (let from = starts[l]!; from < starts[l + 1]!; from += B) plan.push({ steps: l, from, size: Math.min(B, starts[l + 1]! - from) });
  }
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return Object.assign(plan, { sorted });
}

/** Moves a uniform random sample of size `m` to the front of `order` (Fisher–Yates prefix). */
export function partialShuffle(order: Int32Array, m: number, rng: Rng): void {
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (order.length - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}
