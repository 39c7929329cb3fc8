import { defineCommand } from '@foresight/cli';

export const STORES = ['foresight', 'redis', 'postgres'] as const;
export type StoreName = (typeof STORES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ClientBenchOptions {
  /** Calls per variant for the overhead against raw fetch. */
  readonly calls: number;
  readonly stores: readonly StoreName[];
  readonly sessions: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly redisBin: string;
  readonly logLevel: string;
  readonly out: string;
}

export const clientCli = defineCommand({
  run: 'npm run bench:client --',
  summary:
    "Measures @foresight/client's overhead per call against raw fetch on a real gateway, then loads the example " +
    'shop (Express + express-session) with the Foresight store, connect-redis and connect-pg-simple on the same Postgres: ' +
    'req/s and p99 of a page that reads and writes the session. Prints a table and writes JSON (see bench/client/README.md).',
  options: {
    calls: { type: 'integer', min: 100, default: 2000, description: 'calls per variant (raw fetch, client; GET and PUT) for the overhead' },
    stores: { type: 'list', choices: STORES, default: STORES, description: 'session stores behind the example shop, comma-separated' },
    sessions: { type: 'integer', min: 1, default: 500, description: 'sessions (cookies) created in the shop before each load' },
    duration: { type: 'integer', min: 1, default: 10, placeholder: '<s>', description: 'measured seconds per store' },
    warmup: { type: 'integer', min: 0, default: 3, placeholder: '<s>', description: 'unmeasured warm-up seconds per store' },
    connections: { type: 'integer', min: 1, default: 32, description: 'concurrent HTTP connections to the shop' },
    'redis-bin': { type: 'string', default: '/usr/bin/redis-server', placeholder: '<path>', description: 'redis-server for connect-redis' },
    'log-level': { type: 'string', choices: LOG_LEVELS, default: 'warn', description: 'LOG_LEVEL of the Foresight services' },
    out: { type: 'string', default: '.bench-results/client.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['npm run bench:client', 'npm run bench:client -- --stores foresight,redis --duration 5'],
  build: (v): ClientBenchOptions => ({
    calls: v.calls,
    stores: STORES.filter((s) => v.stores.includes(s)),
    sessions: v.sessions,
    durationS: v.duration,
    warmupS: v.warmup,
    connections: v.connections,
    redisBin: v.redisBin,
    logLevel: v.logLevel,
    out: v.out,
  }),
});
