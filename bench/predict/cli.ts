import { defineCommand } from '@foresight/cli';
import { DATA_HINT, type DataFormat } from '../../tools/eval-predict/datasets';

/** Options of `npm run bench:predict`. */
export interface Args {
  readonly data: string | null;
  readonly format: DataFormat;
  readonly maxSessions: number;
  readonly k: number;
  readonly calls: number;
  readonly history: number;
  readonly hidden: number;
  readonly out: string | null;
}

export const predictCli = defineCommand({
  run: 'npm run bench:predict --',
  summary:
    'Measures in-process prediction latency: Markov top-5 per call (interpolated and PPM-C, with and without a ' +
    'per-user blend) and batched RNN inference at batch sizes 1, 32 and 256.',
  options: {
    data: { type: 'string', file: DATA_HINT, defaultText: '50,000 sessions generated from a random sparse Markov chain', description: 'the session data' },
    format: { type: 'string', choices: ['msnbc', 'lines', 'tsv'], default: 'lines', description: 'format of --data' },
    'max-sessions': { type: 'integer', min: 1, default: 300_000, description: 'read only the first N sessions of --data' },
    k: { type: 'integer', min: 1, default: 3, description: 'Markov order' },
    calls: { type: 'integer', min: 1, default: 200_000, description: 'timed calls per Markov case' },
    history: { type: 'integer', min: 1, default: 10, description: "query history length, also the RNN's" },
    'rnn-hidden': { type: 'integer', min: 1, default: 128, description: 'RNN hidden units' },
    out: {
      type: 'string',
      placeholder: '<file>',
      defaultText: '.bench-results/bench-predict-<data file name or generated>.json',
      description: 'JSON result file',
    },
  },
  examples: ['npm run bench:predict -- --data data/fifa98/FIFA.dat --format lines'],
  build: (v): Args => ({
    data: v.data ?? null,
    format: v.format,
    maxSessions: v.maxSessions,
    k: v.k,
    calls: v.calls,
    history: v.history,
    hidden: v.rnnHidden,
    out: v.out ?? null,
  }),
});
