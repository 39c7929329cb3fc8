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
  /** Dropout on the recurrent output (0 disables). */
  readonly dropout: number;
  /** Adam learning rate. */
  readonly learningRate: number;
  /** Multiplicative learning-rate decay applied after each epoch. */
  readonly learningRateDecay: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** At most this many training windows per epoch, sampled uniformly (0 = all). */
  readonly maxWindows: number;
  /** Seed of weight initialisation and window sampling. */
  readonly seed: number;
}

/**
 * Defaults: the configuration measured on MSNBC (see README), which trains 2 × 700k windows in
 * about 5 minutes of one core; `maxWindows` bounds training time however long the history grows.
 */
const DEFAULT_RNN_CONFIG: Omit<RnnConfig, 'vocabularySize'> = {
  historyLength: 10,
  hiddenUnits: 128,
  cell: 'gru',
  dropout: 0,
  learningRate: 0.01,
  learningRateDecay: 0.5,
  epochs: 2,
  batchSize: 1024,
  maxWindows: 700_000,
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
  requireInt('batchSize', r.batchSize, 1, 65_536);
  requireInt('maxWindows', r.maxWindows, 0);
  requireInt('seed', r.seed, 0, 0xffff_ffff);
  if (r.cell !== 'gru' && r.cell !== 'lstm') {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `cell must be "gru" or "lstm", got "${String(r.cell)}".`);
  }
  return r;
}
