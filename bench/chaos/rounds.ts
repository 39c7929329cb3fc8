import { ForesightClient } from '@foresight/client';
import { checkHistory, recoveryAfter } from './checker';
import type { ChaosArgs } from './cli';
import type { ChaosCluster } from './cluster';
import { FAULT_TABLE, type FaultContext } from './faults';
import type { RoundResult } from './report';
import { now, Workload, type Register } from './workload';

const OUTAGE_MS = 10_000;
const DELAY_MS = 200;
const RECOVERY_CAP_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs every round of every fault of `args` against `cluster`, appending one result per round to
 * `results` (also when a later round throws) and logging a line per round.
 */
export async function runChaos(args: ChaosArgs, cluster: ChaosCluster, results: RoundResult[], log: (line: string) => void): Promise<void> {
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
