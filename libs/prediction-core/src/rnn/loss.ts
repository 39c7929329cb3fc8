import type * as TF from '@tensorflow/tfjs';
import type { Tf } from './tf';

type Loss = (logits: TF.Tensor, picks: TF.Tensor, labels: TF.Tensor) => TF.Scalar;
let loss: Loss | null = null;

/**
 * Mean cross-entropy of integer labels under softmax(logits), with the closed-form gradient
 * (softmax − one-hot) / B. Replaces the layers API's sparse categorical cross-entropy, whose
 * normalise/clip/select chain costs ~20 passes over [B, V] on the wasm backend.
 * `picks` holds the [row, label] pairs ([B, 2] int32) used to read the true-class probabilities.
 */
export function sparseSoftmaxCrossEntropy(tf: Tf): Loss {
  loss ??= tf.customGrad(((logits: TF.Tensor, picks: TF.Tensor, labels: TF.Tensor, save: (t: TF.Tensor[]) => void) => {
    const probs = tf.softmax(logits as TF.Tensor2D);
    save([probs, labels]);
    const batch = logits.shape[0]!;
    const value = tf.div(tf.neg(tf.sum(tf.log(tf.maximum(tf.gatherND(probs, picks), 1e-30)))), batch);
    return {
      value,
      gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0]! : dy;
        const [p, y] = saved as [TF.Tensor2D, TF.Tensor1D];
        const width = p.shape[1]!;
        const dLogits = tf.mul(tf.sub(p, tf.oneHot(y, width)), tf.div(g, batch));
        return [dLogits, tf.zerosLike(picks), tf.zerosLike(y)];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]) as unknown as Loss;
  return loss;
}
