import type { CheckResult } from './checker';
import type { FaultName } from './cli';

/** One round of one fault, as the JSON and the table hold it. */
export interface RoundResult extends CheckResult {
  readonly fault: FaultName;
  readonly round: number;
  readonly target: string;
  readonly affectedRegisters: number;
  readonly durationMs: number;
  /** From the fault to the cluster back at full size and health (the heal step done). */
  readonly healedMs: number;
  /** From the fault to the first affected register written again, and to the last one. */
  readonly firstServedMs: number | null;
  readonly allServedMs: number | null;
  /** Affected registers never written again in the round. */
  readonly neverServed: number;
  /** From the fault to the target's first shard moved in Postgres (shard-node faults only). */
  readonly movedMs?: number | null;
}

export interface FaultSummary {
  readonly fault: FaultName;
  readonly rounds: number;
  readonly acknowledgedWrites: number;
  readonly lostWrites: number;
  readonly staleReads: number;
  readonly phantomReads: number;
  readonly clientErrors: number;
  readonly longestWaitMs: number;
  /** The worst round's time until every affected register was written again (null: some never were). */
  readonly allServedMaxMs: number | null;
  readonly firstServedMaxMs: number | null;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const maxOrNull = (xs: readonly (number | null)[]) => (xs.some((x) => x === null) || xs.length === 0 ? null : Math.max(...(xs as number[])));

/** One line per fault over its rounds: totals of the counts, the worst of the times. */
export function summarise(rounds: readonly RoundResult[]): FaultSummary[] {
  const faults = [...new Set(rounds.map((r) => r.fault))];
  return faults.map((fault) => {
    const rs = rounds.filter((r) => r.fault === fault);
    return {
      fault,
      rounds: rs.length,
      acknowledgedWrites: sum(rs.map((r) => r.acknowledgedWrites)),
      lostWrites: sum(rs.map((r) => r.lostWrites)),
      staleReads: sum(rs.map((r) => r.staleReads)),
      phantomReads: sum(rs.map((r) => r.phantomReads)),
      clientErrors: sum(rs.map((r) => r.failedWrites + r.failedReads)),
      longestWaitMs: Math.max(...rs.map((r) => r.longestWaitMs)),
      allServedMaxMs: maxOrNull(rs.map((r) => r.allServedMs)),
      firstServedMaxMs: maxOrNull(rs.map((r) => r.firstServedMs)),
    };
  });
}
