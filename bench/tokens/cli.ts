import { defineCommand } from '@foresight/cli';

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
  readonly maxAccessTtlMs: number;
  readonly peakRatio: number;
  /** Foresight: renewal-on-use window (0 = off). */
  readonly renewOnUseMs: number;
  /** Foresight: gate renewal on use by the calibrated rating, as a push (the token service always renews). */
  readonly gateRenewal: boolean;
  /** Also run Foresight without the push ledger (re-rated every round, raw ratings), in the same run. */
  readonly compareRerated: boolean;
  readonly seed: number;
}

export const tokensCli = defineCommand({
  run: 'npm run bench:tokens --',
  summary:
    'Replays an Apache combined log, sessionised by client, through token-core on a simulated clock and compares ' +
    "refresh policies (fixed skew 60 s / 300 s, refresh on 401, Foresight's planned refreshes); see libs/token-core/README.md.",
  options: {
    data: {
      type: 'string',
      required: true,
      file: 'an Apache combined log such as a web server access log (apache_logs)',
      description: 'the access log to replay',
    },
    'access-ttl': { type: 'number', min: 1, default: 900, placeholder: '<s>', description: 'access-token lifetime' },
    'idle-gap': { type: 'number', min: 1, default: 1800, placeholder: '<s>', description: 'sessionisation gap = server idle timeout' },
    'time-scale': { type: 'number', min: 0.001, default: 1, placeholder: '<k>', description: 'stretch the replay clock k times after sessionising' },
    'peak-window': {
      type: 'number',
      min: 0.001,
      defaultText: '10 × --time-scale',
      placeholder: '<s>',
      description: 'window of the sustained-rate measure, replay seconds',
    },
    'refresh-latency-ms': { type: 'number', min: 0, default: 100, placeholder: '<ms>', description: 'refresh round trip' },
    grace: { type: 'number', min: 0, default: 30, placeholder: '<s>', description: 'grace for the previous refresh token' },
    threshold: { type: 'number', min: 0, default: 300, placeholder: '<s>', description: 'Foresight: refresh window opens this long before expiry' },
    'min-skew': { type: 'number', min: 0, default: 60, placeholder: '<s>', description: 'Foresight: floor, refresh no later than this before expiry' },
    'p-active': { type: 'number', min: 0, max: 1, default: 0.005, placeholder: '<p>', description: 'Foresight: refresh only if P(session still active) >= p' },
    bucket: { type: 'number', min: 0.001, default: 10, placeholder: '<s>', description: 'Foresight: scheduler bucket' },
    'pull-forward': { type: 'number', min: 0, default: 300, placeholder: '<s>', description: 'Foresight: max pull-forward before a predicted peak' },
    'max-load-per-s': { type: 'number', min: 0, default: 1, description: 'Foresight: target ceiling of token-service ops/s' },
    season: {
      type: 'number',
      min: 0.001,
      defaultText: '3600 × --time-scale',
      placeholder: '<s>',
      description: 'Foresight: Holt-Winters season in replay seconds, at least --bucket',
    },
    'max-access-ttl': {
      type: 'number',
      min: 1,
      defaultText: '2 × --access-ttl',
      placeholder: '<s>',
      description: 'Foresight: longest access token issued in a predicted peak (= --access-ttl turns longer tokens off)',
    },
    'peak-ratio': { type: 'number', min: 1, default: 2, placeholder: '<k>', description: 'Foresight: a peak is forecast work ≥ k × its long-run mean' },
    'renew-on-use': {
      type: 'number',
      min: 0,
      defaultText: '--min-skew + --bucket',
      placeholder: '<s>',
      description: 'Foresight: a request finding its token this close to expiry renews it off its path (0 turns renewal on use off)',
    },
    'gate-renewal': {
      type: 'boolean',
      description: 'Foresight: renew on use only when the calibrated rating of a return after the expiry reaches --p-active (the token service renews always)',
    },
    'compare-rerated': {
      type: 'boolean',
      description: 'also run Foresight without its push ledger (every token re-rated each round on the raw rating, renewal on use always), as a baseline',
    },
    seed: { type: 'integer', min: 0, default: 1, description: 'seed of the simulated refresh-token random source' },
    out: { type: 'string', default: '.bench-results/tokens.json', placeholder: '<file>', description: 'JSON output' },
  },
  examples: [
    'npm run bench:tokens -- --data data/apache-semicomplete/apache_logs',
    'npm run bench:tokens -- --data data/apache-semicomplete/apache_logs --time-scale 30 --out .bench-results/tokens-x30.json',
  ],
  build: (v, fail): BenchArgs => {
    if (v.season !== undefined && v.season < v.bucket) fail(`--season must be at least --bucket (${v.bucket} s), got ${v.season}`);
    if (v.maxAccessTtl !== undefined && v.maxAccessTtl < v.accessTtl)
      fail(`--max-access-ttl must be at least --access-ttl (${v.accessTtl} s), got ${v.maxAccessTtl}`);
    return {
      data: v.data,
      out: v.out,
      accessTtlMs: v.accessTtl * 1000,
      idleGapMs: v.idleGap * 1000,
      timeScale: v.timeScale,
      peakWindowMs: (v.peakWindow ?? 10 * v.timeScale) * 1000,
      refreshLatencyMs: v.refreshLatencyMs,
      graceMs: v.grace * 1000,
      thresholdMs: v.threshold * 1000,
      minSkewMs: v.minSkew * 1000,
      pActive: v.pActive,
      bucketMs: v.bucket * 1000,
      pullForwardMs: v.pullForward * 1000,
      maxLoadPerSecond: v.maxLoadPerS,
      seasonMs: (v.season ?? 3600 * v.timeScale) * 1000,
      maxAccessTtlMs: (v.maxAccessTtl ?? 2 * v.accessTtl) * 1000,
      peakRatio: v.peakRatio,
      renewOnUseMs: (v.renewOnUse ?? v.minSkew + v.bucket) * 1000,
      compareRerated: v.compareRerated === true,
      gateRenewal: v.gateRenewal === true,
      seed: v.seed,
    };
  },
});

/** Parses the command line without touching files; throws `CliUsageError` on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  return tokensCli.parse(argv);
}
