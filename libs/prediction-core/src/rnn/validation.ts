import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '@foresight/random';
import { encodeHistory, stepsFor } from './model';
import type { PackedSessions } from './sessions';
import type { Tf } from './tf';

/**
 * Held-out windows: a uniform sample (seeded) of at most `max` of `windows` (pairs of session
 * start, target index), sorted by input length so each scoring batch has one length.
 */
export function sampleValidation(windows: Int32Array, max: number, T: number, rng: Rng): Int32Array {
  const total = windows.length / 2;
  const take = Math.min(total, max);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (total - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = Array.from(order.subarray(0, take));
  const steps = (w: number): number => stepsFor(windows[2 * w + 1]! - windows[2 * w]!, T);
  chosen.sort((a, b) => steps(a) - steps(b) || a - b);
  const out = new Int32Array(2 * take);
  chosen.forEach((w, i) => {
    out[2 * i] = windows[2 * w]!;
    out[2 * i + 1] = windows[2 * w + 1]!;
  });
  return out;
}

/** Mean cross-entropy (nats) of the held-out windows under the full softmax of `model`. */
export async function validationLoss(
  tf: Tf,
  model: TF.LayersModel,
  sessions: PackedSessions,
  windows: Int32Array,
  T: number,
  V: number,
  batch = 512,
): Promise<number> {
  const n = windows.length / 2;
  if (n === 0) return Number.NaN;
  let sum = 0;
  const xs = new Int32Array(batch * T);
  const picks = new Int32Array(2 * batch);
  for (let from = 0; from < n;) {
    const steps = stepsFor(windows[2 * from + 1]! - windows[2 * from]!, T);
    let size = 0;
    while (from + size < n && size < batch && stepsFor(windows[2 * (from + size) + 1]! - windows[2 * (from + size)]!, T) === steps) {
      const w = from + size;
      const start = windows[2 * w]!;
      const target = windows[2 * w + 1]!;
      encodeHistory(sessions.actions.subarray(start, target), target - start, steps, V, xs, size * steps);
      const next = sessions.actions[target]!;
      picks[2 * size] = size;
      picks[2 * size + 1] = next < V ? next : 0;
      size++;
    }
    const lossTensor = tf.tidy(() => {
      const x = tf.tensor2d(xs.subarray(0, size * steps), [size, steps], 'int32');
      const logits = model.predict(x, { batchSize: size }) as TF.Tensor2D;
      const pick = tf.tensor2d(picks.subarray(0, 2 * size), [size, 2], 'int32');
      return tf.neg(tf.sum(tf.gatherND(tf.logSoftmax(logits), pick)));
    });
    sum += (await lossTensor.data())[0]!;
    lossTensor.dispose();
    from += size;
    // Yield between batches, as training does.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return sum / n;
}
