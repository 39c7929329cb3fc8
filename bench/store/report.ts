import type { OpName, SystemName } from './cli';
import type { OpResult } from './load';

/** One target: Foresight's throughput over a peer's, at least `min`. */
export interface RatioCheck {
  readonly label: string;
  readonly op: OpName;
  readonly peer: SystemName;
  readonly min: number;
  /** `undefined` when one side was not measured in this run. */
  readonly ratio?: number;
  readonly met?: boolean;
}

/** The two targets: reads ≥ 1.0× the Redis peer, durable writes ≥ 2× the Postgres peer. */
const TARGETS: ReadonlyArray<Pick<RatioCheck, 'label' | 'op' | 'peer' | 'min'>> = [
  { label: 'reads: Foresight / Redis peer', op: 'get', peer: 'redis', min: 1.0 },
  { label: 'durable writes: Foresight / Postgres peer', op: 'put', peer: 'postgres', min: 2.0 },
];

function find(results: readonly OpResult[], system: SystemName, op: OpName): OpResult | undefined {
  return results.find((r) => r.system === system && r.op === op);
}

/** Foresight/peer req/s ratios for the targets that both sides of were measured. */
export function checkTargets(results: readonly OpResult[]): RatioCheck[] {
  return TARGETS.map((t) => {
    const ours = find(results, 'foresight', t.op);
    const theirs = find(results, t.peer, t.op);
    if (ours === undefined || theirs === undefined || theirs.rps === 0) return { ...t };
    const ratio = ours.rps / theirs.rps;
    return { ...t, ratio, met: ratio >= t.min };
  });
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

/** A number with a fixed count of decimals and thousands separators, as the tables print it. */
export const fmt = (n: number, digits: number): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The result table (system × op) followed by the target ratios, as printed on stdout. */
export function renderReport(results: readonly OpResult[], checks: readonly RatioCheck[]): string {
  const header = ['system', 'op', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'];
  const rows = results.map((r) => [r.system, r.op.toUpperCase(), fmt(r.rps, 0), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), String(r.errors), String(r.non2xx)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const lines = [pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => pad(r, widths))];
  const withCpu = results.filter((r) => r.cpu !== undefined);
  if (withCpu.length > 0) {
    lines.push('', 'CPU during each measurement (% of one core; the machine has 2 cores and is shared):');
    for (const r of withCpu) {
      const groups = Object.entries(r.cpu?.byLabel ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([label, pct]) => `${label} ${pct.toFixed(0)}`)
        .join(', ');
      lines.push(
        `  ${`${r.system} ${r.op.toUpperCase()}`.padEnd(14)} ${fmt(r.cpu?.serverCpuMsPerRequest ?? 0, 3)} server CPU ms/req | ` +
          `${groups} | machine busy ${r.cpu?.machineBusyPct ?? 0}%`,
      );
    }
  }
  lines.push('');
  for (const c of checks) {
    const verdict = c.ratio === undefined ? 'not measured in this run' : `${fmt(c.ratio, 2)}x  (target >= ${fmt(c.min, 1)}x: ${c.met ? 'met' : 'NOT met'})`;
    lines.push(`${c.label.padEnd(44)} ${verdict}`);
    const ours = find(results, 'foresight', c.op)?.cpu;
    const theirs = find(results, c.peer, c.op)?.cpu;
    if (c.ratio !== undefined && ours !== undefined && theirs !== undefined) {
      lines.push(
        `${''.padEnd(44)}   server CPU per request: Foresight ${fmt(ours.serverCpuMsPerRequest, 3)} ms, ` +
          `${c.peer} peer ${fmt(theirs.serverCpuMsPerRequest, 3)} ms`,
      );
    }
  }
  return lines.join('\n');
}
