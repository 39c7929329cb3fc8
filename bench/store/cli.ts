import { parseArgs } from 'node:util';
import { BenchError } from './errors';

/** The systems the benchmark can compare. */
export const SYSTEMS = ['foresight', 'redis', 'postgres'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** The operations measured on each system. */
export const OPS = ['get', 'put'] as const;
export type OpName = (typeof OPS)[number];

/** Validated command-line options of `npm run bench:store`. */
export interface BenchOptions {
  readonly sessions: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly systems: readonly SystemName[];
  readonly ops: readonly OpName[];
  readonly group: string;
  readonly name: string;
  readonly seed: number;
  readonly pgPoolSize: number;
  readonly ttlS: number;
  readonly shardNodes?: number;
  readonly foresightUrl?: string;
  readonly apiKey?: string;
  readonly databaseUrl?: string;
  readonly redisBin: string;
  /** LOG_LEVEL of the Foresight services the harness starts. */
  readonly foresightLogLevel: string;
  readonly out: string;
  readonly help: boolean;
}

/** Usage text printed by `--help`. */
export const USAGE = `npm run bench:store -- [options]

  --sessions <n>          sessions created up front in each system (default 1000)
  --duration <s>          measured seconds per system and op (default 15)
  --warmup <s>            unmeasured warm-up seconds before each measurement (default 3)
  --connections <n>       concurrent HTTP connections (default 64)
  --systems <list>        comma-separated: foresight,redis,postgres (default all three)
  --ops <list>            comma-separated: get,put (default both)
  --var <group/name>      the variable read and written (default cart/items)
  --seed <n>              RNG seed for payloads and session choice (default 42)
  --pg-pool <n>           pg pool size of the Postgres peer (default 10, pg's default)
  --ttl <s>               session TTL of the peers (default 86400, one day)
  --shard-nodes <n>       shard nodes when the harness starts the local Foresight stack (default 1)
  --foresight-url <url>   use an already-running Foresight gateway instead of starting one
  --api-key <key>         API key for --foresight-url
  --database-url <url>    Postgres for the local stack and the Postgres peer (default: the
                          stack's embedded Postgres; with --foresight-url, give Foresight's)
  --redis-bin <path>      redis-server binary (default /usr/bin/redis-server)
  --log-level <level>     LOG_LEVEL of the Foresight services started here (default warn: the
                          peers log nothing either)
  --out <file>            JSON result file (default .bench-results/store.json)
  --help                  print this text`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function positiveInt(flag: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) problems.push(`--${flag} must be a positive integer (got "${raw}")`);
  return n;
}

function list<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], problems: string[]): T[] {
  if (raw === undefined) return [...allowed];
  const items = raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const unknown = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (unknown.length > 0) problems.push(`--${flag}: unknown ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  if (items.length === 0) problems.push(`--${flag} must name at least one of ${allowed.join(', ')}`);
  // Keep the canonical order so tables always read the same way.
  return allowed.filter((a) => items.includes(a));
}

function parseRaw(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      sessions: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      systems: { type: 'string' },
      ops: { type: 'string' },
      var: { type: 'string' },
      seed: { type: 'string' },
      'pg-pool': { type: 'string' },
      ttl: { type: 'string' },
      'shard-nodes': { type: 'string' },
      'foresight-url': { type: 'string' },
      'api-key': { type: 'string' },
      'database-url': { type: 'string' },
      'redis-bin': { type: 'string' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}

/**
 * Parses and validates the arguments; throws `BENCH.BAD_ARGUMENT` listing every problem at once.
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (err) {
    throw new BenchError('BENCH.BAD_ARGUMENT', `${(err as Error).message}\n\n${USAGE}`);
  }
  const values = parsed.values;
  const problems: string[] = [];
  const [group, name, ...extra] = (values.var ?? 'cart/items').split('/');
  if (!group || !name || extra.length > 0) problems.push(`--var must look like <group>/<name> (got "${values.var ?? ''}")`);
  const warmupRaw = values.warmup;
  const warmupS = warmupRaw === '0' ? 0 : positiveInt('warmup', warmupRaw, 3, problems);
  const options: BenchOptions = {
    sessions: positiveInt('sessions', values.sessions, 1000, problems),
    durationS: positiveInt('duration', values.duration, 15, problems),
    warmupS,
    connections: positiveInt('connections', values.connections, 64, problems),
    systems: list('systems', values.systems, SYSTEMS, problems),
    ops: list('ops', values.ops, OPS, problems),
    group: group ?? '',
    name: name ?? '',
    seed: positiveInt('seed', values.seed, 42, problems),
    pgPoolSize: positiveInt('pg-pool', values['pg-pool'], 10, problems),
    ttlS: positiveInt('ttl', values.ttl, 86_400, problems),
    shardNodes: values['shard-nodes'] === undefined ? undefined : positiveInt('shard-nodes', values['shard-nodes'], 1, problems),
    foresightUrl: values['foresight-url'],
    apiKey: values['api-key'],
    databaseUrl: values['database-url'],
    redisBin: values['redis-bin'] ?? '/usr/bin/redis-server',
    foresightLogLevel: values['log-level'] ?? 'warn',
    out: values.out ?? '.bench-results/store.json',
    help: values.help ?? false,
  };
  if (!LOG_LEVELS.includes(options.foresightLogLevel)) {
    problems.push(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${options.foresightLogLevel}")`);
  }
  if (options.foresightUrl !== undefined && options.apiKey === undefined) {
    problems.push('--foresight-url needs --api-key (the gateway authenticates every request)');
  }
  if (problems.length > 0) throw new BenchError('BENCH.BAD_ARGUMENT', `Invalid arguments:\n  - ${problems.join('\n  - ')}`);
  return options;
}
