import type * as TF from '@tensorflow/tfjs';
import type { Tf } from './tf';

type Binary = (a: TF.Tensor, b: TF.Tensor) => TF.Tensor;
let matMul: Binary | null = null;
let lookup: Binary | null = null;

/**
 * `a · b` whose gradients use explicitly transposed operands. The stock gradient multiplies with
 * transpose flags, which the wasm backend runs 5–9× slower than a transpose plus a plain matmul.
 */
export function matMulFastGrad(tf: Tf): Binary {
  matMul ??= tf.customGrad(((a: TF.Tensor, b: TF.Tensor, save: (t: TF.Tensor[]) => void) => {
    save([a, b]);
    return {
      value: tf.matMul(a as TF.Tensor2D, b as TF.Tensor2D),
      gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
        const g = (Array.isArray(dy) ? dy[0]! : dy) as TF.Tensor2D;
        const [sa, sb] = saved as [TF.Tensor2D, TF.Tensor2D];
        return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]) as unknown as Binary;
  return matMul;
}

/**
 * Row lookup `table[ids]` (shape [...ids.shape, width]), i.e. one-hot(ids) · table, whose
 * gradient is a scatter-add (ScatterNd sums duplicate indices). The stock gather gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks; GatherNd is used forward because the wasm
 * GatherV2 kernel is ~20× slower for row lookups.
 */
export function lookupRows(tf: Tf): Binary {
  lookup ??= tf.customGrad(((table: TF.Tensor, ids: TF.Tensor, save: (t: TF.Tensor[]) => void) => {
    // Saved tensors outlive the forward pass's tidy scope; the backward pass needs the ids.
    save([ids]);
    return {
      value: tf.gatherND(table, tf.expandDims(ids, -1)),
      gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0]! : dy;
        const kept = saved[0]!;
        const width = table.shape[1]!;
        return [tf.scatterND(tf.reshape(kept, [-1, 1]), tf.reshape(g, [-1, width]), table.shape), tf.zerosLike(kept)];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]) as unknown as Binary;
  return lookup;
}

/** tanh(x) as 2·σ(2x) − 1: the wasm Tanh kernel is ~20× slower per element than Sigmoid. */
export function fastTanh(tf: Tf, x: TF.Tensor): TF.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}
