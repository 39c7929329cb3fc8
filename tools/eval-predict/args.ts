import { defineCommand } from '@foresight/cli';
import { DATA_HINT, type DataFormat } from './datasets';

/** Command-line options of the evaluation. */
export interface EvalArgs {
  readonly data: string;
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
  readonly skipRnn: boolean;
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
    'Trains the next-action predictors (variable-order Markov, the RNN, their ensemble) on the first 80 % of the ' +
    'sessions in file order and scores Hit@k, MRR@k and NLL on the rest; see libs/prediction-core/README.md.',
  options: {
    data: { type: 'string', required: true, file: DATA_HINT, description: 'the session data' },
    format: {
      type: 'string',
      choices: ['msnbc', 'lines', 'tsv'],
      required: true,
      description: 'MSNBC .zip/.seq, one session per line, or session/item/time rows',
    },
    'max-sessions': { type: 'integer', min: 1, default: Number.POSITIVE_INFINITY, description: 'read only the first N sessions' },
    k: { type: 'integer', min: 1, default: 3, description: 'Markov order' },
    history: { type: 'integer', min: 1, default: 10, placeholder: '<T>', description: 'RNN history length' },
    'rnn-epochs': { type: 'integer', min: 0, default: 2, description: 'RNN training epochs' },
    'rnn-hidden': { type: 'integer', min: 1, default: 128, description: 'RNN hidden units' },
    'rnn-cell': { type: 'string', choices: ['gru', 'lstm'], default: 'gru', description: 'RNN cell' },
    'rnn-windows': { type: 'integer', min: 0, default: 700_000, description: 'RNN training windows per epoch, 0 = all' },
    'rnn-lr': { type: 'number', min: 0, default: 0.01, description: 'RNN learning rate' },
    'rnn-batch': { type: 'integer', min: 1, default: 1024, description: 'RNN batch size' },
    'heldout-positions': { type: 'integer', min: 0, default: 60_000, description: 'held-out positions that fit the ensemble weights' },
    'save-rnn': { type: 'string', placeholder: '<file>', description: 'write the trained RNN artifact here' },
    'load-rnn': {
      type: 'string',
      placeholder: '<file>',
      file: 'an RNN artifact written by --save-rnn',
      description: 'use this RNN artifact instead of training one',
    },
    'no-rnn': { type: 'boolean', description: 'Markov only: skip the RNN and the ensemble' },
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
    'npm run eval:predict -- --data data/msnbc/msnbc990928.zip --format msnbc --k 5 --max-sessions 277778 --rnn-windows 0',
  ],
  build: (v): EvalArgs => ({
    data: v.data,
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
    skipRnn: v.noRnn,
    markovVariants: v.markovVariants,
    rnnHeldOut: v.heldoutPositions,
    saveRnn: v.saveRnn ?? null,
    loadRnn: v.loadRnn ?? null,
    seed: v.seed,
    out: v.out ?? null,
  }),
});
