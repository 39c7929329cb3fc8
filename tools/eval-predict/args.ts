import { defineCommand } from '@foresight/cli';
import { DEFAULT_RNN_CONFIG } from '@foresight/prediction-core';
import { DATA_HINT, type DataFormat } from './datasets';

/** Command-line options of the evaluation. */
export interface EvalArgs {
  readonly data: string;
  /** Sessions to test on (train on all of `data`); null: the last 20 % of `data`. */
  readonly test: string | null;
  readonly format: DataFormat;
  readonly maxSessions: number;
  readonly k: number;
  readonly history: number;
  readonly rnnEpochs: number;
  readonly rnnHidden: number;
  readonly rnnMaxWindows: number;
  readonly rnnLearningRate: number;
  readonly rnnBatch: number;
  readonly rnnCell: 'gru' | 'lstm';
  readonly rnnPatience: number;
  readonly rnnMaxSeconds: number;
  readonly rnnSamples: number;
  readonly rnnDropout: number;
  readonly skipRnn: boolean;
  readonly skipKnn: boolean;
  readonly knnNeighbours: number;
  readonly knnPostings: number;
  readonly knnWindow: number;
  readonly markovVariants: readonly string[];
  readonly rnnHeldOut: number;
  readonly saveRnn: string | null;
  readonly loadRnn: string | null;
  readonly seed: number;
  readonly out: string | null;
}

export const evalCli = defineCommand({
  run: 'npm run eval:predict --',
  summary:
    'Trains the next-action predictors (variable-order Markov, session-kNN, the RNN, their ensemble) on the first 80 % of the ' +
    'sessions in file order (or on all of --data when --test is given) and scores Hit@k, MRR@k and NLL on every position of ' +
    'the rest (or of --test); see libs/prediction-core/README.md.',
  options: {
    data: { type: 'string', required: true, file: DATA_HINT, description: 'the session data' },
    test: { type: 'string', file: DATA_HINT, description: 'test sessions (same format): train on all of --data, test on every position of these' },
    format: {
      type: 'string',
      choices: ['msnbc', 'lines', 'tsv'],
      required: true,
      description: 'MSNBC .zip/.seq, one session per line, or session/item/time rows',
    },
    'max-sessions': { type: 'integer', min: 1, default: Number.POSITIVE_INFINITY, description: 'read only the first N sessions' },
    k: { type: 'integer', min: 0, max: 8, default: 0, description: 'Markov order, 0 = the order (1..5) that ranks best on the held-out sessions' },
    history: { type: 'integer', min: 1, default: 10, placeholder: '<T>', description: 'RNN history length' },
    'rnn-epochs': {
      type: 'integer',
      min: 1,
      default: DEFAULT_RNN_CONFIG.epochs,
      description: 'RNN epochs at most (training stops earlier when the held-out loss stops improving)',
    },
    'rnn-patience': { type: 'integer', min: 1, default: DEFAULT_RNN_CONFIG.patience, description: 'RNN epochs without held-out improvement that end training' },
    'rnn-max-seconds': { type: 'number', min: 0, default: DEFAULT_RNN_CONFIG.maxSeconds, description: 'RNN training wall-clock budget in seconds, 0 = none' },
    'rnn-hidden': { type: 'integer', min: 1, default: DEFAULT_RNN_CONFIG.hiddenUnits, description: 'RNN hidden units' },
    'rnn-cell': { type: 'string', choices: ['gru', 'lstm'], default: 'gru', description: 'RNN cell' },
    'rnn-windows': { type: 'integer', min: 0, default: DEFAULT_RNN_CONFIG.maxWindows, description: 'RNN training windows per epoch, 0 = all' },
    'rnn-lr': { type: 'number', min: 0, default: DEFAULT_RNN_CONFIG.learningRate, description: 'RNN initial learning rate' },
    'rnn-batch': { type: 'integer', min: 0, default: DEFAULT_RNN_CONFIG.batchSize, description: 'RNN batch size, 0 = sized to the data' },
    'rnn-dropout': { type: 'number', min: 0, max: 0.9, default: DEFAULT_RNN_CONFIG.dropout, description: 'RNN dropout on the last hidden state' },
    'rnn-samples': {
      type: 'integer',
      min: 0,
      default: DEFAULT_RNN_CONFIG.outputSamples,
      description: 'RNN sampled-softmax negatives per batch (used above twice this many actions), 0 = full softmax',
    },
    'heldout-positions': { type: 'integer', min: 0, default: 60_000, description: 'held-out positions that fit the ensemble weights' },
    'save-rnn': { type: 'string', placeholder: '<file>', description: 'write the trained RNN artifact here' },
    'load-rnn': {
      type: 'string',
      placeholder: '<file>',
      file: 'an RNN artifact written by --save-rnn',
      description: 'use this RNN artifact instead of training one',
    },
    'no-rnn': { type: 'boolean', description: 'skip the RNN (the ensemble mixes the other models)' },
    'no-knn': { type: 'boolean', description: 'skip session-kNN (the ensemble mixes the other models)' },
    'knn-neighbours': { type: 'integer', min: 1, default: 100, description: 'session-kNN: neighbours that vote (k)' },
    'knn-postings': { type: 'integer', min: 1, default: 500, description: 'session-kNN: most recent sessions per action that are candidates (M)' },
    'knn-window': { type: 'integer', min: 1, default: 20, description: 'session-kNN: most recent actions of the session that find neighbours' },
    'markov-variants': {
      type: 'list',
      placeholder: '<smoothing:K[:opts],...>',
      description: 'extra Markov variants, e.g. ppm-c:3,interpolated:4:d0.9,ppm-d:3:noanchor',
    },
    seed: { type: 'integer', min: 0, default: 42, description: 'random seed' },
    out: { type: 'string', placeholder: '<file>', defaultText: '.bench-results/eval-predict-<data file name>.json', description: 'JSON result file' },
  },
  examples: [
    'npm run eval:predict -- --data data/fifa98/FIFA.dat --format lines',
    'npm run eval:predict -- --data data/diginetica/diginetica-train.lines --test data/diginetica/diginetica-test.lines --format lines',
    'npm run eval:predict -- --data data/msnbc/msnbc990928.zip --format msnbc --k 5 --max-sessions 277778 --rnn-windows 0',
  ],
  build: (v): EvalArgs => ({
    data: v.data,
    test: v.test ?? null,
    format: v.format,
    maxSessions: v.maxSessions,
    k: v.k,
    history: v.history,
    rnnEpochs: v.rnnEpochs,
    rnnHidden: v.rnnHidden,
    rnnMaxWindows: v.rnnWindows,
    rnnLearningRate: v.rnnLr,
    rnnBatch: v.rnnBatch,
    rnnCell: v.rnnCell,
    rnnPatience: v.rnnPatience,
    rnnMaxSeconds: v.rnnMaxSeconds,
    rnnSamples: v.rnnSamples,
    rnnDropout: v.rnnDropout,
    skipRnn: v.noRnn,
    skipKnn: v.noKnn,
    knnNeighbours: v.knnNeighbours,
    knnPostings: v.knnPostings,
    knnWindow: v.knnWindow,
    markovVariants: v.markovVariants,
    rnnHeldOut: v.heldoutPositions,
    saveRnn: v.saveRnn ?? null,
    loadRnn: v.loadRnn ?? null,
    seed: v.seed,
    out: v.out ?? null,
  }),
});
