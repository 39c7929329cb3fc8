import { defineCommand } from '@foresight/cli';

export const prefetchE2eCli = defineCommand({
  run: 'npm run bench:prefetch-e2e --',
  summary:
    'The predictive cache end to end: starts the real stack on 127.0.0.1 with a Markov model trained on the first 80 % ' +
    "of the trace's sessions, then replays sessions of the last 20 % through the gateway (POST the action view:<page>, " +
    'GET page:<page>) twice, with prediction and without (--baseline policy), and compares how often reads waited on the origin.',
  options: {
    data: { type: 'string', required: true, file: 'a session trace such as the FIFA 1998 one (FIFA.dat)', description: 'the session trace' },
    format: {
      type: 'string',
      choices: ['lines', 'msnbc', 'tsv'],
      default: 'lines',
      description: 'one session per line, MSNBC .seq text, or session/item/time rows',
    },
    'latency-ms': { type: 'number', min: 0, default: 20, description: "the example origin's latency per request" },
    'payload-bytes': { type: 'integer', min: 0, default: 1024, description: "size of the example origin's answers" },
    'budget-kib': { type: 'number', min: 1, default: 256, description: "the shard node's cache budget, CACHE_BUDGET_BYTES / 1024" },
    requests: { type: 'integer', min: 1, default: 1500, description: 'measured reads per phase' },
    'warm-sessions': { type: 'integer', min: 0, default: 60, description: 'unmeasured warm-up sessions per phase, the last of the training part' },
    concurrency: { type: 'integer', min: 1, default: 16, description: 'sessions replayed at once' },
    'think-ms': { type: 'number', min: 0, default: 100, description: 'mean think time between steps, exponential and seeded; 0 = none' },
    'max-session-length': { type: 'integer', min: 1, default: 40, description: 'steps replayed per session at most' },
    'fetch-budget': {
      type: 'number',
      min: 1,
      max: 1000,
      default: 1.3,
      description: "the shard node's CACHE_FETCH_BUDGET: origin fetches allowed as a multiple of a demand-only cache's",
    },
    baseline: { type: 'string', choices: ['lru', 'lfu', 'foresight'], default: 'lru', description: 'CACHE_POLICY of the phase without prediction' },
    seed: { type: 'integer', min: 0, default: 1, description: 'seed of the think times' },
    out: { type: 'string', default: '.bench-results/prefetch-e2e.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: [
    'npm run bench:prefetch-e2e -- --data data/fifa98/FIFA.dat',
    'npm run bench:prefetch-e2e -- --data data/fifa98/FIFA.dat --latency-ms 50 --baseline lfu --out .bench-results/prefetch-e2e-lfu.json',
  ],
});

/** Options of `npm run bench:prefetch-e2e`. */
export type Args = ReturnType<typeof prefetchE2eCli.parse>;
