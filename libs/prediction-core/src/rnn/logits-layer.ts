import type * as TF from '@tensorflow/tfjs';
import { matMulFastGrad } from './fast-ops';
import type { Tf } from './tf';

/** Registered class name of the output layer (part of saved topologies). */
const LOGITS_OUTPUT = 'ForesightLogits';

interface LogitsArgs {
  readonly units: number;
  readonly seed?: number;
  readonly name?: string;
}

type LayerCtor = new (args: LogitsArgs) => TF.layers.Layer;
let registered: LayerCtor | null = null;

/**
 * Dense layer producing one logit per action (softmax is applied by the loss in training and by
 * `RnnModel.predictBatch` in inference). Same maths as `tf.layers.dense`, but with the
 * transpose-free matmul gradient: the output layer dominates for large vocabularies.
 */
export function logitsLayer(tf: Tf): LayerCtor {
  if (registered !== null) return registered;
  const mm = matMulFastGrad(tf);

  class Logits extends tf.layers.Layer {
    static className = LOGITS_OUTPUT;
    private readonly units: number;
    private readonly seed: number | undefined;
    private kernel: TF.LayerVariable | null = null;
    private bias: TF.LayerVariable | null = null;

    constructor(args: LogitsArgs) {
      super({ name: args.name });
      this.units = args.units;
      this.seed = args.seed;
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
      const inputDim = shape[shape.length - 1] as number;
      this.kernel = this.addWeight('kernel', [inputDim, this.units], 'float32', tf.initializers.glorotUniform({ seed: this.seed }));
      this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
      return [shape[0] ?? null, this.units];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        return tf.add(mm(x, this.kernel!.read()), this.bias!.read());
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), units: this.units };
    }
  }
  tf.serialization.registerClass(Logits);
  registered = Logits as unknown as LayerCtor;
  return registered;
}
