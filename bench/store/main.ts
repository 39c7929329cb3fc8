/*
 * npm run bench:store -- [options]   (see --help and bench/store/README.md)
 *
 * Reads and writes of one session variable through Foresight's gateway, compared in the same run
 * with the two stores Node users pick today behind a minimal Fastify server: express-session-style
 * JSON blobs in Redis and in Postgres (connect-pg-simple). Prints a table, writes JSON.
 * With --replication off,on: Foresight alone, once per replication mode, and the on/off ratio.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { cpuBetween, cpuMsPerRequest, cpuSnapshot } from './proc-cpu';
import { storeCli, type BenchOptions, type SystemName } from './cli';
import { BenchError } from './errors';
import { runLoad, type OpResult } from './load';
import { locateRedisServer } from './redis-bin';
import {
  AFFINITY_TARGET,
  COALESCING_TARGET,
  measureReplication,
  renderReplicationReport,
  replicationRatios,
  REPLICATION_TARGET,
  TRANSFER_TARGET,
  type ModeSetting,
} from './replication';
import { measurePostgresServers, postgresServersRatios, renderPostgresServersReport } from './postgres-servers';
import { checkTargets, renderReport } from './report';
import { seededRng } from './rng';
import { seedSessions } from './seed';
import { startSystems } from './systems';
import { stopEverythingOnExit } from '../cleanups';

/** A connection URL without its password, for the JSON record. */
function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

const log = (message: string): void => void process.stderr.write(`[bench:store] ${message}\n`);

async function measure(opts: BenchOptions, targets: Partial<Record<SystemName, { url: string; apiKey: string }>>): Promise<OpResult[]> {
  const ids = new Map<SystemName, string[]>();
  for (const system of opts.systems) {
    const target = targets[system];
    if (target === undefined) continue;
    log(`${system}: creating ${opts.sessions} sessions ...`);
    // Same seed for every system: identical payloads everywhere.
    ids.set(system, await seedSessions(target, opts.sessions, seededRng(opts.seed), (n) => log(`${system}: ${n}/${opts.sessions} sessions`)));
  }
  const results: OpResult[] = [];
  // Op-major order: all systems are read, then all are written, so any drift of the shared machine
  // during the run affects every system's reads (or writes) alike.
  for (const op of opts.ops) {
    for (const system of opts.systems) {
      const target = targets[system];
      const sessionIds = ids.get(system);
      if (target === undefined || sessionIds === undefined) continue;
      const base = { system, target, op, ids: sessionIds, group: opts.group, name: opts.name, connections: opts.connections };
      if (opts.warmupS > 0) {
        log(`${system} ${op.toUpperCase()}: warm-up ${opts.warmupS} s ...`);
        await runLoad({ ...base, durationS: opts.warmupS, rng: seededRng(opts.seed + 1) });
      }
      log(`${system} ${op.toUpperCase()}: measuring ${opts.durationS} s at ${opts.connections} connections ...`);
      const before = cpuSnapshot();
      const started = process.hrtime.bigint();
      const measured = await runLoad({ ...base, durationS: opts.durationS, rng: seededRng(opts.seed + 2) });
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = cpuBetween(before, cpuSnapshot(), wallS);
      const r: OpResult = {
        ...measured,
        cpu: { ...cpu, serverCpuMsPerRequest: cpuMsPerRequest(system, cpu.byLabel, wallS, measured.ok) },
      };
      log(
        `${system} ${op.toUpperCase()}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms} ms, ${r.errors} errors, ` +
          `${r.non2xx} non-2xx, load generator at ${r.loadGenCpuPct.toFixed(0)}% of a core`,
      );
      results.push(r);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const parsed = storeCli.parseOrExit(process.argv.slice(2));
  // Before anything starts: a missing redis-server should not cost a Foresight stack start-up.
  const opts = parsed.systems.includes('redis') ? { ...parsed, redisBin: locateRedisServer(parsed.redisBin, log) } : parsed;
  const { cleanups, cleanUp } = stopEverythingOnExit(log);

  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const machine = () => ({
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    nice: getPriority(),
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
  });
  if (opts.postgresServers.length > 0) {
    // Foresight only, one stack per number of Postgres servers (each stopped before the next starts).
    const runs = await measurePostgresServers(opts, log);
    const ratios = postgresServersRatios(runs);
    process.stdout.write(`\n${renderPostgresServersReport(runs, ratios)}\n`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    const record = {
      name: 'store-postgres-servers',
      startedAt,
      finishedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      options: { ...opts, apiKey: undefined, databaseUrl: undefined },
      machine: machine(),
      runs,
      ratios,
    };
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    log(`wrote ${out}`);
    return;
  }
  if (opts.replication.length > 0 || opts.transfer.length > 0 || opts.natsCoalescing.length > 0 || opts.affinity.length > 0) {
    // Foresight only, one stack per mode (each stopped before the next starts).
    const setting: ModeSetting =
      opts.affinity.length > 0
        ? 'EDGE_PREFERRED_HEADER'
        : opts.transfer.length > 0
          ? 'TRANSFER'
          : opts.natsCoalescing.length > 0
            ? 'NATS_WRITE_COALESCING'
            : 'REPLICATION';
    const target =
      setting === 'EDGE_PREFERRED_HEADER'
        ? AFFINITY_TARGET
        : setting === 'TRANSFER'
          ? TRANSFER_TARGET
          : setting === 'NATS_WRITE_COALESCING'
            ? COALESCING_TARGET
            : REPLICATION_TARGET;
    const runs = await measureReplication(opts, log, setting);
    const ratios = replicationRatios(runs, target);
    process.stdout.write(`\n${renderReplicationReport(runs, ratios, setting, target)}\n`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    const record = {
      name: {
        EDGE_PREFERRED_HEADER: 'store-affinity',
        TRANSFER: 'store-transfer',
        NATS_WRITE_COALESCING: 'store-coalescing',
        REPLICATION: 'store-replication',
      }[setting],
      startedAt,
      finishedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      options: { ...opts, apiKey: undefined, databaseUrl: redactUrl(opts.databaseUrl) },
      machine: machine(),
      runs,
      ratios,
      target,
    };
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    log(`wrote ${out}`);
    return;
  }
  try {
    const { targets, details } = await startSystems(opts, cleanups, log);
    const results = await measure(opts, targets);
    const checks = checkTargets(results);
    process.stdout.write(`\n${renderReport(results, checks)}\n`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    const record = {
      name: 'store',
      startedAt,
      finishedAt: new Date().toISOString(),
      argv: process.argv.slice(2),
      options: { ...opts, apiKey: opts.apiKey === undefined ? undefined : '(redacted)', databaseUrl: redactUrl(opts.databaseUrl) },
      machine: machine(),
      systems: details,
      results,
      targets: checks,
    };
    writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof BenchError) log(`${err.code}: ${err.message}`);
    else log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
