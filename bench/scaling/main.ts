/*
 * npm run bench:scaling -- [options]   (see --help and bench/scaling/README.md)
 *
 * Foresight on this machine with each combination of shard nodes and gateways: PUT and GET
 * throughput, latency, and the CPU every process group spends per operation; then what the
 * scaling model (model.ts, docs/scaling.md) predicts for each configuration and for larger
 * deployments. Prints a table, writes JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BenchError } from '../store/errors';
import { startForesightStack, type BenchStack } from '../store/foresight';
import { runLoad } from '../store/load';
import { cpuBetween, cpuSnapshot } from '../store/proc-cpu';
import { seededRng } from '../store/rng';
import { seedSessions } from '../store/seed';
import { scalingCli, type ScalingOptions } from './cli';
import { costFromCpuPct, DEFAULT_ASSUMPTIONS, PROCESS_GROUPS } from './model';
import { groupCommitFigures, readPgCounters } from './pg-stats';
import { stablePort } from './ports';
import { applyPinning, detectPinning, unpinSelf, type PinPlan } from './pin';
import { largerPredictions, modelRows, renderScalingReport, type ScalingResult } from './report';
import { stopEverythingOnExit } from '../cleanups';

const SERVER_GROUPS: ReadonlySet<string> = new Set(PROCESS_GROUPS);

const log = (message: string): void => void process.stderr.write(`[bench:scaling] ${message}\n`);

function describePlan(plan: PinPlan): string {
  return plan.pinned
    ? `pinned with taskset to core ${plan.loadGeneratorCore}; the services to core${plan.serviceCores.length === 1 ? '' : 's'} ${plan.serviceCores.join(',')}`
    : `NOT pinned (${plan.reason}); it shares the ${plan.serviceCores.length} cores with the services`;
}

async function measureStack(opts: ScalingOptions, shardNodes: number, stack: BenchStack, plan: PinPlan, results: ScalingResult[]): Promise<PinPlan> {
  const target = { url: stack.gatewayUrl, apiKey: stack.apiKey };
  log(`${shardNodes} shard node(s): creating ${opts.sessions} sessions ...`);
  const ids = await seedSessions(target, opts.sessions, seededRng(opts.seed), (n) => log(`  ${n}/${opts.sessions} sessions`));
  const urls = [stack.gatewayUrl];
  let current = plan;
  for (const gateways of opts.gateways) {
    unpinSelf(current);
    while (urls.length < gateways) {
      log(`starting gateway ${urls.length + 1} ...`);
      urls.push(await stack.addGateway(await stablePort()));
    }
    const problem = applyPinning(current);
    if (problem !== undefined) {
      log(`pinning failed, going on unpinned: ${problem}`);
      unpinSelf(current);
      current = { pinned: false, reason: problem, serviceCores: current.pinned ? [...current.serviceCores, current.loadGeneratorCore] : current.serviceCores };
    }
    let background: Record<string, number> | undefined;
    for (const op of opts.ops) {
      const base = {
        system: 'foresight' as const,
        target,
        urls: urls.slice(0, gateways),
        op,
        ids,
        group: 'cart',
        name: 'items',
        connections: opts.connections,
      };
      const label = `${shardNodes} shard node(s), ${gateways} gateway(s) ${op.toUpperCase()}`;
      if (opts.warmupS > 0) {
        log(`${label}: warm-up ${opts.warmupS} s ...`);
        await runLoad({ ...base, durationS: opts.warmupS, rng: seededRng(opts.seed + 1) });
      }
      if (background === undefined) {
        // After the first warm-up: new processes have started and warmed up; a pause lets the last requests' work drain.
        background = {};
        if (opts.idleS > 0) {
          await new Promise((done) => setTimeout(done, 1000));
          log(`${shardNodes} shard node(s), ${gateways} gateway(s): ${opts.idleS} s without load (background CPU) ...`);
          const idleBefore = cpuSnapshot();
          const idleStarted = process.hrtime.bigint();
          await new Promise((done) => setTimeout(done, opts.idleS * 1000));
          background = cpuBetween(idleBefore, cpuSnapshot(), Number(process.hrtime.bigint() - idleStarted) / 1e9).byLabel;
        }
      }
      log(`${label}: measuring ${opts.durationS} s at ${opts.connections} connections ...`);
      const load1 = loadavg()[0] ?? 0;
      const pgBefore = op === 'put' ? await readPgCounters(stack.databaseUrl) : undefined;
      const before = cpuSnapshot();
      const started = process.hrtime.bigint();
      const m = await runLoad({ ...base, durationS: opts.durationS, rng: seededRng(opts.seed + 2) });
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      const after = cpuSnapshot();
      const pgAfter = op === 'put' ? await readPgCounters(stack.databaseUrl) : undefined;
      const cpu = cpuBetween(before, after, wallS);
      const ours = Object.values(cpu.byLabel).reduce((a, b) => a + b, 0) / 100;
      const machineS = after.machineTotalS - before.machineTotalS;
      const busyCores = machineS > 0 ? ((after.machineBusyS - before.machineBusyS) / machineS) * cpus().length : 0;
      const r: ScalingResult = {
        shardNodes,
        gateways,
        op,
        rps: m.rps,
        p50Ms: m.p50Ms,
        p99Ms: m.p99Ms,
        ok: m.ok,
        errors: m.errors,
        non2xx: m.non2xx,
        wallS,
        cpuPctByLabel: cpu.byLabel,
        machineBusyPct: cpu.machineBusyPct,
        loadGenCpuPct: m.loadGenCpuPct,
        backgroundPctByLabel: background,
        cost: costFromCpuPct(cpu.byLabel, wallS, m.ok, background),
        serviceCpuCores: Object.entries(cpu.byLabel).reduce((sum, [label, pct]) => sum + (SERVER_GROUPS.has(label) ? pct : 0), 0) / 100,
        otherCores: Math.max(0, busyCores - ours),
        loadavg1Before: load1,
        loadavg1After: loadavg()[0] ?? 0,
        groupCommit: op === 'put' ? groupCommitFigures(pgBefore, pgAfter, m.ok) : undefined,
      };
      log(
        `${label}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms} ms, ${r.errors} errors, ${r.non2xx} non-2xx, load generator ${r.loadGenCpuPct.toFixed(0)}% of a core`,
      );
      results.push(r);
    }
  }
  unpinSelf(current);
  return current;
}

async function main(): Promise<void> {
  const opts = scalingCli.parseOrExit(process.argv.slice(2));
  const { cleanups, cleanUp } = stopEverythingOnExit(log);

  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  let plan = detectPinning(opts.pin, cpus().length);
  log(`load generator: ${describePlan(plan)}`);
  const results: ScalingResult[] = [];
  try {
    for (const shardNodes of opts.shardNodes) {
      unpinSelf(plan);
      log(`starting the local stack with ${shardNodes} shard node(s) (service logs at LOG_LEVEL=${opts.foresightLogLevel}) ...`);
      const stack = await startForesightStack({ shardNodes, logLevel: opts.foresightLogLevel, gatewayPort: await stablePort() });
      const stop = (): Promise<void> => stack.stop();
      cleanups.push(stop);
      try {
        plan = await measureStack(opts, shardNodes, stack, plan, results);
      } finally {
        cleanups.splice(cleanups.indexOf(stop), 1);
        log('stopping the stack ...');
        await stack.stop();
      }
    }
  } finally {
    unpinSelf(plan);
    await cleanUp();
  }
  const totalCores = cpus().length;
  const serviceCores = plan.serviceCores.length;
  const model = modelRows(results, serviceCores);
  const larger = largerPredictions(results);
  const pinning = describePlan(plan);
  process.stdout.write(`\n${renderScalingReport(results, model, larger, pinning)}\n`);
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  const record = {
    name: 'scaling',
    startedAt,
    finishedAt: new Date().toISOString(),
    argv: process.argv.slice(2),
    options: opts,
    machine: { cpus: totalCores, cpuModel: cpus()[0]?.model, node: process.version, nice: getPriority(), loadavgBefore: loadBefore, loadavgAfter: loadavg() },
    loadGenerator: { ...plan, description: pinning },
    results,
    model: { assumptions: DEFAULT_ASSUMPTIONS, serviceCores, rows: model, larger },
  };
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  log(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof BenchError) log(`${err.code}: ${err.message}`);
    else log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
