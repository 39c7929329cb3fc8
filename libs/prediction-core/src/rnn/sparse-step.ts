import type * as TF from '@tensorflow/tfjs';
import { matMulFastGrad } from './fast-ops';
import { sparseSoftmaxCrossEntropy } from './loss';
import type { BuiltRnn } from './model';
import type { CandidateSet } from './sampling';
import type { Tf } from './tf';

/** A large weight kept in JavaScript as rows (one per token or action), with lazy Adam moments. */
interface RowTable {
  readonly variable: TF.LayerVariable;
  readonly rows: number;
  readonly width: number;
  /** The variable stores rows as columns ([width, rows]): the output kernel. */
  readonly transposed: boolean;
  readonly master: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/**
 * Training step for large vocabularies. On the wasm backend, Adam over a [43k × 128] table costs
 * about 200 ms per step whatever the batch touches, and a [B, V] output product seconds; so
 * the input lookup tables and the output layer live here as rows in JavaScript: each step
 * uploads only the rows the batch uses (its input tokens, its sampled candidate actions) as
 * small variables, differentiates with respect to them, and applies Adam to those rows only
 * ("lazy" Adam, the usual optimiser for embeddings). The recurrent kernels stay with TensorFlow's
 * Adam. {@link writeBack} copies the rows into the network before it is scored or saved.
 */
export class SparseStep {
  private readonly inputs: RowTable[];
  private readonly kernel: RowTable;
  private readonly bias: RowTable;
  private readonly dense: TF.Variable[];
  private readonly optimizer: TF.Optimizer;
  private t = 0;
  private readonly tokenSlot: Int32Array;
  private readonly tokenStamp: Int32Array;
  private stamp = 0;

  constructor(
    private readonly tf: Tf,
    private readonly built: BuiltRnn,
    learningRate: number,
  ) {
    this.inputs = built.recurrent.inputTables.map((v) => table(v, false));
    const [kernel, bias] = built.output.trainableWeights;
    this.kernel = table(kernel!, true);
    this.bias = table(bias!, false, 1);
    this.dense = built.recurrent.denseWeights.map((w) => w.read() as TF.Variable);
    this.optimizer = tf.train.adam(learningRate);
    this.tokenSlot = new Int32Array(this.inputs[0]!.rows);
    this.tokenStamp = new Int32Array(this.inputs[0]!.rows);
  }

  set learningRate(lr: number) {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  get learningRate(): number {
    return (this.optimizer as unknown as { learningRate: number }).learningRate;
  }

  /**
   * One step on `size` windows: input tokens `xs[0..size·steps)`, candidate outputs `c` (whose
   * `labels` locate each window's target). Resolves with the batch's sampled loss.
   */
  async step(xs: Int32Array, size: number, steps: number, c: CandidateSet): Promise<number> {
    const tf = this.tf;
    const s = ++this.stamp;
    const ids = new Int32Array(size * steps);
    const used: number[] = [];
    for (let i = 0; i < size * steps; i++) {
      const tok = xs[i]!;
      if (this.tokenStamp[tok] !== s) {
        this.tokenStamp[tok] = s;
        this.tokenSlot[tok] = used.length;
        used.push(tok);
      }
      ids[i] = this.tokenSlot[tok]!;
    }
    const tokens = Int32Array.from(used);
    const actions = c.actions.subarray(0, c.size);
    const inVars = this.inputs.map((tb) => rowsVariable(tf, gather(tb, tokens), tokens.length, tb.width));
    const rowsVar = rowsVariable(tf, gather(this.kernel, actions), actions.length, this.kernel.width);
    const biasVar = rowsVariable(tf, gather(this.bias, actions), actions.length, 0);
    const x = tf.tensor2d(ids, [size, steps], 'int32');
    const logQ = tf.tensor1d(c.logQ.subarray(0, c.size));
    const picks = new Int32Array(2 * size);
    for (let j = 0; j < size; j++) {
      picks[2 * j] = j;
      picks[2 * j + 1] = c.labels[j]!;
    }
    const pick = tf.tensor2d(picks, [size, 2], 'int32');
    const labels = tf.tensor1d(c.labels.subarray(0, size), 'int32');
    const mm = matMulFastGrad(tf);
    const crossEntropy = sparseSoftmaxCrossEntropy(tf);
    const { dropout, recurrent } = this.built;
    const f = (): TF.Scalar => {
      let h = recurrent.run(x, inVars, this.dense);
      if (dropout) h = dropout.apply(h, { training: true }) as TF.Tensor;
      const logits = tf.sub(tf.add(mm(h, tf.transpose(rowsVar)), tf.reshape(biasVar, [1, -1])), tf.reshape(logQ, [1, -1]));
      return crossEntropy(logits, pick, labels);
    };
    const all = [...this.dense, ...inVars, rowsVar, biasVar];
    const { value, grads } = tf.variableGrads(f, all);
    this.optimizer.applyGradients(Object.fromEntries(this.dense.map((v) => [v.name, grads[v.name]!])));
    this.t++;
    const lr = this.learningRate;
    const fetched = await Promise.all([...inVars, rowsVar, biasVar].map((v) => grads[v.name]!.data() as Promise<Float32Array>));
    this.inputs.forEach((tb, i) => lazyAdam(tb, tokens, fetched[i]!, lr, this.t));
    lazyAdam(this.kernel, actions, fetched[this.inputs.length]!, lr, this.t);
    lazyAdam(this.bias, actions, fetched[this.inputs.length + 1]!, lr, this.t);
    const loss = (await value.data())[0]!;
    tf.dispose([value, ...Object.values(grads), ...inVars, rowsVar, biasVar, x, logQ, pick, labels]);
    return loss;
  }

  /** Copies the rows into the network's variables (before scoring or saving it). */
  writeBack(): void {
    const tf = this.tf;
    for (const tb of [...this.inputs, this.kernel, this.bias]) {
      const value = tf.tidy(() => {
        return tb.transposed ? tf.transpose(tf.tensor2d(tb.master, [tb.rows, tb.width])) : tf.tensor(tb.master, tb.variable.shape as number[]);
      });
      tb.variable.write(value);
      value.dispose();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** A temporary trainable variable holding rows ([rows, width], or [rows] when `width` is 0). */
function rowsVariable(tf: Tf, data: Float32Array, rows: number, width: number): TF.Variable {
  const initial = width > 0 ? tf.tensor2d(data, [rows, width]) : tf.tensor1d(data);
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}

/** A variable as rows: [rows, width] as it is, or its transpose when `transposed` ([width, rows]). */
function table(variable: TF.LayerVariable, transposed: boolean, width?: number): RowTable {
  const shape = variable.shape;
  const rows = transposed ? shape[1]! : shape[0]!;
  const w = width ?? (transposed ? shape[0]! : shape[1]!);
  const data = variable.read().dataSync() as Float32Array;
  let master: Float32Array;
  if (transposed) {
    master = new Float32Array(rows * w);
    for (let k = 0; k < w; k++) for (let r = 0; r < rows; r++) master[r * w + k] = data[k * rows + r]!;
  } else {
    master = Float32Array.from(data);
  }
  return { variable, rows, width: w, transposed, master, m: new Float32Array(rows * w), v: new Float32Array(rows * w) };
}

function gather(tb: RowTable, rows: Int32Array): Float32Array {
  const w = tb.width;
  const out = new Float32Array(rows.length * w);
  for (let i = 0; i < rows.length; i++) out.set(tb.master.subarray(rows[i]! * w, rows[i]! * w + w), i * w);
  return out;
}

/** Adam on the given rows only, with the global step `t` for bias correction. */
function lazyAdam(tb: RowTable, rows: Int32Array, grad: Float32Array, lr: number, t: number): void {
  const w = tb.width;
  const a = (lr * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
  const { master, m, v } = tb;
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i]! * w;
    for (let k = 0; k < w; k++) {
      const g = grad[i * w + k]!;
      const j = base + k;
      const mj = (m[j] = BETA1 * m[j]! + (1 - BETA1) * g);
      const vj = (v[j] = BETA2 * v[j]! + (1 - BETA2) * g * g);
      master[j]! -= (a * mj) / (Math.sqrt(vj) + EPSILON);
    }
  }
}
