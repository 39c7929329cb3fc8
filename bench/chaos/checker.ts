/**
 * The Jepsen-style checker of the chaos suite: pure logic over a recorded history.
 *
 * The model is a set of registers (one variable per writer per session). Each register has one
 * writer, which writes 1, 2, 3, … in order, one write at a time; so a register's value only grows,
 * and "newer" means "larger". A write is acknowledged when the client got a success; a failed write
 * is indeterminate (it may or may not have been applied), never counted against the cluster.
 */

/** One client call, as the client saw it (times in ms on one monotonic clock). */
export interface Operation {
  /** The register: `<session>/<variable>`. */
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Success; otherwise `code` says what the client saw. */
  readonly ok: boolean;
  readonly code?: string;
}

export interface WriteOp extends Operation {
  readonly value: number;
  /**
   * A write acknowledged in an earlier round, carried in so this round's reads and final value are
   * still checked against it; not counted again among this round's writes.
   */
  readonly carried?: boolean;
}

export interface ReadOp extends Operation {
  /** What the read returned (null: the variable did not exist yet). Meaningless when `ok` is false. */
  readonly value: number | null;
}

/** The final read of a register, once the cluster is healthy again (null value: not found; error: could not read). */
export interface FinalRead {
  readonly key: string;
  readonly value: number | null;
  readonly error?: string;
}

export interface Anomaly {
  readonly key: string;
  /** The value a read returned (stale, phantom), or the acknowledged value missing (lost). */
  readonly value: number | null;
  /** What it should have been at least: the newest value acknowledged before the read began (stale, lost). */
  readonly expectedAtLeast: number;
  readonly atMs: number;
}

export interface CheckResult {
  readonly acknowledgedWrites: number;
  readonly failedWrites: number;
  readonly okReads: number;
  readonly failedReads: number;
  /** Acknowledged writes whose value the final read does not reach (a newer final value supersedes, never loses). */
  readonly lostWrites: number;
  /** Registers whose final read failed: their acknowledged writes are unverified, not counted as lost. */
  readonly unverifiedRegisters: number;
  /** Reads that returned a value older than one acknowledged before the read began. */
  readonly staleReads: number;
  /** Reads that returned a value no write had even started by the time the read ended. */
  readonly phantomReads: number;
  /** Client-visible errors (failed writes and reads) by code. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** The longest any single call waited, failed or not. */
  readonly longestWaitMs: number;
  /** The first few anomalies of each kind, to look into. */
  readonly examples: { readonly lost: Anomaly[]; readonly stale: Anomaly[]; readonly phantom: Anomaly[] };
}

const EXAMPLES = 5;

/** Per register: acknowledged writes by ack time with the running maximum, and write starts. */
class RegisterIndex {
  private readonly ackEnds: number[] = [];
  private readonly ackMax: number[] = [];
  private readonly starts: number[] = [];
  private readonly startMax: number[] = [];

  constructor(writes: readonly WriteOp[]) {
    const acked = writes.filter((w) => w.ok).sort((a, b) => a.endMs - b.endMs);
    let max = 0;
    for (const w of acked) {
      max = Math.max(max, w.value);
      this.ackEnds.push(w.endMs);
      this.ackMax.push(max);
    }
    const started = [...writes].sort((a, b) => a.startMs - b.startMs);
    max = 0;
    for (const w of started) {
      max = Math.max(max, w.value);
      this.starts.push(w.startMs);
      this.startMax.push(max);
    }
  }

  /** The newest value acknowledged strictly before `t` (0 when none). */
  ackedBefore(t: number): number {
    const i = lastBelow(this.ackEnds, t);
    return i < 0 ? 0 : this.ackMax[i];
  }

  /** The newest value any write had started to write at or before `t` (0 when none). */
  startedBy(t: number): number {
    const i = lastBelow(this.starts, t, true);
    return i < 0 ? 0 : this.startMax[i];
  }

  /** The newest acknowledged value overall. */
  newestAcked(): number {
    return this.ackMax.length === 0 ? 0 : this.ackMax[this.ackMax.length - 1];
  }
}

/** Index of the last element < t (≤ t with `inclusive`) in an ascending array, or -1. */
function lastBelow(sorted: readonly number[], t: number, inclusive = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inclusive ? sorted[mid] <= t : sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function groupByKey<T extends { key: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.key);
    if (list) list.push(item);
    else out.set(item.key, [item]);
  }
  return out;
}

/**
 * Checks a history: every acknowledged write against the final reads (lost writes), every read
 * against the writes acknowledged before it began (stale) and the writes started before it ended
 * (phantom). A read concurrent with a write may return either value: it is not stale.
 */
export function checkHistory(writes: readonly WriteOp[], reads: readonly ReadOp[], finals: readonly FinalRead[]): CheckResult {
  const registers = new Map<string, RegisterIndex>();
  for (const [key, list] of groupByKey(writes)) registers.set(key, new RegisterIndex(list));
  const register = (key: string) => registers.get(key) ?? new RegisterIndex([]);

  const errorsByCode: Record<string, number> = {};
  let longestWaitMs = 0;
  for (const op of [...writes, ...reads]) {
    longestWaitMs = Math.max(longestWaitMs, op.endMs - op.startMs);
    if (!op.ok) {
      const code = op.code ?? 'UNKNOWN';
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
    }
  }

  const stale: Anomaly[] = [];
  const phantom: Anomaly[] = [];
  let staleReads = 0;
  let phantomReads = 0;
  for (const r of reads) {
    if (!r.ok) continue;
    const reg = register(r.key);
    const seen = r.value ?? 0;
    const expectedAtLeast = reg.ackedBefore(r.startMs);
    if (seen < expectedAtLeast) {
      staleReads++;
      if (stale.length < EXAMPLES) stale.push({ key: r.key, value: r.value, expectedAtLeast, atMs: r.startMs });
    }
    if (seen > reg.startedBy(r.endMs)) {
      phantomReads++;
      if (phantom.length < EXAMPLES) phantom.push({ key: r.key, value: r.value, expectedAtLeast, atMs: r.startMs });
    }
  }

  const finalOf = new Map(finals.map((f) => [f.key, f]));
  const lost: Anomaly[] = [];
  let lostWrites = 0;
  let unverifiedRegisters = 0;
  for (const [key, list] of groupByKey(writes.filter((w) => w.ok))) {
    const final = finalOf.get(key);
    if (!final || final.error !== undefined) {
      unverifiedRegisters++;
      continue;
    }
    const reached = final.value ?? 0;
    for (const w of list) {
      if (w.value <= reached) continue;
      lostWrites++;
      if (lost.length < EXAMPLES) lost.push({ key, value: w.value, expectedAtLeast: register(key).newestAcked(), atMs: w.endMs });
    }
  }

  const acknowledgedWrites = writes.filter((w) => w.ok && !w.carried).length;
  const okReads = reads.filter((r) => r.ok).length;
  return {
    acknowledgedWrites,
    failedWrites: writes.filter((w) => !w.ok).length,
    okReads,
    failedReads: reads.length - okReads,
    lostWrites,
    unverifiedRegisters,
    staleReads,
    phantomReads,
    errorsByCode,
    longestWaitMs,
    examples: { lost, stale, phantom },
  };
}

/**
 * How long after `faultMs` the registers in `keys` were written again: the earliest and the latest,
 * over those registers, of the first acknowledgement of a write issued after `faultMs` (one in flight
 * at the fault may have been answered by the old owner just before it died), and how many never were.
 * Only writes count: they need the owner and Postgres, where a read may be answered from memory.
 */
export function recoveryAfter(
  writes: readonly WriteOp[],
  faultMs: number,
  keys: ReadonlySet<string>,
): { firstMs: number | null; allMs: number | null; never: number } {
  const firstAck = new Map<string, number>();
  for (const w of writes) {
    if (!w.ok || w.startMs < faultMs || !keys.has(w.key)) continue;
    const t = w.endMs - faultMs;
    const known = firstAck.get(w.key);
    if (known === undefined || t < known) firstAck.set(w.key, t);
  }
  const times = [...firstAck.values()];
  return {
    firstMs: times.length === 0 ? null : Math.min(...times),
    allMs: times.length === 0 || times.length < keys.size ? null : Math.max(...times),
    never: keys.size - times.length,
  };
}
