import type { GroupProfile } from './state-profiler';

/**
 * How a group of a moving session reaches its new owner: pushed before cut-over from the old
 * owner's memory (`immediate`), fetched on first access (`lazy`), or not moved at all because the
 * new owner rebuilds it (`reconstructable`).
 */
export type TransferMode = 'immediate' | 'lazy' | 'reconstructable';

/** Why a group got its mode (logged, counted, sent with the plan). */
export type PlanReason = 'always' | 'rebuilt' | 'large_rare' | 'unlikely' | 'budget' | 'likely' | 'empty';

/** One session of a moving shard, as the old owner holds it. */
export interface PlanCandidate {
  readonly sessionId: string;
  readonly shard: number;
  readonly version: number;
  /** Encoded bytes of each group's values (from the session's sizes). */
  readonly groupBytes: Readonly<Record<string, number>>;
  /** Bytes of the core (version, timeouts, sizes, request memory, recent actions). */
  readonly coreBytes: number;
  /** The profiler's view of each group (undefined: not seen since this node loaded it). */
  readonly profile?: Readonly<Record<string, GroupProfile>>;
}

export interface GroupPlan {
  readonly mode: TransferMode;
  readonly reason: PlanReason;
  readonly bytes: number;
  /** Estimated chance of an access within the planning horizon. */
  readonly p: number;
}

export interface SessionPlan {
  readonly sessionId: string;
  readonly shard: number;
  readonly version: number;
  readonly groups: Readonly<Record<string, GroupPlan>>;
  /** Bytes pushed eagerly for this session: its core and its immediate groups. */
  readonly immediateBytes: number;
}

export interface PlannerRules {
  /** Groups always pushed before cut-over, whatever their size or use (the auth group). */
  readonly alwaysImmediate: readonly string[];
  /** Groups the new owner rebuilds instead of receiving. */
  readonly reconstructable: readonly string[];
  /** Bytes pushed eagerly at most, over all sessions of the move, besides the always-immediate groups and cores. */
  readonly budgetBytes: number;
  /** A group at least this large ... */
  readonly largeBytes: number;
  /** ... with a chance of access below this is lazy whatever the budget. */
  readonly rareBelow: number;
  /** Below this chance of access, a group is lazy (pushed only when at least this likely to be used soon). */
  readonly minChance: number;
}

export interface TransferPlan {
  readonly sessions: readonly SessionPlan[];
  /** Bytes pushed eagerly (cores and immediate groups). */
  readonly immediateBytes: number;
  /** Bytes of a full copy of every session (cores and every group). */
  readonly fullBytes: number;
}

/** The chance a group with this profile is accessed within the horizon (undefined profile: never seen here). */
export type AccessChance = (profile: GroupProfile | undefined, group: string) => number;

/**
 * Plans a move: for every session and group, a mode. Rules first (always-immediate, rebuilt,
 * empty, large and rarely read), then by value: a group is pushed only when it is likely to be
 * used soon after cut-over (its chance of access within the horizon at least `minChance`); the
 * rest is lazy, fetched from the old owner's memory on first use, which costs one round trip
 * instead of pushing bytes that may never be read. The budget is a ceiling, not a target: the
 * likely groups, by expected accesses per byte, highest first, are pushed while it lasts. Pure
 * and deterministic (ties broken by session id and group).
 */
export function planTransfer(candidates: readonly PlanCandidate[], rules: PlannerRules, chance: AccessChance): TransferPlan {
  const always = new Set(rules.alwaysImmediate);
  const rebuilt = new Set(rules.reconstructable);
  const decided = candidates.map(() => new Map<string, GroupPlan>());
  const open: { c: number; group: string; bytes: number; p: number }[] = [];
  let fullBytes = 0;
  candidates.forEach((cand, c) => {
    fullBytes += cand.coreBytes;
    for (const [group, bytes] of Object.entries(cand.groupBytes)) {
      fullBytes += bytes;
      const p = chance(cand.profile?.[group], group);
      const set = (mode: TransferMode, reason: PlanReason) => decided[c].set(group, { mode, reason, bytes, p });
      if (always.has(group)) set('immediate', 'always');
      else if (rebuilt.has(group)) set('reconstructable', 'rebuilt');
      else if (bytes === 0) set('lazy', 'empty');
      else if (bytes >= rules.largeBytes && p < rules.rareBelow) set('lazy', 'large_rare');
      else if (p < rules.minChance) set('lazy', 'unlikely');
      else open.push({ c, group, bytes, p });
    }
  });
  open.sort(
    (a, b) =>
      b.p / Math.max(64, b.bytes) - a.p / Math.max(64, a.bytes) ||
      (candidates[a.c].sessionId < candidates[b.c].sessionId ? -1 : candidates[a.c].sessionId > candidates[b.c].sessionId ? 1 : 0) ||
      (a.group < b.group ? -1 : 1),
  );
  let left = rules.budgetBytes;
  for (const o of open) {
    const fits = o.bytes <= left;
    if (fits) left -= o.bytes;
    decided[o.c].set(o.group, { mode: fits ? 'immediate' : 'lazy', reason: fits ? 'likely' : 'budget', bytes: o.bytes, p: o.p });
  }
  let immediateBytes = 0;
  const sessions = candidates.map((cand, c) => {
    const groups = Object.fromEntries([...decided[c]].sort(([a], [b]) => (a < b ? -1 : 1)));
    const bytes = cand.coreBytes + Object.values(groups).reduce((n, g) => n + (g.mode === 'immediate' ? g.bytes : 0), 0);
    immediateBytes += bytes;
    return { sessionId: cand.sessionId, shard: cand.shard, version: cand.version, groups, immediateBytes: bytes };
  });
  return { sessions, immediateBytes, fullBytes };
}

/** Encoded bytes per group of a session's sizes map (`"group/name" → bytes`). */
export function bytesByGroup(sizes: Readonly<Record<string, number>>, groups: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(groups.map((g) => [g, 0]));
  for (const [key, bytes] of Object.entries(sizes)) {
    const slash = key.indexOf('/');
    const g = key.slice(0, slash);
    if (Object.hasOwn(out, g)) out[g] += bytes;
  }
  return out;
}
