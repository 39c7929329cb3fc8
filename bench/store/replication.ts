import type { BenchOptions, OpName, ReplicationMode } from './cli';
import { startForesightStack } from './foresight';
import { measureForesightRound } from './foresight-rounds';
import type { OpResult } from './load';
import { fmt } from './report';
import { metricSum } from '../prometheus-text';

/** Throughput with replication on must stay at least this share of throughput with it off. */
export const REPLICATION_TARGET = 0.9;

/** What the shard nodes' metrics said about replication after one mode's measurements. */
export interface ReplicaStats {
  readonly pushedEvents: number;
  readonly appliedEvents: number;
  readonly divergences: number;
  /** Mean commit-to-apply lag, ms (undefined: nothing applied). */
  readonly meanLagMs?: number;
}

export interface ReplicationRun {
  readonly mode: ReplicationMode;
  /** 1-based; modes alternate their order from round to round (off,on then on,off …). */
  readonly round: number;
  readonly results: readonly OpResult[];
  readonly replica: ReplicaStats;
}

export interface ReplicationRatio {
  readonly op: OpName;
  readonly offRps: number;
  readonly onRps: number;
  readonly ratio: number;
  readonly met: boolean;
  /**
   * Mean CPU ms of Foresight's processes per 2xx response, off and on (only the processes this run
   * started: another user's load on the machine does not count, unlike in req/s).
   */
  readonly offCpuMs?: number;
  readonly onCpuMs?: number;
}

/** Replication figures summed over the shard nodes' `/metrics` texts. */
export function replicaStats(texts: readonly string[]): ReplicaStats {
  const total = (name: string) => texts.reduce((n, t) => n + metricSum(t, name), 0);
  const lagCount = total('foresight_replica_lag_seconds_count');
  return {
    pushedEvents: total('foresight_replica_pushed_events_total'),
    appliedEvents: total('foresight_replica_applied_events_total'),
    divergences: total('foresight_replica_divergences_total'),
    ...(lagCount > 0 ? { meanLagMs: (1000 * total('foresight_replica_lag_seconds_sum')) / lagCount } : {}),
  };
}

const mean = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The results of one mode and op over its rounds. */
const resultsOf = (runs: readonly ReplicationRun[], mode: ReplicationMode, op: OpName): OpResult[] =>
  runs.filter((r) => r.mode === mode).flatMap((r) => r.results.filter((x) => x.op === op));

/** on/off ratio of the mean req/s over the rounds, per op measured in both modes (and CPU per request). */
export function replicationRatios(runs: readonly ReplicationRun[], target = REPLICATION_TARGET): ReplicationRatio[] {
  const ops = [...new Set(runs.flatMap((r) => r.results.map((x) => x.op)))];
  return ops.flatMap((op) => {
    const off = resultsOf(runs, 'off', op);
    const on = resultsOf(runs, 'on', op);
    const offRps = mean(off.map((r) => r.rps));
    const onRps = mean(on.map((r) => r.rps));
    if (offRps === undefined || onRps === undefined || offRps === 0) return [];
    const ratio = onRps / offRps;
    const offCpuMs = mean(off.flatMap((r) => (r.cpu ? [r.cpu.serverCpuMsPerRequest] : [])));
    const onCpuMs = mean(on.flatMap((r) => (r.cpu ? [r.cpu.serverCpuMsPerRequest] : [])));
    return [{ op, offRps, onRps, ratio, met: ratio >= target, ...(offCpuMs !== undefined && onCpuMs !== undefined ? { offCpuMs, onCpuMs } : {}) }];
  });
}

/** The table (mode × op), the replication figures per mode, and the on/off ratios. */
export function renderReplicationReport(
  runs: readonly ReplicationRun[],
  ratios: readonly ReplicationRatio[],
  setting: ModeSetting = 'REPLICATION',
  target = REPLICATION_TARGET,
): string {
  const name = setting === 'EDGE_PREFERRED_HEADER' ? 'affinity' : setting.toLowerCase();
  const header = ['round', name, 'op', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU ms/req', 'machine busy %'];
  const rows = runs.flatMap((run) =>
    run.results.map((r) => [
      String(run.round),
      run.mode,
      r.op.toUpperCase(),
      fmt(r.rps, 0),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      String(r.errors),
      String(r.non2xx),
      r.cpu ? fmt(r.cpu.serverCpuMsPerRequest, 3) : '-',
      r.cpu ? String(r.cpu.machineBusyPct) : '-',
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const pad = (cells: readonly string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(pad), ''];
  for (const run of runs) {
    const s = run.replica;
    if (setting !== 'REPLICATION') continue;
    lines.push(
      `round ${run.round}, replication ${run.mode.padEnd(3)}: ${fmt(s.pushedEvents, 0)} events pushed, ${fmt(s.appliedEvents, 0)} applied on secondaries, ` +
        `${fmt(s.divergences, 0)} divergences, mean lag ${s.meanLagMs === undefined ? '-' : `${fmt(s.meanLagMs, 2)} ms`}`,
    );
  }
  lines.push('');
  for (const r of ratios) {
    lines.push(
      `${`${r.op.toUpperCase()} throughput, ${name} on / off`.padEnd(40)} ${fmt(r.ratio, 3)}x  ` +
        `(mean ${fmt(r.onRps, 0)} / ${fmt(r.offRps, 0)} req/s; target >= ${fmt(target, 2)}x: ${r.met ? 'met' : 'NOT met'})`,
    );
    if (r.offCpuMs !== undefined && r.onCpuMs !== undefined && r.offCpuMs > 0) {
      lines.push(`${''.padEnd(40)}   Foresight CPU per request: ${fmt(r.onCpuMs, 3)} ms on, ${fmt(r.offCpuMs, 3)} ms off (${fmt(r.onCpuMs / r.offCpuMs, 3)}x)`);
    }
  }
  if (ratios.length === 0) lines.push(`on/off ratios need both modes (--${name} off,on)`);
  return lines.join('\n');
}

/**
 * One local Foresight stack per mode and round, one after the other (REPLICATION set for every
 * service, 2 shard nodes unless `--shard-nodes`): create the sessions, then each op's warm-up and
 * measurement, then the shard nodes' replication metrics; the stack is stopped before the next
 * starts. The order of the modes alternates from round to round (off,on,on,off …), so a machine
 * that drifts during the run weighs on both modes alike.
 */
export async function measureReplication(opts: BenchOptions, log: (message: string) => void, setting: ModeSetting = 'REPLICATION'): Promise<ReplicationRun[]> {
  const runs: ReplicationRun[] = [];
  const modes =
    setting === 'EDGE_PREFERRED_HEADER'
      ? opts.affinity
      : setting === 'TRANSFER'
        ? opts.transfer
        : setting === 'NATS_WRITE_COALESCING'
          ? opts.natsCoalescing
          : opts.replication;
  for (let round = 1; round <= opts.rounds; round++) {
    const order = round % 2 === 1 ? modes : [...modes].reverse();
    for (const mode of order) runs.push(await measureMode(opts, mode, round, log, setting));
  }
  return runs;
}

/** The setting a mode comparison turns off and on for every service. */
export type ModeSetting = 'REPLICATION' | 'TRANSFER' | 'NATS_WRITE_COALESCING' | 'EDGE_PREFERRED_HEADER';

/** With NATS write coalescing on, throughput must not fall below throughput with it off. */
export const COALESCING_TARGET = 1.0;

/** With the preferred-edge header on, throughput must stay at least this share of throughput with it off. */
export const AFFINITY_TARGET = 0.98;

/** With the state profiler and transfer hooks on, throughput must stay at least this share of throughput with them off. */
export const TRANSFER_TARGET = 0.98;

async function measureMode(
  opts: BenchOptions,
  mode: ReplicationMode,
  round: number,
  log: (message: string) => void,
  setting: ModeSetting,
): Promise<ReplicationRun> {
  const label = `round ${round}, ${setting.toLowerCase()} ${mode}`;
  log(`${label}: starting the local Foresight stack with ${opts.shardNodes ?? 2} shard nodes ...`);
  const stack = await startForesightStack({
    databaseUrl: opts.databaseUrl,
    shardNodes: opts.shardNodes ?? 2,
    logLevel: opts.foresightLogLevel,
    cpuProfDir: opts.cpuProfDir,
    // The header setting takes true/false; the affinity service runs in both modes, so only the gateway's hot path differs.
    env: { [setting]: setting === 'EDGE_PREFERRED_HEADER' ? String(mode === 'on') : mode },
    ...(setting === 'EDGE_PREFERRED_HEADER' ? { extraServices: ['affinity'] as const } : {}),
  });
  try {
    const { results, shardMetrics: texts } = await measureForesightRound(stack, opts, label, log);
    return { mode, round, results, replica: replicaStats(texts) };
  } finally {
    await stack.stop();
  }
}
