import { parseArgs } from 'node:util';

/** Options of `npm run bench:tokens`; durations in milliseconds once parsed. */
export interface BenchArgs {
  readonly data: string;
  readonly out: string;
  readonly accessTtlMs: number;
  readonly idleGapMs: number;
  readonly timeScale: number;
  readonly peakWindowMs: number;
  readonly refreshLatencyMs: number;
  readonly graceMs: number;
  readonly thresholdMs: number;
  readonly minSkewMs: number;
  readonly pActive: number;
  readonly bucketMs: number;
  readonly pullForwardMs: number;
  readonly maxLoadPerSecond: number;
  readonly seasonMs: number;
  readonly seed: number;
}

export const USAGE = `usage: npm run bench:tokens -- --data <apache_logs> [options]
  --access-ttl <s>          access-token lifetime (default 900)
  --idle-gap <s>            sessionisation gap = server idle timeout (default 1800)
  --time-scale <k>          stretch the replay clock k times after sessionising (default 1)
  --peak-window <s>         window of the sustained-rate measure, replay seconds (default 10 × time-scale)
  --refresh-latency-ms <ms> refresh round trip (default 100)
  --grace <s>               grace for the previous refresh token (default 30)
  --threshold <s>           Foresight: refresh window opens this long before expiry (default 300)
  --min-skew <s>            Foresight: floor, refresh no later than this before expiry (default 60)
  --p-active <p>            Foresight: refresh only if P(session still active) >= p (default 0.005)
  --bucket <s>              Foresight: scheduler bucket (default 10)
  --pull-forward <s>        Foresight: max pull-forward before a predicted peak (default 300)
  --max-load-per-s <n>      Foresight: target ceiling of token-service ops/s (default 1)
  --season <s>              Foresight: Holt-Winters season, replay seconds (default 3600 × time-scale)
  --seed <n>                seed of the simulated refresh-token random source (default 1)
  --out <file>              JSON output (default .bench-results/tokens.json)`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      ['data', 'out', 'access-ttl', 'idle-gap', 'time-scale', 'peak-window', 'refresh-latency-ms', 'grace', 'threshold', 'min-skew', 'p-active', 'bucket', 'pull-forward', 'max-load-per-s', 'season', 'seed'].map(
        (k) => [k, { type: 'string' as const }],
      ),
    ),
    strict: true,
  });
  const num = (key: string, fallback: number, min = 0): number => {
    const raw = values[key];
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${key} must be a number >= ${min}, got "${raw}"`);
    return v;
  };
  if (typeof values['data'] !== 'string') throw new Error(`--data is required\n${USAGE}`);
  const timeScale = num('time-scale', 1, 0.001);
  const bucket = num('bucket', 10, 0.001);
  return {
    data: values['data'],
    out: typeof values['out'] === 'string' ? values['out'] : '.bench-results/tokens.json',
    accessTtlMs: num('access-ttl', 900, 1) * 1000,
    idleGapMs: num('idle-gap', 1800, 1) * 1000,
    timeScale,
    peakWindowMs: num('peak-window', 10 * timeScale, 0.001) * 1000,
    refreshLatencyMs: num('refresh-latency-ms', 100),
    graceMs: num('grace', 30) * 1000,
    thresholdMs: num('threshold', 300) * 1000,
    minSkewMs: num('min-skew', 60) * 1000,
    pActive: num('p-active', 0.005),
    bucketMs: bucket * 1000,
    pullForwardMs: num('pull-forward', 300) * 1000,
    maxLoadPerSecond: num('max-load-per-s', 1),
    seasonMs: num('season', 3600 * timeScale, bucket) * 1000,
    seed: num('seed', 1),
  };
}
