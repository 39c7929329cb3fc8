import type * as TF from '@tensorflow/tfjs';
import { fastTanh, lookupRows, matMulFastGrad } from './fast-ops';
import type { Tf } from './tf';

/** Registered class name of the recurrent layer (part of saved topologies). */
const ONE_HOT_RECURRENT = 'ForesightOneHotRecurrent';

/** Constructor arguments of the recurrent layer. */
export interface RecurrentArgs {
  /** Input tokens: 0 = padding, 1..V = actions. */
  readonly tokens: number;
  readonly units: number;
  readonly cell: 'gru' | 'lstm';
  readonly seed?: number;
  readonly name?: string;
}

/** The recurrent layer's interface beyond a Keras layer: its weights, and the recurrence over given tables. */
export interface OneHotRecurrent extends TF.layers.Layer {
  /** Per gate input lookup tables [tokens, H]. */
  readonly inputTables: readonly TF.LayerVariable[];
  /** Per gate recurrent kernels [H, H], and the GRU candidate's recurrent bias when a GRU. */
  readonly denseWeights: readonly TF.LayerVariable[];
  /**
   * The recurrence over `ids` [B, L] with the given per-gate `tables` (rows indexed by `ids`) and
   * dense weights in the order of {@link denseWeights}: training passes compact tables holding
   * only the batch's rows.
   */
  run(ids: TF.Tensor, tables: readonly TF.Tensor[], dense: readonly TF.Tensor[]): TF.Tensor;
}

type LayerCtor = new (args: RecurrentArgs) => OneHotRecurrent;
let registered: LayerCtor | null = null;

const GATES = { gru: ['z', 'r', 'n'], lstm: ['i', 'f', 'g', 'o'] } as const;

/**
 * GRU (reset-after variant, as in cuDNN) or LSTM over one-hot token inputs; returns the last
 * hidden state [B, H].
 *
 * With one-hot inputs, x_t · W is row `token_t` of W, so each gate's input kernel is a lookup
 * table [tokens, H] (which also absorbs the gate's input bias). Gates are kept in separate
 * tensors rather than one [H, G·H] block because splitting activations costs more on the wasm
 * backend than the extra matmul calls.
 */
export function oneHotRecurrentLayer(tf: Tf): LayerCtor {
  if (registered !== null) return registered;
  const lookup = lookupRows(tf);
  const mm = matMulFastGrad(tf);

  class OneHotRecurrent extends tf.layers.Layer {
    static className = ONE_HOT_RECURRENT;
    private readonly args: RecurrentArgs;
    private tables: TF.LayerVariable[] = [];
    private kernels: TF.LayerVariable[] = [];
    private candidateBias: TF.LayerVariable | null = null;

    constructor(args: RecurrentArgs) {
      super({ name: args.name });
      this.args = { tokens: args.tokens, units: args.units, cell: args.cell, seed: args.seed };
    }

    override build(): void {
      const { tokens, units, cell } = this.args;
      const seed = this.args.seed ?? 0;
      GATES[cell].forEach((g, i) => {
        const init = tf.initializers.glorotUniform({ seed: seed + 2 * i });
        this.tables.push(this.addWeight(`input_${g}`, [tokens, units], 'float32', init));
        const rinit = tf.initializers.glorotUniform({ seed: seed + 2 * i + 1 });
        this.kernels.push(this.addWeight(`recurrent_${g}`, [units, units], 'float32', rinit));
      });
      if (cell === 'gru') {
        this.candidateBias = this.addWeight('recurrent_bias_n', [units], 'float32', tf.initializers.zeros());
      } else {
        // Forget-gate bias of 1 (folded into its input table) so early gradients flow.
        const f = this.tables[1]!;
        f.write(tf.add(f.read(), 1));
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
      return [shape[0] ?? null, this.args.units];
    }

    get inputTables(): readonly TF.LayerVariable[] {
      return this.tables;
    }

    get denseWeights(): readonly TF.LayerVariable[] {
      return this.candidateBias ? [...this.kernels, this.candidateBias] : this.kernels;
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() =>
        this.run(
          Array.isArray(inputs) ? inputs[0]! : inputs,
          this.tables.map((t) => t.read()),
          this.denseWeights.map((k) => k.read()),
        ),
      );
    }

    run(input: TF.Tensor, tables: readonly TF.Tensor[], dense: readonly TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const ids = tf.cast(input, 'int32');
        const batch = ids.shape[0]!;
        const steps = tf.unstack(tf.transpose(ids));
        const U = dense.slice(0, GATES[this.args.cell].length);
        const candidateBias = dense[GATES[this.args.cell].length];
        let h: TF.Tensor = tf.zeros([batch, this.args.units]);
        let c: TF.Tensor = h;
        for (let t = 0; t < steps.length; t++) {
          const x = steps[t]!;
          const pre = (gate: number): TF.Tensor => tf.add(lookup(tables[gate]!, x), mm(h, U[gate]!));
          if (this.args.cell === 'gru') {
            const z = tf.sigmoid(pre(0));
            const r = tf.sigmoid(pre(1));
            const hn = tf.add(mm(h, U[2]!), candidateBias!);
            const n = fastTanh(tf, tf.add(lookup(tables[2]!, x), tf.mul(r, hn)));
            h = tf.add(n, tf.mul(z, tf.sub(h, n)));
          } else {
            const i = tf.sigmoid(pre(0));
            const f = tf.sigmoid(pre(1));
            const g = fastTanh(tf, pre(2));
            const o = tf.sigmoid(pre(3));
            c = tf.add(tf.mul(f, c), tf.mul(i, g));
            h = tf.mul(o, fastTanh(tf, c));
          }
        }
        return h;
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), tokens: this.args.tokens, units: this.args.units, cell: this.args.cell };
    }
  }
  tf.serialization.registerClass(OneHotRecurrent);
  registered = OneHotRecurrent as unknown as LayerCtor;
  return registered;
}
