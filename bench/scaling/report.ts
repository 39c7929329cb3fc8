import type { ScalingOp } from './cli';
import {
  backgroundCores,
  DEFAULT_ASSUMPTIONS,
  LARGER_DEPLOYMENTS,
  localDeployment,
  predictThroughput,
  totalCost,
  type Assumptions,
  type CpuCost,
  type Prediction,
} from './model';

/** One measured configuration and op. */
export interface ScalingResult {
  readonly shardNodes: number;
  readonly gateways: number;
  readonly op: ScalingOp;
  /** 2xx responses per second. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly wallS: number;
  /** CPU of each process group over the window, % of one core (harness = the load generator). */
  readonly cpuPctByLabel: Readonly<Record<string, number>>;
  readonly machineBusyPct: number;
  readonly loadGenCpuPct: number;
  /** CPU of each process group without load before this configuration's measurements, % of one core. */
  readonly backgroundPctByLabel: Readonly<Record<string, number>>;
  /** CPU ms per 2xx response of each server process group, its background CPU subtracted. */
  readonly cost: CpuCost;
  /** Cores the server process groups used over the window (background included). */
  readonly serviceCpuCores: number;
  /** Cores of the machine used by processes that are not this run's, over the window (from the machine's busy share). */
  readonly otherCores: number;
  readonly loadavg1Before: number;
  readonly loadavg1After: number;
  /** PUT only: the event store's commits and WAL flushes over the window. */
  readonly groupCommit?: { commits: number; walSyncs?: number; writesPerCommit: number; writesPerWalSync?: number };
}

/** The model next to one measurement. */
export interface ModelRow {
  readonly shardNodes: number;
  readonly gateways: number;
  readonly op: ScalingOp;
  readonly measuredRps: number;
  /** Predicted for a quiet machine from the calibration costs. */
  readonly quiet: Prediction;
  /** Predicted on the CPU the services actually got over the window (less their background), all of it turned into work. */
  readonly onCpuGot: Prediction;
  /** measured / onCpuGot. */
  readonly ratio: number;
  /** True for the configuration whose costs calibrate the model. */
  readonly calibration: boolean;
}

/** A prediction for a deployment larger than this machine. */
export interface LargerPrediction {
  readonly deployment: string;
  readonly op: ScalingOp;
  /** From the costs of the calibration configuration (see calibrationOf). */
  readonly fromSmallest: Prediction;
  /** From the costs of the configuration with the most processes (more processes, more CPU per op here). */
  readonly fromLargest: Prediction;
}

/**
 * The calibration of each op: the first (smallest) configuration measured with at least 2 shard
 * nodes, where writes also go to a warm secondary as in any real deployment; the first one measured
 * when none has 2.
 */
export function calibrationOf(results: readonly ScalingResult[], op: ScalingOp): ScalingResult | undefined {
  const served = results.filter((r) => r.op === op && r.ok > 0);
  return served.find((r) => r.shardNodes >= 2) ?? served[0];
}

/** The configuration with the most processes measured for an op (last one wins a tie). */
export function largestOf(results: readonly ScalingResult[], op: ScalingOp): ScalingResult | undefined {
  let best: ScalingResult | undefined;
  for (const r of results) if (r.op === op && r.ok > 0 && (best === undefined || r.shardNodes + r.gateways >= best.shardNodes + best.gateways)) best = r;
  return best;
}

/**
 * Predicted vs measured for every measurement, from the calibration costs of its op. `serviceCores`:
 * cores the services may use (all, or all but the load generator's when pinned), less what the
 * services' background work keeps busy in that configuration.
 */
export function modelRows(results: readonly ScalingResult[], serviceCores: number, a: Assumptions = DEFAULT_ASSUMPTIONS): ModelRow[] {
  return results.flatMap((r) => {
    const cal = calibrationOf(results, r.op);
    if (cal === undefined) return [];
    const usable = Math.max(0.05, serviceCores - backgroundCores(r.backgroundPctByLabel));
    const quiet = predictThroughput(r.op, cal.cost, localDeployment(r.shardNodes, r.gateways, usable), a);
    // On a shared machine the services get what the others leave: predict on what they got.
    const got = Math.max(0.05, r.serviceCpuCores - backgroundCores(r.backgroundPctByLabel));
    const onCpuGot = predictThroughput(r.op, cal.cost, localDeployment(r.shardNodes, r.gateways, got), { ...a, efficiency: 1 });
    return [
      {
        shardNodes: r.shardNodes,
        gateways: r.gateways,
        op: r.op,
        measuredRps: r.rps,
        quiet,
        onCpuGot,
        ratio: onCpuGot.opsPerS > 0 ? r.rps / onCpuGot.opsPerS : 0,
        calibration: r === cal,
      },
    ];
  });
}

/** The model's predictions for the larger deployments, per op measured. */
export function largerPredictions(results: readonly ScalingResult[], a: Assumptions = DEFAULT_ASSUMPTIONS): LargerPrediction[] {
  const ops = [...new Set(results.map((r) => r.op))];
  return LARGER_DEPLOYMENTS.flatMap((d) =>
    ops.flatMap((op) => {
      const small = calibrationOf(results, op);
      const large = largestOf(results, op);
      if (small === undefined || large === undefined) return [];
      return [{ deployment: d.label, op, fromSmallest: predictThroughput(op, small.cost, d, a), fromLargest: predictThroughput(op, large.cost, d, a) }];
    }),
  );
}

const fmt = (n: number, digits: number): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '∞';

function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The printed report: measurements with CPU per op by group, predicted vs measured, larger deployments. */
export function renderScalingReport(
  results: readonly ScalingResult[],
  model: readonly ModelRow[],
  larger: readonly LargerPrediction[],
  pinning: string,
): string {
  const lines: string[] = [`Load generator: ${pinning}`, ''];
  lines.push(
    ...table(
      [
        'shards',
        'gws',
        'op',
        'req/s',
        'p50 ms',
        'p99 ms',
        'err',
        'non-2xx',
        'gateway',
        'shard',
        'metadata',
        'nats',
        'postgres',
        'total ms/op',
        'loadgen %',
        'busy %',
        'other cores',
        'load1',
      ],
      results.map((r) => [
        String(r.shardNodes),
        String(r.gateways),
        r.op.toUpperCase(),
        fmt(r.rps, 0),
        fmt(r.p50Ms, 1),
        fmt(r.p99Ms, 1),
        String(r.errors),
        String(r.non2xx),
        fmt(r.cost.gateway, 3),
        fmt(r.cost.shard, 3),
        fmt(r.cost.metadata, 3),
        fmt(r.cost['nats-server'], 3),
        fmt(r.cost.postgres, 3),
        fmt(totalCost(r.cost), 3),
        fmt(backgroundCores(r.backgroundPctByLabel), 2),
        fmt(r.loadGenCpuPct, 0),
        String(r.machineBusyPct),
        fmt(r.otherCores, 2),
        fmt(r.loadavg1Before, 1),
      ]),
      3,
    ),
  );
  lines.push(
    '(server CPU ms per op by process group, less each group’s CPU without load; idle cores = the services’ CPU without load; ' +
      'loadgen % = the load generator, % of one core; other cores = CPU used by processes not of this run)',
  );
  const commits = results.filter((r) => r.groupCommit !== undefined);
  if (commits.length > 0) {
    lines.push('', 'Group commit during PUT (database commits and server-wide WAL flushes; background work included, so lower bounds):');
    for (const r of commits) {
      const g = r.groupCommit!;
      const wal =
        g.writesPerWalSync === undefined
          ? 'WAL flushes not counted (Postgres < 14)'
          : `${fmt(g.writesPerWalSync, 1)} writes per WAL flush (${g.walSyncs ?? 0} flushes)`;
      lines.push(`  ${r.shardNodes} shards, ${r.gateways} gws: ${fmt(g.writesPerCommit, 1)} writes per commit (${g.commits} commits), ${wal}`);
    }
  }
  if (model.length > 0) {
    lines.push('', 'Model (docs/scaling.md) from the CPU per op of the calibration configuration of each op (marked *: the first with 2 shard nodes):');
    lines.push(
      ...table(
        ['shards', 'gws', 'op', 'measured', 'predicted quiet', 'bound', 'on the CPU it got', 'bound ', 'measured / on CPU got'],
        model.map((m) => [
          String(m.shardNodes),
          String(m.gateways) + (m.calibration ? '*' : ''),
          m.op.toUpperCase(),
          fmt(m.measuredRps, 0),
          fmt(m.quiet.opsPerS, 0),
          m.quiet.bound,
          fmt(m.onCpuGot.opsPerS, 0),
          m.onCpuGot.bound,
          fmt(m.ratio, 2),
        ]),
        3,
      ),
    );
  }
  if (larger.length > 0) {
    lines.push('', 'Model for larger deployments (ops/s; from the calibration configuration’s costs .. from those of the one with the most processes):');
    for (const p of larger) {
      lines.push(
        `  ${p.op.toUpperCase()}  ${p.deployment}: ${fmt(p.fromSmallest.opsPerS, 0)} (${p.fromSmallest.bound}) .. ${fmt(p.fromLargest.opsPerS, 0)} (${p.fromLargest.bound})`,
      );
    }
  }
  return lines.join('\n');
}
