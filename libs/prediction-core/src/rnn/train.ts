import type * as TF from '@tensorflow/tfjs';
import { seededRng, type Rng } from '@foresight/random';
import { systemClock, type Clock } from '@foresight/time';
import { PredictionError } from '../errors';
import type { VocabularySnapshot } from '../vocabulary';
import { resolveRnnConfig, type RnnConfig } from './config';
import { sparseSoftmaxCrossEntropy } from './loss';
import { buildRnnModel, encodeHistory, stepsFor } from './model';
import { RnnModel } from './rnn-model';
import { windowIndex, type PackedSessions } from './sessions';
import { initBackend, loadTf, type BackendName } from './tf';

/** Progress report emitted during training (every few batches and at each epoch end). */
export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  /** Mean cross-entropy of the batches seen so far in this epoch. */
  readonly loss: number;
  readonly elapsedSeconds: number;
  readonly backend: BackendName;
}

/** Options of {@link trainRnn}. */
export interface TrainOptions {
  readonly onProgress?: (p: TrainProgress) => void;
  /** Minimum milliseconds between progress reports (default 1000). */
  readonly progressIntervalMs?: number;
  /** Random source for window sampling and shuffling (default: seeded from the config). */
  readonly rng?: Rng;
  /** Model version string stored with the model (default `rnn-<timestamp>`). */
  readonly version?: string;
  /** Clock for the version and timings (injected for tests). */
  readonly clock?: Clock;
  readonly log?: (message: string) => void;
  /** Vocabulary the action indices refer to; stored with the model. */
  readonly vocabulary?: VocabularySnapshot | null;
}

/** Summary of a finished training run. */
export interface TrainStats {
  readonly windows: number;
  readonly windowsPerEpoch: number;
  readonly finalLoss: number;
  readonly seconds: number;
  readonly backend: BackendName;
}

/**
 * Trains the recurrent model on packed sessions in the calling thread (use
 * {@link trainInWorker} to keep the event loop free). Each epoch samples up to `maxWindows`
 * windows uniformly, shuffles them, and runs mini-batches of Adam on cross-entropy.
 */
export async function trainRnn(
  sessions: PackedSessions,
  partial: Partial<RnnConfig> & Pick<RnnConfig, 'vocabularySize'>,
  options: TrainOptions = {},
): Promise<{ model: RnnModel; stats: TrainStats }> {
  const config = resolveRnnConfig(partial);
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const backend = await initBackend({ log: options.log });
  const tf = loadTf();
  const rng = options.rng ?? seededRng(config.seed);
  const started = now();
  const windows = windowIndex(sessions);
  const total = windows.length / 2;
  if (total === 0) throw new PredictionError('PREDICTION.TRAINING_FAILED', 'No training windows: every session has fewer than 2 actions.');
  const perEpoch = config.maxWindows > 0 ? Math.min(config.maxWindows, total) : total;
  const model = buildRnnModel(tf, config);
  const optimizer = tf.train.adam(config.learningRate);
  const crossEntropy = sparseSoftmaxCrossEntropy(tf);
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  const { historyLength: T, batchSize: B } = config;
  const xs = new Int32Array(B * T);
  const ys = new Int32Array(B);
  const picks = new Int32Array(2 * B);
  let lastReport = 0;
  let loss = Number.NaN;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    partialShuffle(order, perEpoch, rng);
    const plan = planBatches(windows, order, perEpoch, T, B, rng);
    const batches = plan.length;
    let sum = 0;
    for (let b = 0; b < batches; b++) {
      const { steps, from, size } = plan[b]!;
      for (let j = 0; j < size; j++) {
        const w = plan.sorted[from + j]!;
        const start = windows[2 * w]!;
        const target = windows[2 * w + 1]!;
        encodeHistory(sessions.actions.subarray(start, target), target - start, steps, config.vocabularySize, xs, j * steps);
        const next = sessions.actions[target]!;
        ys[j] = next < config.vocabularySize ? next : 0;
        picks[2 * j] = j;
        picks[2 * j + 1] = ys[j]!;
      }
      const x = tf.tensor2d(xs.subarray(0, size * steps), [size, steps], 'int32');
      const y = tf.tensor1d(ys.subarray(0, size), 'int32');
      const pick = tf.tensor2d(picks.subarray(0, 2 * size), [size, 2], 'int32');
      const cost = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as TF.Tensor, pick, y), true);
      const result = (await cost!.data())[0]!;
      tf.dispose([x, y, pick, cost!]);
      // Yield so progress messages and other tasks get a turn between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!Number.isFinite(result)) throw new PredictionError('PREDICTION.TRAINING_FAILED', `Training diverged (loss ${result}).`);
      sum += result;
      loss = sum / (b + 1);
      const t = now();
      if (options.onProgress && (t - lastReport >= (options.progressIntervalMs ?? 1000) || b === batches - 1)) {
        lastReport = t;
        options.onProgress({ epoch: epoch + 1, epochs: config.epochs, batch: b + 1, batches, loss, elapsedSeconds: (t - started) / 1000, backend });
      }
    }
    setLearningRate(optimizer, config.learningRate * config.learningRateDecay ** (epoch + 1));
  }
  optimizer.dispose();
  const seconds = (now() - started) / 1000;
  const version = options.version ?? `rnn-${new Date(now()).toISOString()}`;
  return {
    model: new RnnModel(model, config, version, options.vocabulary ?? null),
    stats: { windows: total, windowsPerEpoch: perEpoch, finalLoss: loss, seconds, backend },
  };
}

/** One mini-batch: `size` windows of `sorted[from..)`, all with `steps` input steps. */
interface BatchSlot {
  readonly steps: number;
  readonly from: number;
  readonly size: number;
}

/**
 * Groups the first `count` windows of `order` by input length (1..T) and cuts each group into
 * batches, in random batch order: batches never carry padding, and short histories (most of
 * them in web sessions) cost only their own length.
 */
function planBatches(windows: Int32Array, order: Int32Array, count: number, T: number, B: number, rng: Rng): BatchSlot[] & { sorted: Int32Array } {
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
function partialShuffle(order: Int32Array, m: number, rng: Rng): void {
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (order.length - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

function setLearningRate(optimizer: TF.Optimizer, lr: number): void {
  // Adam reads `learningRate` on every step; it has no public setter.
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
