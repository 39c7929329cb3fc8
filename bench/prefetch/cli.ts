import type { VictimMeasure } from '@foresight/cache-core';
import { defineCommand } from '@foresight/cli';

/** Input formats: one session per line (`lines`, FIFA), MSNBC `.seq` text, or `session item time` rows. */
export type TraceFormat = 'lines' | 'msnbc' | 'tsv';

/** Systems the replay can compare. */
const ALL_POLICIES = ['lru', 'lfu', 'lfu-perfect', 'lru+markov-top3', 'foresight', 'belady', 'perfect-prefetch'] as const;
export type PolicyName = (typeof ALL_POLICIES)[number];

/** Options of `npm run bench:prefetch`. */
export interface BenchArgs {
  readonly data: string;
  /** Sessions to measure on, when they come from their own file (the model trains on --data). */
  readonly test: string | undefined;
  readonly format: TraceFormat;
  readonly capacities: readonly number[];
  readonly concurrency: readonly number[];
  readonly policies: readonly PolicyName[];
  readonly latencyMs: number;
  readonly thinkMs: number;
  readonly trainShare: number;
  readonly maxSessions: number;
  readonly model: string;
  readonly minProbability: number;
  readonly protectSteps: number;
  readonly hopWidth: number;
  readonly prefetchShare: number;
  readonly ageDecay: number;
  readonly fetchBudget: number;
  readonly victimMeasure: VictimMeasure;
  readonly judge: 'all' | 'marginal';
  readonly prefetchConcurrency: number;
  readonly seed: number;
  readonly out: string;
}

export const prefetchCli = defineCommand({
  run: 'npm run bench:prefetch --',
  summary:
    "Replays a session trace through cache-core's PredictiveCache on a simulated clock and compares LRU, LFU, " +
    "perfect LFU, LRU + Markov top-3 prefetch, Foresight's policy, Belady's MIN and perfect prefetch at several cache sizes.",
  options: {
    data: {
      type: 'string',
      required: true,
      file: 'a session trace such as the FIFA 1998 trace (FIFA.dat) (an MSNBC .zip must be unzipped first)',
      description: 'the session trace to replay',
    },
    test: {
      type: 'string',
      file: 'sessions of the same format recorded after those of --data',
      description: 'measure on these sessions, after warming up on all of --data (instead of the --train-share cut)',
    },
    format: {
      type: 'string',
      choices: ['lines', 'msnbc', 'tsv'],
      default: 'lines',
      description: 'one session per line, MSNBC .seq text, or session/item/time rows',
    },
    capacities: { type: 'list', item: 'number', min: 0.001, max: 100, default: [1, 5, 10, 20], description: 'cache capacities, % of distinct keys' },
    concurrency: {
      type: 'list',
      item: 'integer',
      min: 1,
      max: 100_000,
      default: [1],
      description: 'live sessions interleaved at once; 1 = sessions back to back',
    },
    policies: { type: 'list', choices: ALL_POLICIES, default: ALL_POLICIES, description: 'systems to compare, in this order' },
    'latency-ms': { type: 'number', min: 0, default: 20, description: 'origin latency per load' },
    'think-ms': { type: 'number', min: 0, default: 5000, description: "mean think time between a session's requests, exponentially distributed" },
    'train-share': { type: 'number', min: 0, max: 0.99, default: 0.8, description: 'share of sessions (file order) that warms the cache and the model' },
    'max-sessions': { type: 'integer', min: 1, default: Number.POSITIVE_INFINITY, description: 'read only the first N sessions' },
    model: {
      type: 'string',
      default: 'markov-1',
      placeholder: '<markov-K>',
      description: "Foresight's predictor: markov-K (PPM-C, K = 1..8) or markov-K-interpolated",
      check: (m) => (/^markov-[1-8](-interpolated)?$/.test(m) ? undefined : 'be markov-K or markov-K-interpolated with K from 1 to 8'),
    },
    'min-p': { type: 'number', min: 0, max: 1, default: 0.05, description: 'Foresight: prefetch/protect keys at least this likely' },
    'protect-steps': { type: 'integer', min: 0, default: 10, description: 'Foresight: requests of the session a predicted key stays protected' },
    'hop-width': { type: 'integer', min: 0, default: 3, description: 'Foresight: most likely next actions expanded one step further, 0 = off' },
    'prefetch-share': { type: 'number', min: 0, default: 0.75, description: "Foresight: share of the cache all live sessions' predicted keys may take" },
    'age-decay': {
      type: 'number',
      min: 0,
      max: 1,
      default: 0.7,
      description: "Foresight: weight of a prediction per request of age when a session's share is full",
    },
    'fetch-budget': {
      type: 'number',
      min: 1,
      default: 1.3,
      description:
        "Foresight: origin fetches allowed, as a multiple of a demand-only LRU cache's (estimated online); a large value such as 100 lifts the limit",
    },
    victims: {
      type: 'string',
      choices: ['shadow', 'own', 'prefetch'],
      default: 'shadow',
      description:
        "Foresight: evictions that price a prefetch: a demand-only LRU shadow's (shadow), the node's own of read entries (own) or the node's own made to store a prefetch (prefetch)",
    },
    judge: {
      type: 'string',
      choices: ['all', 'marginal'],
      default: 'all',
      description:
        "Foresight: whose precision the budget holds to the victims' price: all prefetches, or the marginal ones (admitted under twice the threshold)",
    },
    'prefetch-concurrency': { type: 'integer', min: 1, default: 8, description: 'prefetches in flight per origin' },
    seed: { type: 'integer', min: 0, default: 1, description: 'seed of the think-time generator' },
    out: { type: 'string', default: '.bench-results/prefetch.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['npm run bench:prefetch -- --data data/fifa98/FIFA.dat --format lines --capacities 1,5,10,20 --concurrency 1,16 --latency-ms 20'],
  build: (v): BenchArgs => ({
    data: v.data,
    test: v.test,
    format: v.format,
    capacities: v.capacities,
    concurrency: v.concurrency,
    policies: v.policies,
    latencyMs: v.latencyMs,
    thinkMs: v.thinkMs,
    trainShare: v.trainShare,
    maxSessions: v.maxSessions,
    model: v.model,
    minProbability: v.minP,
    protectSteps: v.protectSteps,
    hopWidth: v.hopWidth,
    prefetchShare: v.prefetchShare,
    ageDecay: v.ageDecay,
    fetchBudget: v.fetchBudget,
    victimMeasure: v.victims,
    judge: v.judge,
    prefetchConcurrency: v.prefetchConcurrency,
    seed: v.seed,
    out: v.out,
  }),
});

/** Parses the command line without touching files; throws `CliUsageError` on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  return prefetchCli.parse(argv);
}
