import type * as TF from '@tensorflow/tfjs';
import { seededRng, type Rng } from '@foresight/random';
import { systemClock, type Clock } from '@foresight/time';
import { PredictionError } from '../errors';
import type { VocabularySnapshot } from '../vocabulary';
import { partialShuffle, planBatches } from './batches';
import { batchSizeFor, resolveRnnConfig, samplesOutput, type RnnConfig } from './config';
import { sparseSoftmaxCrossEntropy } from './loss';
import { buildRnnModel, encodeHistory } from './model';
import { RnnModel } from './rnn-model';
import { CandidateSampler } from './sampling';
import { PlateauSchedule, type EpochDecision } from './schedule';
import { sessionCount, windowIndex, type PackedSessions } from './sessions';
import { SparseStep } from './sparse-step';
import { initBackend, loadTf, type BackendName } from './tf';
import { sampleValidation, validationLoss } from './validation';

/** Progress report emitted during training (every few batches and at each epoch end). */
export interface TrainProgress {
  readonly epoch: number;
  /** Most epochs (training usually stops earlier). */
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  /** Mean training loss of the batches seen so far in this epoch (sampled softmax: over the candidates). */
  readonly loss: number;
  /** Held-out loss, on the report that ends an epoch. */
  readonly validationLoss?: number;
  readonly learningRate: number;
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
  /** Training windows available (held-out ones excluded). */
  readonly windows: number;
  readonly windowsPerEpoch: number;
  readonly validationWindows: number;
  readonly batchSize: number;
  /** Epochs run, and the one whose weights were kept. */
  readonly epochs: number;
  readonly bestEpoch: number;
  /** Held-out cross-entropy of the kept weights (NaN without held-out windows). */
  readonly validationLoss: number;
  /** Mean training loss of the last epoch. */
  readonly finalLoss: number;
  readonly stopReason: EpochDecision['reason'];
  /** True when the output layer was trained with sampled softmax. */
  readonly sampledOutput: boolean;
  readonly seconds: number;
  readonly backend: BackendName;
}

/**
 * Trains the recurrent model on packed sessions in the calling thread (use
 * {@link trainInWorker} to keep the event loop free). The most recent `validationShare` of the
 * sessions are held out; each epoch samples up to `maxWindows` of the other windows, runs
 * mini-batches of Adam on cross-entropy (sampled softmax for large vocabularies), then scores
 * the held-out windows: the learning rate is cut when that loss stops improving, training stops
 * after `patience` such epochs (or `epochs`, or `maxSeconds`), and the best epoch's weights win.
 */
export async function trainRnn(
  sessions: PackedSessions,
  partial: Partial<RnnConfig> & Pick<RnnConfig, 'vocabularySize'>,
  options: TrainOptions = {},
): Promise<{ model: RnnModel; stats: TrainStats }> {
  const config = resolveRnnConfig(partial);
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const log = options.log ?? ((): void => undefined);
  const backend = await initBackend({ log: options.log });
  const tf = loadTf();
  const rng = options.rng ?? seededRng(config.seed);
  const started = now();
  const S = sessionCount(sessions);
  const cut = S - Math.floor(S * config.validationShare);
  const windows = windowIndex(sessions, 0, cut);
  const total = windows.length / 2;
  if (total === 0) throw new PredictionError('PREDICTION.TRAINING_FAILED', 'No training windows: every session has fewer than 2 actions.');
  // Scoring a held-out window costs a full softmax over V: fewer of them for large vocabularies.
  const validationCap = Math.min(config.validationWindows, Math.max(2000, Math.floor(4e8 / config.vocabularySize)));
  const heldOut = sampleValidation(windowIndex(sessions, cut, S), validationCap, config.historyLength, rng);
  const perEpoch = config.maxWindows > 0 ? Math.min(config.maxWindows, total) : total;
  const B = batchSizeFor(config, perEpoch);
  const { historyLength: T, vocabularySize: V } = config;
  const built = buildRnnModel(tf, config);
  const { model } = built;
  const vars = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const optimizer = tf.train.adam(config.learningRate);
  const crossEntropy = sparseSoftmaxCrossEntropy(tf);
  const sampler = samplesOutput(config) ? new CandidateSampler(targetCounts(sessions, windows, V), config.outputSamples, B) : null;
  const sparse = sampler ? new SparseStep(tf, built, config.learningRate) : null;
  const schedule = new PlateauSchedule({
    learningRate: config.learningRate,
    decay: config.learningRateDecay,
    patience: config.patience,
    maxEpochs: config.epochs,
  });
  log(
    `RNN training: ${total} windows (${perEpoch} per epoch, batch ${B}), ${heldOut.length / 2} held out, ${V} actions` +
      `${sampler ? `, sampled softmax over the targets + ${config.outputSamples} negatives per batch` : ''}`,
  );
  const order = new Int32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  const xs = new Int32Array(B * T);
  const ys = new Int32Array(B);
  const picks = new Int32Array(2 * B);
  let lastReport = 0;
  let loss = Number.NaN;
  let best: TF.Tensor[] | null = null;
  let epochsRun = 0;
  let decision: EpochDecision | null = null;
  const report = (p: Omit<TrainProgress, 'epochs' | 'elapsedSeconds' | 'backend' | 'learningRate'>): void =>
    options.onProgress?.({ ...p, epochs: config.epochs, learningRate: schedule.learningRate, elapsedSeconds: (now() - started) / 1000, backend });
  while (decision === null || !decision.stop) {
    epochsRun++;
    partialShuffle(order, perEpoch, rng);
    const plan = planBatches(windows, order, perEpoch, T, B, rng);
    let sum = 0;
    let outOfTime = false;
    for (let b = 0; b < plan.length; b++) {
      const { steps, from, size } = plan[b]!;
      for (let j = 0; j < size; j++) {
        const w = plan.sorted[from + j]!;
        const start = windows[2 * w]!;
        const target = windows[2 * w + 1]!;
        encodeHistory(sessions.actions.subarray(start, target), target - start, steps, V, xs, j * steps);
        const next = sessions.actions[target]!;
        ys[j] = next < V ? next : 0;
      }
      const result = await step(size, steps);
      if (!Number.isFinite(result)) throw new PredictionError('PREDICTION.TRAINING_FAILED', `Training diverged (loss ${result}).`);
      sum += result;
      loss = sum / (b + 1);
      const t = now();
      if (t - lastReport >= (options.progressIntervalMs ?? 1000)) {
        lastReport = t;
        report({ epoch: epochsRun, batch: b + 1, batches: plan.length, loss });
      }
      if (config.maxSeconds > 0 && t - started > config.maxSeconds * 1000) {
        outOfTime = true;
        break;
      }
    }
    sparse?.writeBack();
    const held = heldOut.length > 0 ? await validationLoss(tf, model, sessions, heldOut, T, V) : loss;
    decision = schedule.next(held, outOfTime);
    if (decision.improved) {
      best?.forEach((t) => t.dispose());
      best = model.getWeights().map((t) => t.clone());
    }
    (optimizer as unknown as { learningRate: number }).learningRate = decision.learningRate;
    if (sparse) sparse.learningRate = decision.learningRate;
    lastReport = now();
    report({ epoch: epochsRun, batch: plan.length, batches: plan.length, loss, validationLoss: held });
    log(
      `RNN epoch ${epochsRun}: training loss ${loss.toFixed(4)}, held-out loss ${held.toFixed(4)}, ${decision.reason}` +
        `${decision.stop ? `; stopping, keeping epoch ${schedule.bestAt}` : `, learning rate ${decision.learningRate.toPrecision(3)}`}`,
    );
  }
  if (best !== null) {
    model.setWeights(best);
    best.forEach((t) => t.dispose());
  }
  optimizer.dispose();
  sparse?.dispose();
  const seconds = (now() - started) / 1000;
  const version = options.version ?? `rnn-${new Date(now()).toISOString()}`;
  return {
    model: new RnnModel(model, config, version, options.vocabulary ?? null),
    stats: {
      windows: total,
      windowsPerEpoch: perEpoch,
      validationWindows: heldOut.length / 2,
      batchSize: B,
      epochs: epochsRun,
      bestEpoch: schedule.bestAt,
      validationLoss: heldOut.length > 0 ? schedule.bestLoss : Number.NaN,
      finalLoss: loss,
      stopReason: decision.reason,
      sampledOutput: sampler !== null,
      seconds,
      backend,
    },
  };

  /** One optimiser step on the first `size` windows of the buffers; resolves with the batch loss. */
  async function step(size: number, steps: number): Promise<number> {
    let value: number;
    if (sampler !== null && sparse !== null) {
      value = await sparse.step(xs, size, steps, sampler.draw(ys, size, rng));
    } else {
      const x = tf.tensor2d(xs.subarray(0, size * steps), [size, steps], 'int32');
      for (let j = 0; j < size; j++) {
        picks[2 * j] = j;
        picks[2 * j + 1] = ys[j]!;
      }
      const y = tf.tensor1d(ys.subarray(0, size), 'int32');
      const pick = tf.tensor2d(picks.subarray(0, 2 * size), [size, 2], 'int32');
      const cost = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as TF.Tensor, pick, y), true, vars);
      value = (await cost!.data())[0]!;
      tf.dispose([x, y, pick, cost!]);
    }
    // Yield so progress messages and other tasks get a turn between batches.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return value;
  }
}

/** How often each action is a training target (the sampler's frequencies). */
function targetCounts(sessions: PackedSessions, windows: Int32Array, V: number): Float64Array {
  const counts = new Float64Array(V);
  for (let w = 1; w < windows.length; w += 2) {
    const a = sessions.actions[windows[w]!]!;
    counts[a < V ? a : 0]!++;
  }
  return counts;
}
