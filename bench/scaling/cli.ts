import { CliUsageError, defineCommand } from '@foresight/cli';
import { BenchError } from '../store/errors';

/** The operations measured in every configuration. */
const OPS = ['put', 'get'] as const;
export type ScalingOp = (typeof OPS)[number];

/** Whether the load generator is pinned to a core of its own with taskset. */
const PIN_MODES = ['auto', 'off'] as const;
export type PinMode = (typeof PIN_MODES)[number];

/** One cell of the matrix: how many shard nodes and gateways the stack runs. */
export interface Configuration {
  readonly shardNodes: number;
  readonly gateways: number;
}

/** Validated command-line options of `npm run bench:scaling`. */
export interface ScalingOptions {
  /** Shard-node counts, ascending, without repeats. */
  readonly shardNodes: readonly number[];
  /** Gateway counts, ascending, without repeats. */
  readonly gateways: readonly number[];
  readonly ops: readonly ScalingOp[];
  readonly sessions: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Seconds of CPU sampling without load before each configuration's measurements (0 = none). */
  readonly idleS: number;
  readonly connections: number;
  readonly seed: number;
  readonly pin: PinMode;
  readonly foresightLogLevel: string;
  readonly out: string;
}

/** The largest node or gateway count the matrix accepts on one machine. */
export const MAX_PROCESSES = 8;

/** Ascending, without repeats: the matrix always reads the same way whatever order was typed. */
export function ascendingUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * The configurations to run, shard-node-major: for each shard-node count every gateway count in
 * ascending order, so one stack per shard-node count serves all its gateway counts (gateways are
 * added, never removed).
 */
export function configurationMatrix(shardNodes: readonly number[], gateways: readonly number[]): Configuration[] {
  const s = ascendingUnique(shardNodes);
  const g = ascendingUnique(gateways);
  return s.flatMap((shards) => g.map((gws) => ({ shardNodes: shards, gateways: gws })));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const scalingCli = defineCommand({
  run: 'npm run bench:scaling --',
  summary:
    'Runs Foresight on this machine with each combination of shard nodes and gateways, measures PUT and GET throughput, ' +
    'latency and the CPU each process group spends per operation, and prints what the scaling model predicts next to it ' +
    '(see bench/scaling/README.md and docs/scaling.md).',
  options: {
    'shard-nodes': {
      type: 'list',
      item: 'integer',
      min: 1,
      max: MAX_PROCESSES,
      default: [1, 2, 3],
      description: 'shard-node counts of the matrix, comma-separated',
    },
    gateways: {
      type: 'list',
      item: 'integer',
      min: 1,
      max: MAX_PROCESSES,
      default: [1, 2],
      description: 'gateway counts of the matrix; the load generator spreads its connections over them',
    },
    ops: { type: 'list', choices: OPS, default: OPS, description: 'which operations, comma-separated' },
    sessions: { type: 'integer', min: 1, default: 500, description: 'sessions created in each stack before it is measured' },
    duration: { type: 'integer', min: 1, default: 10, placeholder: '<s>', description: 'measured seconds per configuration and op' },
    warmup: { type: 'integer', min: 0, default: 2, placeholder: '<s>', description: 'unmeasured warm-up seconds before each measurement, 0 = none' },
    idle: {
      type: 'integer',
      min: 0,
      default: 3,
      placeholder: '<s>',
      description: "seconds without load before each configuration, to measure the services' background CPU (subtracted from the CPU per op), 0 = none",
    },
    connections: { type: 'integer', min: 1, default: 64, description: 'concurrent keep-alive connections, spread round-robin over the gateways' },
    seed: { type: 'integer', min: 1, default: 42, description: 'RNG seed for payloads and session choice' },
    pin: {
      type: 'string',
      choices: PIN_MODES,
      default: 'auto',
      description: 'auto: pin the load generator to a core of its own and the services to the others with taskset, when possible; off: no pinning',
    },
    'log-level': { type: 'string', choices: LOG_LEVELS, default: 'warn', description: 'LOG_LEVEL of the Foresight services started here' },
    out: { type: 'string', default: '.bench-results/scaling.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: [
    'nice -n 10 npm run bench:scaling',
    'npm run bench:scaling -- --shard-nodes 1,3 --gateways 1 --ops put --duration 5',
    'npm run bench:scaling -- --pin off --out .bench-results/scaling-unpinned.json',
  ],
  build: (v, fail): ScalingOptions => {
    if (v.gateways.length === 0 || v.shardNodes.length === 0) fail('--shard-nodes and --gateways need at least one count each');
    const maxGateways = Math.max(...v.gateways);
    if (v.connections < maxGateways) fail(`--connections must be at least the largest gateway count (${maxGateways}), so every gateway gets a connection`);
    return {
      shardNodes: ascendingUnique(v.shardNodes),
      gateways: ascendingUnique(v.gateways),
      ops: OPS.filter((o) => v.ops.includes(o)),
      sessions: v.sessions,
      durationS: v.duration,
      warmupS: v.warmup,
      idleS: v.idle,
      connections: v.connections,
      seed: v.seed,
      pin: v.pin,
      foresightLogLevel: v.logLevel,
      out: v.out,
    };
  },
});

/** Parses and validates the arguments; throws `BENCH.BAD_ARGUMENT` listing every problem at once. */
export function parseScalingArgs(argv: readonly string[]): ScalingOptions {
  try {
    return scalingCli.parse(argv);
  } catch (err) {
    if (err instanceof CliUsageError) throw new BenchError('BENCH.BAD_ARGUMENT', err.message);
    throw err;
  }
}
