import type { BenchOptions } from './cli';
import type { BenchStack } from './foresight';
import { runLoad, type OpResult } from './load';
import { cpuBetween, cpuMsPerRequest, cpuSnapshot } from './proc-cpu';
import { seededRng } from './rng';
import { seedSessions } from './seed';

/**
 * One round of a mode comparison on a fresh Foresight stack: seeds the sessions, then for every op a
 * warm-up and a measured run with the CPU of every process group, and returns the shard nodes'
 * metrics texts with the results so the caller can read what its mode changed.
 */
export async function measureForesightRound(
  stack: BenchStack,
  opts: BenchOptions,
  label: string,
  log: (message: string) => void,
): Promise<{ results: OpResult[]; shardMetrics: string[] }> {
  const target = { url: stack.gatewayUrl, apiKey: stack.apiKey };
  const ids = await seedSessions(target, opts.sessions, seededRng(opts.seed), (n) => log(`${label}: ${n}/${opts.sessions} sessions`));
  const results: OpResult[] = [];
  for (const op of opts.ops) {
    const base = { system: 'foresight' as const, target, op, ids, group: opts.group, name: opts.name, connections: opts.connections };
    if (opts.warmupS > 0) await runLoad({ ...base, durationS: opts.warmupS, rng: seededRng(opts.seed + 1) });
    log(`${label} ${op.toUpperCase()}: measuring ${opts.durationS} s at ${opts.connections} connections ...`);
    const before = cpuSnapshot();
    const started = process.hrtime.bigint();
    const measured = await runLoad({ ...base, durationS: opts.durationS, rng: seededRng(opts.seed + 2) });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = cpuBetween(before, cpuSnapshot(), wallS);
    const r: OpResult = { ...measured, cpu: { ...cpu, serverCpuMsPerRequest: cpuMsPerRequest('foresight', cpu.byLabel, wallS, measured.ok) } };
    log(`${label} ${op.toUpperCase()}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms} ms, ${r.errors} errors, ${r.non2xx} non-2xx`);
    results.push(r);
  }
  const shardMetrics = await Promise.all(stack.shardMetricsUrls.map(async (url) => (await fetch(url)).text()));
  return { results, shardMetrics };
}
