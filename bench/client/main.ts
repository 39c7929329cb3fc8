/*
 * npm run bench:client -- [options]   (see --help and bench/client/README.md)
 *
 * In one run: @foresight/client's overhead per call against raw fetch on a real gateway, and the
 * example shop (Express + express-session) under autocannon with the Foresight store, connect-redis
 * and connect-pg-simple on the same Postgres. Prints tables, writes JSON; asserts nothing about time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import { startForesightStack } from '../store/foresight';
import { locateRedisServer } from '../store/redis-bin';
import { startRedisServer } from '../store/redis-server';
import { seededRng } from '../store/rng';
import { clientCli, type StoreName } from './cli';
import { measureOverhead, type OverheadResult } from './overhead';
import { loadShop, openSessions, startShop, type ShopResult } from './shop-load';
import { stopEverythingOnExit } from '../cleanups';

const log = (message: string): void => void process.stderr.write(`[bench:client] ${message}\n`);

/** A database for connect-pg-simple on Foresight's own Postgres server, so both pay the same fsync. */
async function shopDatabase(foresightUrl: string): Promise<string> {
  const admin = new Client({ connectionString: foresightUrl });
  await admin.connect();
  try {
    const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'bench_shop'`);
    if ((exists.rowCount ?? 0) === 0) await admin.query('CREATE DATABASE bench_shop');
  } finally {
    await admin.end();
  }
  const url = new URL(foresightUrl);
  url.pathname = '/bench_shop';
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  await db.query('DROP TABLE IF EXISTS "session"');
  await db.end();
  return url.toString();
}

async function main(): Promise<void> {
  const opts = clientCli.parseOrExit(process.argv.slice(2));
  const redisBin = opts.stores.includes('redis') ? locateRedisServer(opts.redisBin, log) : opts.redisBin;
  const { cleanups, cleanUp } = stopEverythingOnExit(log);
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  try {
    log(`starting the local Foresight stack (LOG_LEVEL=${opts.logLevel}) ...`);
    const stack = await startForesightStack({ logLevel: opts.logLevel });
    cleanups.push(() => stack.stop());
    const overhead: OverheadResult = await measureOverhead(stack.gatewayUrl, stack.apiKey, opts.calls, log);

    const env: Record<StoreName, Record<string, string>> = {
      foresight: { FORESIGHT_URL: stack.gatewayUrl, FORESIGHT_API_KEY: stack.apiKey },
      redis: {},
      postgres: {},
    };
    if (opts.stores.includes('redis')) {
      log(`starting ${redisBin} (default persistence) ...`);
      const redis = await startRedisServer(redisBin);
      cleanups.push(() => redis.stop());
      env.redis = { REDIS_URL: redis.url };
    }
    if (opts.stores.includes('postgres')) env.postgres = { DATABASE_URL: await shopDatabase(stack.databaseUrl) };

    const shop: ShopResult[] = [];
    for (const store of opts.stores) {
      const app = await startShop(store, env[store]);
      try {
        log(`${store}: opening ${opts.sessions} sessions ...`);
        const cookies = await openSessions(app.url, opts.sessions);
        if (opts.warmupS > 0) await loadShop(store, app.url, cookies, opts.connections, opts.warmupS, seededRng(1));
        log(`${store}: measuring ${opts.durationS} s at ${opts.connections} connections ...`);
        const r = await loadShop(store, app.url, cookies, opts.connections, opts.durationS, seededRng(2));
        log(`${store}: ${r.rps} req/s, p99 ${r.p99Ms} ms, ${r.errors} errors, ${r.non2xx} non-2xx`);
        shop.push(r);
      } finally {
        await app.stop();
      }
    }
    const { renderReport } = await import('./report');
    process.stdout.write(`\n${renderReport(overhead, shop)}\n`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    const record = {
      name: 'client',
      startedAt,
      finishedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      options: opts,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavgBefore: loadBefore, loadavgAfter: loadavg() },
      overhead,
      shop,
    };
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
