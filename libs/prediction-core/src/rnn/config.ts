import { PredictionError, requireInt, requireNumber } from '../errors';

/** Hyper-parameters of the recurrent next-action model. */
export interface RnnConfig {
  /** Number of output actions V (the vocabulary size at training time). */
  readonly vocabularySize: number;
  /** Number of most recent actions fed to the network (T). */
  readonly historyLength: number;
  /** Recurrent units. */
  readonly hiddenUnits: number;
  /** Recurrent cell. */
  readonly cell: 'gru' | 'lstm';
  /** Dropout on the recurrent output (0 disables; 0.3 measured better held out on Diginetica, where the network overfits within a few epochs). */
  readonly dropout: number;
  /** Adam learning rate. */
  readonly learningRate: number;
  /** Factor applied to the learning rate after each epoch whose held-out loss did not improve. */
  readonly learningRateDecay: number;
  /** Most epochs; training usually stops earlier, when the held-out loss stops improving. */
  readonly epochs: number;
  /** Epochs in a row without held-out improvement that end training (the best epoch's weights are kept). */
  readonly patience: number;
  /** Windows per mini-batch; 0 sizes it to the data (about 300 batches per epoch, 128..1024). */
  readonly batchSize: number;
  /** At most this many training windows per epoch, sampled uniformly (0 = all). */
  readonly maxWindows: number;
  /** Share of the sessions (the most recent, by order) held out to decide when to stop. */
  readonly validationShare: number;
  /** At most this many held-out windows are scored after each epoch (fewer for vocabularies above 20,000: at most 4·10⁸ / V, at least 2,000). */
  readonly validationWindows: number;
  /**
   * Negatives sampled per batch for the output layer: with more than twice this many actions,
   * training scores only the batch's targets plus this many sampled actions (sampled softmax
   * with logQ correction) instead of every action; 0 always uses the full softmax.
   */
  readonly outputSamples: number;
  /** Wall-clock budget of training in seconds (0 = none): the epoch running when it is spent is the last. */
  readonly maxSeconds: number;
  /** Seed of weight initialisation and window sampling. */
  readonly seed: number;
}

/**
 * Defaults (measured, see README): epochs of at most 700k windows until the held-out loss stops
 * improving, within 20 minutes of wall-clock time, so small data gets many epochs and large data
 * a bounded number.
 */
export const DEFAULT_RNN_CONFIG: Omit<RnnConfig, 'vocabularySize'> = {
  historyLength: 10,
  hiddenUnits: 128,
  cell: 'gru',
  dropout: 0.3,
  learningRate: 0.01,
  learningRateDecay: 0.5,
  epochs: 20,
  patience: 2,
  batchSize: 0,
  maxWindows: 700_000,
  validationShare: 0.1,
  validationWindows: 20_000,
  outputSamples: 2048,
  maxSeconds: 1200,
  seed: 42,
};

/** Fills defaults and validates; throws `PREDICTION.INVALID_ARGUMENT`. */
export function resolveRnnConfig(c: Partial<RnnConfig> & Pick<RnnConfig, 'vocabularySize'>): RnnConfig {
  const r = { ...DEFAULT_RNN_CONFIG, ...c };
  requireInt('vocabularySize', r.vocabularySize, 2, 1 << 20);
  requireInt('historyLength', r.historyLength, 1, 512);
  requireInt('hiddenUnits', r.hiddenUnits, 1, 4096);
  requireNumber('dropout', r.dropout, 0, 0.9);
  requireNumber('learningRate', r.learningRate, 1e-6, 1);
  requireNumber('learningRateDecay', r.learningRateDecay, 0.01, 1);
  requireInt('epochs', r.epochs, 0, 1000);
  requireInt('patience', r.patience, 1, 1000);
  requireInt('batchSize', r.batchSize, 0, 65_536);
  requireInt('maxWindows', r.maxWindows, 0);
  requireNumber('validationShare', r.validationShare, 0, 0.5);
  requireInt('validationWindows', r.validationWindows, 0);
  requireInt('outputSamples', r.outputSamples, 0, 1 << 20);
  requireNumber('maxSeconds', r.maxSeconds, 0, 7 * 86_400);
  requireInt('seed', r.seed, 0, 0xffff_ffff);
  if (r.cell !== 'gru' && r.cell !== 'lstm') {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `cell must be "gru" or "lstm", got "${String(r.cell)}".`);
  }
  return r;
}

/** Batch size for `windows` training windows per epoch: the configured one, or about 300 batches per epoch (a power of two in 128..1024). */
export function batchSizeFor(config: Pick<RnnConfig, 'batchSize'>, windows: number): number {
  if (config.batchSize > 0) return config.batchSize;
  const target = Math.max(1, windows / 300);
  return Math.min(1024, Math.max(128, 2 ** Math.round(Math.log2(target))));
}

/** True when training samples the output layer (see `outputSamples`). */
export function samplesOutput(config: Pick<RnnConfig, 'outputSamples' | 'vocabularySize'>): boolean {
  return config.outputSamples > 0 && config.vocabularySize > 2 * config.outputSamples;
}
