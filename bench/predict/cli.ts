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
  /** Sessions whose histories are queried (default: the last 20% of --data). */
  readonly test: string | null;
  /** Concurrent sessions of the hot-path measurement. */
  readonly liveSessions: number;
  /** Timed plans per model kind on the hot path (0: skip it). */
  readonly plans: number;
  /** Held-out positions that fit (and as many that compare) the mixtures of the hot-path bundle. */
  readonly fitPositions: number;
  /** Time between a live session's actions in the hot-path simulation (ms). */
  readonly actionIntervalMs: number;
}

export const predictCli = defineCommand({
  run: 'npm run bench:predict --',
  summary:
    'Measures in-process prediction latency: Markov top-5 per call (interpolated and PPM-C, with and without a ' +
    "per-user blend), batched RNN inference at batch sizes 1, 32 and 256, and the cache node's hot path: per-plan " +
    'latency at N live sessions for each model kind a bundle can hold (markov, +knn, +rnn, all three).',
  options: {
    data: { type: 'string', file: DATA_HINT, defaultText: '50,000 sessions generated from a random sparse Markov chain', description: 'the session data' },
    format: { type: 'string', choices: ['msnbc', 'lines', 'tsv'], default: 'lines', description: 'format of --data' },
    'max-sessions': { type: 'integer', min: 1, default: 300_000, description: 'read only the first N sessions of --data' },
    k: { type: 'integer', min: 1, default: 3, description: 'Markov order' },
    calls: { type: 'integer', min: 1, default: 200_000, description: 'timed calls per Markov case' },
    history: { type: 'integer', min: 1, default: 10, description: "query history length, also the RNN's" },
    'rnn-hidden': { type: 'integer', min: 1, default: 128, description: 'RNN hidden units' },
    test: { type: 'string', file: DATA_HINT, defaultText: 'the last 20% of --data', description: 'sessions whose histories are queried (same --format)' },
    'live-sessions': { type: 'integer', min: 1, default: 1000, description: 'concurrent sessions planning on the hot path' },
    plans: { type: 'integer', min: 0, default: 20_000, description: 'timed plans per model kind on the hot path (0 skips it)' },
    'action-interval-ms': {
      type: 'integer',
      min: 1,
      default: 1000,
      description: "time between a live session's actions on the hot path (RNN passes run in it)",
    },
    'fit-positions': { type: 'integer', min: 10, default: 2000, description: "held-out positions fitting the hot-path bundle's mixtures" },
    out: {
      type: 'string',
      placeholder: '<file>',
      defaultText: '.bench-results/bench-predict-<data file name or generated>.json',
      description: 'JSON result file',
    },
  },
  examples: [
    'npm run bench:predict -- --data data/fifa98/FIFA.dat --format lines',
    'npm run bench:predict -- --data diginetica-train.lines --test diginetica-test.lines --calls 20000',
  ],
  build: (v): Args => ({
    data: v.data ?? null,
    format: v.format,
    maxSessions: v.maxSessions,
    k: v.k,
    calls: v.calls,
    history: v.history,
    hidden: v.rnnHidden,
    out: v.out ?? null,
    test: v.test ?? null,
    liveSessions: v.liveSessions,
    plans: v.plans,
    fitPositions: v.fitPositions,
    actionIntervalMs: v.actionIntervalMs,
  }),
});
