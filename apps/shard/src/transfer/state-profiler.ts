import type { GroupProfile } from './group-profile';
import type { NextAccessModel } from './next-access-model';

/**
 * How each session's state groups are used on this node: per session and group, access rates
 * (decayed), recency, reads against writes, and the regularity of the gaps between accesses
 * (periodic against bursty). Sizes come from the session's state when a profile is summarised.
 *
 * Cheap and bounded: one `Float64Array` of {@link FIELDS} numbers per group per session (about
 * 60 bytes a group), the least recently used sessions forgotten beyond `maxSessions`, O(groups)
 * work per access and no timers.
 */

/** Per group: last access, decayed reads, decayed writes, total reads, total writes, gap mean, gap variance (EWMA). */
const LAST = 0;
const RATE_R = 1;
const RATE_W = 2;
const READS = 3;
const WRITES = 4;
const GAP_MEAN = 5;
const GAP_VAR = 6;
const FIELDS = 7;

export type AccessKind = 'read' | 'write';
export type { GroupProfile };

export interface ProfilerOptions {
  /** The state groups (their order fixes the layout). */
  readonly groups: readonly string[];
  /** How many sessions are profiled at most (least recently used forgotten first). */
  readonly maxSessions: number;
  /** Half-life of the access rates (ms). */
  readonly halfLifeMs: number;
  /** Trained from one access in `trainEvery` (none: nothing learned). */
  readonly model?: NextAccessModel;
  readonly trainEvery?: number;
  /** Uniform in [0, 1): where inside a gap a training example is taken. */
  readonly random?: () => number;
}

const GAP_WEIGHT = 0.25;

export class StateProfiler {
  private readonly sessions = new Map<string, Float64Array>();
  private readonly index: Map<string, number>;
  private readonly decayPerMs: number;
  private accesses = 0;

  constructor(private readonly options: ProfilerOptions) {
    this.index = new Map(options.groups.map((g, i) => [g, i]));
    this.decayPerMs = Math.LN2 / options.halfLifeMs;
  }

  /** Sessions profiled now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Approximate bytes held (arrays only). */
  get bytes(): number {
    return this.sessions.size * this.options.groups.length * FIELDS * 8;
  }

  /** An access to some groups of a session (undefined: all groups, as a whole-session read). */
  record(sessionId: string, groups: readonly string[] | undefined, kind: AccessKind, now: number): void {
    let row = this.sessions.get(sessionId);
    if (row === undefined) {
      if (this.sessions.size >= this.options.maxSessions) {
        const oldest = this.sessions.keys().next().value as string;
        this.sessions.delete(oldest);
      }
      row = new Float64Array(this.options.groups.length * FIELDS).fill(0);
      for (let i = 0; i < this.options.groups.length; i++) row[i * FIELDS + LAST] = -1;
    } else {
      // Re-inserted: Map order is then least recently used first.
      this.sessions.delete(sessionId);
    }
    this.sessions.set(sessionId, row);
    if (groups === undefined) {
      for (let i = 0; i < this.options.groups.length; i++) this.bump(row, i * FIELDS, kind, now);
    } else {
      for (const g of groups) {
        const i = this.index.get(g);
        if (i !== undefined) this.bump(row, i * FIELDS, kind, now);
      }
    }
  }

  /**
   * Forgets a session (ended, or moved away and summarised). With `now`, a group idle for longer
   * than the model's horizon teaches it a negative example.
   */
  forget(sessionId: string, now?: number): void {
    const row = this.sessions.get(sessionId);
    this.sessions.delete(sessionId);
    const model = this.options.model;
    if (row === undefined || model === undefined || now === undefined) return;
    for (let i = 0; i < this.options.groups.length; i++) {
      const last = row[i * FIELDS + LAST];
      if (last >= 0 && now - last > model.horizonMs) model.learn(this.groupProfile(row, i * FIELDS, now - model.horizonMs), false);
    }
  }

  /** The profile of every group of a session (undefined: never seen). */
  profile(sessionId: string, now: number): Record<string, GroupProfile> | undefined {
    const row = this.sessions.get(sessionId);
    if (row === undefined) return undefined;
    const out: Record<string, GroupProfile> = {};
    this.options.groups.forEach((g, i) => (out[g] = this.groupProfile(row, i * FIELDS, now)));
    return out;
  }

  private bump(row: Float64Array, o: number, kind: AccessKind, now: number): void {
    const last = row[o + LAST];
    if (last >= 0) {
      const dt = Math.max(0, now - last);
      const model = this.options.model;
      if (model !== undefined && ++this.accesses % (this.options.trainEvery ?? 8) === 0) {
        // An example inside this gap: from a point in it, did the next access come within the horizon?
        const at = (this.options.random ?? Math.random)() * dt;
        model.learn(this.groupProfile(row, o, last + at), dt - at <= model.horizonMs);
      }
      const decay = Math.exp(-this.decayPerMs * dt);
      row[o + RATE_R] *= decay;
      row[o + RATE_W] *= decay;
      if (row[o + READS] + row[o + WRITES] === 1) {
        row[o + GAP_MEAN] = dt;
      } else {
        const delta = dt - row[o + GAP_MEAN];
        row[o + GAP_MEAN] += GAP_WEIGHT * delta;
        row[o + GAP_VAR] = (1 - GAP_WEIGHT) * (row[o + GAP_VAR] + GAP_WEIGHT * delta * delta);
      }
    }
    row[o + LAST] = now;
    if (kind === 'read') {
      row[o + RATE_R] += 1;
      row[o + READS] += 1;
    } else {
      row[o + RATE_W] += 1;
      row[o + WRITES] += 1;
    }
  }

  private groupProfile(row: Float64Array, o: number, now: number): GroupProfile {
    const last = row[o + LAST];
    const reads = row[o + READS];
    const writes = row[o + WRITES];
    if (last < 0) return { rate: 0, readShare: 0.5, idleMs: Infinity, reads: 0, writes: 0, gapMs: 0, pattern: 'unknown' };
    const idleMs = Math.max(0, now - last);
    const decay = Math.exp(-this.decayPerMs * idleMs);
    // Decayed count over the decay's mean lifetime: an estimate of accesses per second.
    const rate = (row[o + RATE_R] + row[o + RATE_W]) * decay * this.decayPerMs * 1000;
    const gapMs = reads + writes >= 2 ? row[o + GAP_MEAN] : 0;
    let pattern: GroupProfile['pattern'] = 'unknown';
    if (reads + writes >= 4 && gapMs > 0) pattern = Math.sqrt(row[o + GAP_VAR]) / gapMs < 0.5 ? 'periodic' : 'bursty';
    return { rate, readShare: reads / (reads + writes), idleMs, reads, writes, gapMs, pattern };
  }
}
