import { parseArgs } from 'node:util';

/** Input formats: one session per line (`lines`, FIFA), MSNBC `.seq` text, or `session item time` rows. */
export type TraceFormat = 'lines' | 'msnbc' | 'tsv';

/** Systems the replay can compare. */
export const ALL_POLICIES = ['lru', 'lfu', 'lfu-perfect', 'lru+markov-top3', 'foresight', 'belady', 'perfect-prefetch'] as const;
export type PolicyName = (typeof ALL_POLICIES)[number];

/** Options of `npm run bench:prefetch`. */
export interface BenchArgs {
  readonly data: string;
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
  readonly prefetchConcurrency: number;
  readonly seed: number;
  readonly out: string;
}

export const USAGE = `usage: npm run bench:prefetch -- --data <path> --format lines|msnbc|tsv [options]
  --capacities 1,5,10,20      cache capacities, % of distinct keys (default 1,5,10,20)
  --concurrency 1             live sessions interleaved at once; 1 = sessions back to back (default 1)
  --policies a,b              subset of ${ALL_POLICIES.join(',')}
  --latency-ms 20             origin latency per load
  --think-ms 5000             mean think time between a session's requests (exponential)
  --train-share 0.8           share of sessions (file order) that warms the cache and the model
  --max-sessions N            read only the first N sessions
  --model markov-1            Foresight's predictor: markov-K (PPM-C, K = 1..8) or markov-K-interpolated
  --min-p 0.05                Foresight: prefetch/protect keys at least this likely
  --protect-steps 10          Foresight: requests of the session a predicted key stays protected
  --hop-width 3               Foresight: most likely next actions expanded one step further (0 = off)
  --prefetch-share 0.75       Foresight: share of the cache all live sessions' predicted keys may take
  --age-decay 0.7             Foresight: weight of a prediction per request of age when a session's share is full
  --prefetch-concurrency 8    prefetches in flight per origin
  --seed 1                    seed of the think-time generator
  --out .bench-results/prefetch.json`;

/** Parses the command line; throws with the usage text on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const keys = ['data', 'format', 'capacities', 'concurrency', 'policies', 'latency-ms', 'think-ms', 'train-share', 'max-sessions', 'model', 'min-p', 'protect-steps', 'hop-width', 'prefetch-share', 'age-decay', 'prefetch-concurrency', 'seed', 'out'];
  const { values } = parseArgs({ args: [...argv], options: Object.fromEntries(keys.map((k) => [k, { type: 'string' as const }])), strict: true });
  const v = values as Record<string, string | undefined>;
  const num = (key: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number => {
    const raw = v[key];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${key} must be a number in [${min}, ${max}], got "${raw}"\n${USAGE}`);
    return n;
  };
  const list = (key: string, fallback: number[], min: number, max: number): number[] => {
    const raw = v[key];
    if (raw === undefined) return fallback;
    const out = raw.split(',').map(Number);
    if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n < min || n > max)) throw new Error(`--${key} must be numbers in [${min}, ${max}], got "${raw}"\n${USAGE}`);
    return out;
  };
  if (v['data'] === undefined) throw new Error(`--data is required\n${USAGE}`);
  const format = (v['format'] ?? 'lines') as TraceFormat;
  if (!['lines', 'msnbc', 'tsv'].includes(format)) throw new Error(`--format must be lines, msnbc or tsv\n${USAGE}`);
  const policies = (v['policies']?.split(',') ?? [...ALL_POLICIES]) as PolicyName[];
  const unknown = policies.filter((p) => !(ALL_POLICIES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown policies: ${unknown.join(', ')}\n${USAGE}`);
  const model = v['model'] ?? 'markov-1';
  if (!/^markov-[1-8](-interpolated)?$/.test(model)) throw new Error(`--model must be markov-K or markov-K-interpolated\n${USAGE}`);
  return {
    data: v['data'],
    format,
    capacities: list('capacities', [1, 5, 10, 20], 0.001, 100),
    concurrency: list('concurrency', [1], 1, 100_000).map(Math.round),
    policies,
    latencyMs: num('latency-ms', 20, 0),
    thinkMs: num('think-ms', 5000, 0),
    trainShare: num('train-share', 0.8, 0, 0.99),
    maxSessions: num('max-sessions', Number.POSITIVE_INFINITY, 1),
    model,
    minProbability: num('min-p', 0.05, 0, 1),
    protectSteps: Math.round(num('protect-steps', 10, 0)),
    hopWidth: Math.round(num('hop-width', 3, 0)),
    prefetchShare: num('prefetch-share', 0.75, 0),
    ageDecay: num('age-decay', 0.7, 0, 1),
    prefetchConcurrency: Math.round(num('prefetch-concurrency', 8, 1)),
    seed: num('seed', 1, 0),
    out: v['out'] ?? '.bench-results/prefetch.json',
  };
}
