import { CliUsageError, defineCommand } from '@foresight/cli';
import { BenchError } from './errors';

/** The systems the benchmark can compare. */
const SYSTEMS = ['foresight', 'redis', 'postgres'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** The operations measured on each system. */
const OPS = ['get', 'put'] as const;
export type OpName = (typeof OPS)[number];

/** The redis-server the harness starts unless `--redis-bin` names another. */
export const DEFAULT_REDIS_BIN = '/usr/bin/redis-server';

/** Replication to warm secondaries, as the shard nodes' REPLICATION setting. */
const REPLICATION_MODES = ['off', 'on'] as const;
export type ReplicationMode = (typeof REPLICATION_MODES)[number];

/** Postgres servers the event store is spread over (EVENT_STORE_PARTITIONS), as `--postgres-servers` compares them. */
const POSTGRES_SERVERS = ['1', '2'] as const;
export type PostgresServers = 1 | 2;

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
  /**
   * Replication modes to compare (empty: the normal run). Each starts its own local stack with
   * REPLICATION set, measures Foresight only, and the run reports on/off throughput ratios.
   */
  readonly replication: readonly ReplicationMode[];
  /**
   * Transfer modes to compare (empty: the normal run): as `replication`, with TRANSFER set (the
   * state profiler and the transfer hooks on the request path, on or off).
   */
  readonly transfer: readonly ReplicationMode[];
  /**
   * Write coalescing modes to compare (empty: the normal run): as `replication`, with
   * NATS_WRITE_COALESCING set (one socket write per event-loop turn, or one per message).
   */
  readonly natsCoalescing: readonly ReplicationMode[];
  /**
   * Numbers of Postgres servers to compare (empty: the normal run): one local stack each, the
   * shards split in equal ranges over that many servers, Foresight only.
   */
  readonly postgresServers: readonly PostgresServers[];
  /**
   * Preferred-edge header modes to compare (empty: the normal run): as `replication`, with
   * EDGE_PREFERRED_HEADER set and the affinity service running in every mode.
   */
  readonly affinity: readonly ReplicationMode[];
  /** With `replication`, `transfer`, `natsCoalescing`, `affinity` or `postgresServers`: how many times each mode is measured (order alternating). */
  readonly rounds: number;
  /** Folder for `node --cpu-prof` profiles of the services the harness starts (none: no profiling). */
  readonly cpuProfDir?: string;
  readonly out: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const storeCli = defineCommand({
  run: 'npm run bench:store --',
  summary:
    "Reads and writes one session variable through Foresight's gateway and, in the same run, through " +
    'express-session-style peers on Redis and on Postgres; prints a table and writes JSON (see bench/store/README.md).',
  options: {
    sessions: { type: 'integer', min: 1, default: 1000, description: 'sessions created up front in each system' },
    duration: { type: 'integer', min: 1, default: 15, placeholder: '<s>', description: 'measured seconds per system and op' },
    warmup: { type: 'integer', min: 0, default: 3, placeholder: '<s>', description: 'unmeasured warm-up seconds before each measurement, 0 = none' },
    connections: { type: 'integer', min: 1, default: 64, description: 'concurrent HTTP connections' },
    systems: { type: 'list', choices: SYSTEMS, default: SYSTEMS, description: 'which systems, comma-separated' },
    ops: { type: 'list', choices: OPS, default: OPS, description: 'which operations, comma-separated' },
    var: {
      type: 'string',
      default: 'cart/items',
      placeholder: '<group/name>',
      description: 'the variable read and written',
      check: (v) => (/^[^/]+\/[^/]+$/.test(v) ? undefined : 'look like <group>/<name>'),
    },
    seed: { type: 'integer', min: 1, default: 42, description: 'RNG seed for payloads and session choice' },
    'pg-pool': { type: 'integer', min: 1, default: 10, description: "pg pool size of the Postgres peer, pg's own default" },
    ttl: { type: 'integer', min: 1, default: 86_400, placeholder: '<s>', description: 'session TTL of the peers, 86400 = one day' },
    'shard-nodes': { type: 'integer', min: 1, defaultText: '1', description: 'shard nodes when the harness starts the local Foresight stack' },
    'foresight-url': { type: 'string', placeholder: '<url>', description: 'use an already-running Foresight gateway instead of starting one' },
    'api-key': { type: 'string', placeholder: '<key>', description: 'API key for --foresight-url' },
    'database-url': {
      type: 'string',
      placeholder: '<url>',
      defaultText: "the stack's embedded Postgres; with --foresight-url, give Foresight's",
      description: 'Postgres for the local stack and the Postgres peer',
    },
    'redis-bin': {
      type: 'string',
      default: DEFAULT_REDIS_BIN,
      placeholder: '<path>',
      description: "redis-server binary; if the default is missing, PATH is searched and, as root, Debian's package installed",
    },
    'log-level': {
      type: 'string',
      choices: LOG_LEVELS,
      default: 'warn',
      description: 'LOG_LEVEL of the Foresight services started here; warn, as the peers log nothing either',
    },
    replication: {
      type: 'list',
      choices: REPLICATION_MODES,
      description:
        'compare Foresight with replication to warm secondaries off and on: one local stack per mode (2 shard nodes unless --shard-nodes), Foresight only, on/off ratio per op',
    },
    transfer: {
      type: 'list',
      choices: REPLICATION_MODES,
      description:
        'compare Foresight with the state profiler and session transfer off and on (TRANSFER): one local stack per mode, Foresight only, on/off ratio per op',
    },
    'nats-coalescing': {
      type: 'list',
      choices: REPLICATION_MODES,
      description:
        "compare the services' NATS write coalescing off and on (NATS_WRITE_COALESCING): one local stack per mode, Foresight only, on/off ratio per op",
    },
    'postgres-servers': {
      type: 'list',
      choices: POSTGRES_SERVERS,
      description:
        'compare the event store on 1 and on 2 Postgres servers (EVENT_STORE_PARTITIONS, shards split in halves): one local stack each, Foresight only, 2/1 ratios of req/s and CPU per request',
    },
    affinity: {
      type: 'list',
      choices: REPLICATION_MODES,
      description:
        'compare Foresight with the preferred-edge header (EDGE_PREFERRED_HEADER) off and on: one local stack per mode with the affinity service, Foresight only, on/off ratio per op',
    },
    rounds: {
      type: 'integer',
      min: 1,
      default: 1,
      description:
        'with --replication, --transfer, --nats-coalescing, --affinity or --postgres-servers: rounds of every mode, the order alternating (off,on then on,off), ratios from the mean req/s',
    },
    'cpu-prof': {
      type: 'string',
      placeholder: '<dir>',
      description: 'write a V8 CPU profile (.cpuprofile) of every Foresight service the harness starts into <dir>, on its exit; see scripts/perf/flamegraph.js',
    },
    out: { type: 'string', default: '.bench-results/store.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: [
    'npm run bench:store -- --systems redis,postgres --duration 5',
    'nice -n 10 npm run bench:store',
    'npm run bench:store -- --replication off,on --out .bench-results/store-replication.json',
    'nice -n 10 npm run bench:store -- --transfer off,on --ops put,get --duration 10 --out .bench-results/store-transfer.json',
    'nice -n 10 npm run bench:store -- --nats-coalescing off,on --ops put --rounds 2 --out .bench-results/store-coalescing.json',
    'nice -n 10 npm run bench:store -- --systems foresight,postgres --ops put --cpu-prof .bench-results/profiles',
    'nice -n 10 npm run bench:store -- --postgres-servers 1,2 --ops put --rounds 2 --out .bench-results/store-postgres-servers.json',
    'nice -n 10 npm run bench:store -- --affinity off,on --rounds 3 --ops get,put --duration 10 --out .bench-results/store-affinity.json',
  ],
  build: (v, fail): BenchOptions => {
    if (v.foresightUrl !== undefined && v.apiKey === undefined) fail('--foresight-url needs --api-key (the gateway authenticates every request)');
    const [group, name] = v.var.split('/') as [string, string];
    if (v.replication.length > 0 && v.foresightUrl !== undefined) fail('--replication starts its own stacks (one per mode); it cannot use --foresight-url');
    if (v.replication.length > 0 && v.shardNodes !== undefined && v.shardNodes < 2) fail('--replication needs at least 2 shard nodes (a secondary)');
    if (v.transfer.length > 0 && v.replication.length > 0) fail('--transfer and --replication each compare two modes; give one of them');
    if (v.transfer.length > 0 && v.foresightUrl !== undefined) fail('--transfer starts its own stacks (one per mode); it cannot use --foresight-url');
    if ([v.replication, v.transfer, v.natsCoalescing, v.affinity].filter((l) => l.length > 0).length > 1) {
      fail('--nats-coalescing, --affinity, --transfer and --replication each compare two modes; give one of them');
    }
    if (v.natsCoalescing.length > 0 && v.foresightUrl !== undefined)
      fail('--nats-coalescing starts its own stacks (one per mode); it cannot use --foresight-url');
    if (v.cpuProf !== undefined && v.foresightUrl !== undefined)
      fail('--cpu-prof profiles the services the harness starts; it cannot profile a gateway given by --foresight-url');
    const compared = [v.replication, v.transfer, v.natsCoalescing, v.affinity, v.postgresServers].filter((l) => l.length > 0).length;
    if (v.postgresServers.length > 0 && compared > 1)
      fail('--postgres-servers, --replication, --transfer, --affinity and --nats-coalescing each compare modes; give one of them');
    if (v.postgresServers.length > 0 && v.foresightUrl !== undefined)
      fail('--postgres-servers starts its own stacks (one per mode); it cannot use --foresight-url');
    if (v.postgresServers.length > 0 && v.databaseUrl !== undefined)
      fail('--postgres-servers starts its own embedded Postgres servers (the same kind for 1 and 2); it cannot use --database-url');
    if (v.affinity.length > 0 && v.foresightUrl !== undefined) fail('--affinity starts its own stacks (one per mode); it cannot use --foresight-url');
    return {
      sessions: v.sessions,
      durationS: v.duration,
      warmupS: v.warmup,
      connections: v.connections,
      // Canonical order, so tables always read the same way.
      systems: SYSTEMS.filter((s) => v.systems.includes(s)),
      ops: OPS.filter((o) => v.ops.includes(o)),
      group,
      name,
      seed: v.seed,
      pgPoolSize: v.pgPool,
      ttlS: v.ttl,
      shardNodes: v.shardNodes,
      foresightUrl: v.foresightUrl,
      apiKey: v.apiKey,
      databaseUrl: v.databaseUrl,
      redisBin: v.redisBin,
      foresightLogLevel: v.logLevel,
      replication: REPLICATION_MODES.filter((m) => v.replication.includes(m)),
      transfer: REPLICATION_MODES.filter((m) => v.transfer.includes(m)),
      natsCoalescing: REPLICATION_MODES.filter((m) => v.natsCoalescing.includes(m)),
      postgresServers: POSTGRES_SERVERS.filter((m) => v.postgresServers.includes(m)).map((m) => Number(m) as PostgresServers),
      affinity: REPLICATION_MODES.filter((m) => v.affinity.includes(m)),
      rounds: v.rounds,
      cpuProfDir: v.cpuProf,
      out: v.out,
    };
  },
});

/** Parses and validates the arguments; throws `BENCH.BAD_ARGUMENT` listing every problem at once. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  try {
    return storeCli.parse(argv);
  } catch (err) {
    if (err instanceof CliUsageError) throw new BenchError('BENCH.BAD_ARGUMENT', err.message);
    throw err;
  }
}
