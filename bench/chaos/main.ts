import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { ForesightClient } from '@foresight/client';
import { checkHistory, recoveryAfter } from './checker';
import { chaosCli, type ChaosArgs } from './cli';
import { SHARD_NODES, startChaosCluster, type ChaosCluster } from './cluster';
import { FAULT_TABLE, type FaultContext } from './faults';
import { summarise, type RoundResult } from './report';
import { now, Workload, type Register } from './workload';

/**
 * `npm run chaos [-- --rounds 3 --faults a,b --writers 16 --readers 8 --seconds 4 --smoke]`: injects
 * each fault, round after round, into a local cluster under concurrent writers and readers, and
 * checks the recorded history (see README.md beside this file).
 */
const OUTAGE_MS = 10_000;
const DELAY_MS = 200;
const RECOVERY_CAP_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`[chaos] ${msg}\n`);

async function run(args: ChaosArgs, cluster: ChaosCluster, results: RoundResult[]): Promise<void> {
  const client = new ForesightClient({ baseUrl: [...cluster.gatewayUrls], apiKey: cluster.stack.apiKey, agent: false });
  const registers: Register[] = [];
  for (let k = 0; k < args.writers; k++) {
    const { id } = await client.createSession({}, { timeoutMs: 30_000 });
    registers.push({ key: `${id}/w${k}`, sessionId: id, group: 'cart', name: `w${k}` });
  }
  const workload = new Workload(client, registers, args.readers);
  const ctx: FaultContext = {
    cluster,
    allKeys: new Set(registers.map((r) => r.key)),
    outageMs: OUTAGE_MS,
    delayMs: DELAY_MS,
    async owners() {
      const out = new Map<string, string>();
      for (const reg of registers) {
        const owner = await client.getOwner(reg.sessionId, { timeoutMs: 30_000 });
        if (owner.nodeId) out.set(reg.key, owner.nodeId);
      }
      return out;
    },
  };
  for (const name of args.faults) {
    const fault = FAULT_TABLE[name];
    for (let round = 1; round <= args.rounds; round++) {
      const roundStart = Date.now();
      workload.start();
      await sleep(args.seconds * 1000);
      const injected = await fault.inject(ctx);
      await fault.heal(ctx, injected);
      const healedMs = now() - injected.faultAtMs;
      // Keep the load on until every disturbed register has been written again (or a minute has
      // passed), so the time to be served again is measured, not cut short by the end of the round.
      const servedBy = Date.now() + RECOVERY_CAP_MS;
      while (recoveryAfter(workload.writes, injected.faultAtMs, injected.affected).never > 0 && Date.now() < servedBy) await sleep(100);
      await sleep(args.seconds * 1000);
      await workload.stop();
      const finals = await workload.finalReads();
      const check = checkHistory(workload.writes, workload.reads, finals);
      const recovery = recoveryAfter(workload.writes, injected.faultAtMs, injected.affected);
      const result: RoundResult = {
        fault: name,
        round,
        target: injected.target,
        affectedRegisters: injected.affected.size,
        durationMs: Date.now() - roundStart,
        healedMs: Math.round(healedMs),
        firstServedMs: recovery.firstMs === null ? null : Math.round(recovery.firstMs),
        allServedMs: recovery.allMs === null ? null : Math.round(recovery.allMs),
        neverServed: recovery.never,
        ...(injected.movedMs !== undefined ? { movedMs: injected.movedMs } : {}),
        ...check,
        longestWaitMs: Math.round(check.longestWaitMs),
      };
      results.push(result);
      const errors =
        Object.entries(check.errorsByCode)
          .map(([c, n]) => `${c}×${n}`)
          .join(' ') || 'none';
      log(
        `${name} round ${round}: ${injected.target}, ${check.acknowledgedWrites} acked, ${check.lostWrites} lost, ` +
          `${check.staleReads} stale, longest wait ${result.longestWaitMs} ms, all served again after ${result.allServedMs ?? '—'} ms` +
          `${result.movedMs !== undefined ? ` (moved at ${result.movedMs ?? '—'} ms)` : ''}, errors ${errors}`,
      );
    }
  }
  client.close();
}

async function main(): Promise<void> {
  const args = chaosCli.parseOrExit(process.argv.slice(2));
  const startedAt = Date.now();
  // Ctrl-C or a kill, even during start-up: stop every process this run started before leaving.
  let cluster: ChaosCluster | undefined;
  let signalled = false;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    log(`${signal}: stopping the cluster`);
    if (cluster) stopping ??= cluster.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  log(`starting a local cluster (${SHARD_NODES} shard nodes, 2 metadata, 2 gateways)…`);
  cluster = await startChaosCluster();
  if (signalled) {
    await cluster.stop();
    process.exit(130);
  }
  log(`service logs in ${cluster.logDir}`);
  const results: RoundResult[] = [];
  let failure: unknown;
  try {
    await run(args, cluster, results);
  } catch (error) {
    failure = error;
  } finally {
    await (stopping ?? cluster.stop());
  }
  const summary = summarise(results);
  if (results.length > 0) {
    console.table(
      results.map(({ examples: _examples, errorsByCode, ...rest }) => ({
        ...rest,
        errors: Object.entries(errorsByCode)
          .map(([c, n]) => `${c}×${n}`)
          .join(' '),
      })),
    );
    console.table(summary);
  }
  const totalSeconds = Math.round((Date.now() - startedAt) / 1000);
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        args,
        loadAverage: loadavg(),
        totalSeconds,
        failed: failure ? String(failure) : undefined,
        summary,
        rounds: results,
      },
      null,
      2,
    ),
  );
  log(`wrote ${args.json} (${totalSeconds} s in all)`);
  if (failure) throw failure;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
