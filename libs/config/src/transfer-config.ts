import type { EnvReader } from './env-reader';

/**
 * Moving sessions with their shard (shard nodes): what the old owner pushes from memory before
 * cut-over, what the new owner fetches on first access, and the profile of use it decides by.
 */
export interface TransferConfig {
  /** Off: a moved shard's sessions are loaded from Postgres on first access, as before. */
  readonly enabled: boolean;
  /** Bytes pushed eagerly per move at most, besides sessions' cores and the always-pushed groups. */
  readonly budgetBytes: number;
  /** Groups always pushed before cut-over. */
  readonly immediateGroups: readonly string[];
  /** Groups the new owner rebuilds rather than receives (loaded from Postgres when used). */
  readonly rebuiltGroups: readonly string[];
  /** A group at least this large whose chance of access is below `rareChance` is fetched lazily. */
  readonly largeGroupBytes: number;
  readonly rareChance: number;
  /**
   * A group is pushed before cut-over only when its chance of access within `horizonMs` is at least
   * this (the always-pushed groups aside); below, it is fetched lazily. The budget only caps.
   */
  readonly minChance: number;
  readonly horizonMs: number;
  /** How long the old owner waits for the new owner's answer to a proposal before releasing the shards anyway. */
  readonly timeoutMs: number;
  /** Bytes of pushed sessions a new owner holds at most (beyond: it refuses the sessions, which load from Postgres). */
  readonly maxInboxBytes: number;
  /** Sessions profiled at most, and the half-life of the access rates. */
  readonly profileMaxSessions: number;
  readonly profileHalfLifeMs: number;
  /** How long the old owner keeps the lazy groups of sessions it handed over, for the new owner to fetch (0: never). */
  readonly retainMs: number;
  /** Bytes of lazy groups the old owner keeps at most for that. */
  readonly retainBytes: number;
  /** How long the new owner waits for the old owner's answer to a fetch before it reads Postgres. */
  readonly fetchTimeoutMs: number;
  /**
   * A node stopping on SIGTERM: how long at most it spends handing its shards over (while serving)
   * and then answering its new owners' lazy fetches, before it exits (0: it leaves at once).
   */
  readonly leaveMs: number;
}

export function readTransferConfig(r: EnvReader, groups: readonly string[]): TransferConfig {
  const immediateGroups = r.list('TRANSFER_IMMEDIATE_GROUPS', groups.includes('auth') ? ['auth'] : []);
  const rebuiltGroups = r.list('TRANSFER_REBUILT_GROUPS', []);
  for (const [key, list] of [
    ['TRANSFER_IMMEDIATE_GROUPS', immediateGroups],
    ['TRANSFER_REBUILT_GROUPS', rebuiltGroups],
  ] as const) {
    const unknown = list.filter((g) => !groups.includes(g));
    r.check(unknown.length === 0, `${key} names groups that SESSION_GROUPS does not declare: ${unknown.join(', ')}`);
  }
  return {
    enabled: r.oneOf('TRANSFER', ['on', 'off'] as const, 'on') === 'on',
    budgetBytes: r.int('TRANSFER_BUDGET_BYTES', 8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    immediateGroups,
    rebuiltGroups,
    largeGroupBytes: r.int('TRANSFER_LARGE_GROUP_BYTES', 16 * 1024, 1, 1024 * 1024 * 1024),
    rareChance: r.number('TRANSFER_RARE_CHANCE', 0.5, 0, 1),
    minChance: r.number('TRANSFER_MIN_CHANCE', 0.5, 0, 1),
    horizonMs: r.int('TRANSFER_HORIZON_MS', 30_000, 100, 86_400_000),
    timeoutMs: r.int('TRANSFER_TIMEOUT_MS', 500, 10, 60_000),
    maxInboxBytes: r.int('TRANSFER_MAX_INBOX_BYTES', 256 * 1024 * 1024, 0, 64 * 1024 * 1024 * 1024),
    profileMaxSessions: r.int('PROFILE_MAX_SESSIONS', 200_000, 1, 100_000_000),
    profileHalfLifeMs: r.int('PROFILE_HALF_LIFE_MS', 60_000, 100, 86_400_000),
    retainMs: r.int('TRANSFER_RETAIN_MS', 120_000, 0, 86_400_000),
    retainBytes: r.int('TRANSFER_RETAIN_BYTES', 128 * 1024 * 1024, 0, 64 * 1024 * 1024 * 1024),
    fetchTimeoutMs: r.int('TRANSFER_FETCH_TIMEOUT_MS', 100, 1, 60_000),
    leaveMs: r.int('TRANSFER_LEAVE_MS', 8_000, 0, 600_000),
  };
}
