import type * as TF from '@tensorflow/tfjs';
import type { RnnConfig } from './config';
import { oneHotRecurrentLayer, type OneHotRecurrent } from './recurrent-layer';
import { logitsLayer } from './logits-layer';
import type { Tf } from './tf';

/** The network and the layers a sparse training step reads directly. */
export interface BuiltRnn {
  readonly model: TF.LayersModel;
  readonly recurrent: OneHotRecurrent;
  /** The output layer; its trainable weights are [kernel [H, V], bias [V]]. */
  readonly output: TF.layers.Layer;
  /** The dropout layer when `dropout` > 0. */
  readonly dropout: TF.layers.Layer | null;
}

/**
 * Builds the network: int tokens [B, L ≤ T] (0 = start of session, action + 1 otherwise) → one-hot GRU/LSTM
 * (last hidden state [B, H]) → optional dropout → one logit per action (softmax applied by the loss and at inference).
 */
export function buildRnnModel(tf: Tf, config: RnnConfig): BuiltRnn {
  const Recurrent = oneHotRecurrentLayer(tf);
  // Variable length: batches are grouped by history length, so no step is spent on padding.
  const input = tf.input({ shape: [null], dtype: 'int32', name: 'history' });
  const recurrent = new Recurrent({ tokens: config.vocabularySize + 1, units: config.hiddenUnits, cell: config.cell, seed: config.seed, name: 'recurrent' });
  let x = recurrent.apply(input) as TF.SymbolicTensor;
  const dropout = config.dropout > 0 ? tf.layers.dropout({ rate: config.dropout, seed: config.seed + 3 }) : null;
  if (dropout) x = dropout.apply(x) as TF.SymbolicTensor;
  const Output = logitsLayer(tf);
  const output = new Output({ units: config.vocabularySize, seed: config.seed + 16, name: 'next_action_logits' });
  const logits = output.apply(x) as TF.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: logits, name: 'foresight_next_action' }), recurrent, output, dropout };
}

/**
 * Number of input steps for a history of `len` actions: the last T actions, or, when the whole
 * session fits, a start-of-session token (0) followed by all of it, so the network knows where
 * the session began (as the Markov model's anchored contexts do).
 */
export function stepsFor(len: number, historyLength: number): number {
  return len < historyLength ? len + 1 : historyLength;
}

/**
 * Writes the input tokens of the history `seq[0..len)` into `out[offset..offset+T)`:
 * the last T actions, right-aligned, left-padded with 0 (start of session); actions ≥ V map to the
 * `<unk>` token 1.
 */
export function encodeHistory(seq: ArrayLike<number>, len: number, historyLength: number, vocabularySize: number, out: Int32Array, offset: number): void {
  const start = Math.max(0, len - historyLength);
  const pad = historyLength - (len - start);
  for (let i = 0; i < pad; i++) out[offset + i] = 0;
  for (let i = start; i < len; i++) {
    const a = seq[i]!;
    out[offset + pad + (i - start)] = a >= 0 && a < vocabularySize ? a + 1 : 1;
  }
}
