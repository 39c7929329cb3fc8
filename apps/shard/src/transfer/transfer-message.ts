import { isJsonValue } from '@foresight/contracts';
import { valueBytes, type SessionState } from '@foresight/session-domain';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The operation on a transfer control subject. */
export const TRANSFER_OP = 'transfer.propose';

const Int = (min = 0) => Type.Integer({ minimum: min, maximum: Number.MAX_SAFE_INTEGER });
const Id = Type.String({ minLength: 1, maxLength: 256 });
const Digests = Type.Array(Int(), { maxItems: 64 });

/** Everything of a session's state but its groups' values: always sent. */
const Core = Type.Object({
  id: Id,
  userId: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
  shard: Int(),
  version: Int(1),
  status: Type.Literal('active'),
  endedReason: Type.Null(),
  createdAt: Type.Number(),
  lastActivityAt: Type.Number(),
  idleTimeoutMs: Type.Number({ minimum: 0 }),
  absoluteExpiresAt: Type.Number(),
  sizes: Type.Record(Type.String({ maxLength: 1024 }), Int()),
  totalBytes: Int(),
  recentRequests: Type.Optional(Digests),
  recentRequestDigests: Type.Optional(Digests),
  recentActions: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 64 })),
});

const GroupPlanSchema = Type.Object({
  mode: Type.Union([Type.Literal('immediate'), Type.Literal('lazy'), Type.Literal('reconstructable')]),
  reason: Type.String({ maxLength: 32 }),
  bytes: Int(),
  p: Type.Number({ minimum: 0, maximum: 1 }),
});

const SessionEntry = Type.Object({
  core: Core,
  /** Each group's plan, with the profile summary it was made from (size, chance of access). */
  plan: Type.Record(Type.String({ maxLength: 256 }), GroupPlanSchema),
  /** The values of the immediate groups, by value from the old owner's memory. */
  values: Type.Record(Type.String({ maxLength: 256 }), Type.Record(Type.String({ maxLength: 1024 }), Type.Unknown())),
});

const ProposalSchema = Type.Object({
  /** Same on a retry: the answer is then the same. */
  planId: Type.String({ minLength: 1, maxLength: 64 }),
  /** The new owner's epoch of each shard, as the old owner read it in the assignment. */
  shards: Type.Array(Type.Object({ shard: Int(), epoch: Int(1) }), { minItems: 1, maxItems: 65_536 }),
  sessions: Type.Array(SessionEntry, { maxItems: 100_000 }),
});

export type TransferProposal = Static<typeof ProposalSchema>;
export type TransferredSession = Static<typeof SessionEntry>;

/** The new owner's answer, per session. */
export interface TransferReply {
  readonly accepted: readonly string[];
  readonly rejected: readonly { readonly sessionId: string; readonly reason: RefusalReason }[];
}

/** Why a proposal, or one session of it, was refused (metrics label and reply). */
export type RefusalReason = 'malformed' | 'not_moving' | 'stale_plan' | 'bad_session' | 'memory_pressure' | 'stale_fetch' | 'bad_fetch';

const compiled = TypeCompiler.Compile(ProposalSchema);

/** Whether a decoded body is a transfer proposal (types and bounds only; {@link checkSession} checks each session's consistency). */
export function isTransferProposal(value: unknown): value is TransferProposal {
  return compiled.Check(value);
}

/**
 * Whether a proposed session is consistent: pushed values only for immediate groups, JSON values
 * whose sizes are those the core records (so the new owner's budget checks stay right).
 */
export function checkSession(entry: TransferredSession): boolean {
  for (const [group, vars] of Object.entries(entry.values)) {
    if (entry.plan[group]?.mode !== 'immediate') return false;
    for (const [name, value] of Object.entries(vars)) {
      if (!isJsonValue(value) || entry.core.sizes[`${group}/${name}`] !== valueBytes(value)) return false;
    }
  }
  for (const key of Object.keys(entry.core.sizes)) {
    const group = key.slice(0, key.indexOf('/'));
    if (entry.plan[group]?.mode === 'immediate' && !Object.hasOwn(entry.values[group] ?? {}, key.slice(group.length + 1))) return false;
  }
  return true;
}

/** The state a new owner holds from a proposal: the core and the immediate groups (prototype-free maps). */
export function stateOf(entry: TransferredSession): SessionState {
  const groups = Object.create(null) as Record<string, Record<string, never>>;
  for (const [group, vars] of Object.entries(entry.values)) groups[group] = Object.assign(Object.create(null) as Record<string, never>, vars);
  return { ...(entry.core as unknown as SessionState), groups };
}

/** The core of a state (what every proposal carries for a session). */
export function coreOf(state: SessionState): TransferredSession['core'] {
  const { groups: _groups, ...core } = state;
  return core as TransferredSession['core'];
}

/** Bytes a core takes on the wire, roughly (for the planner). */
export function coreBytes(state: SessionState): number {
  let n = 200 + (state.userId?.length ?? 0);
  for (const key of Object.keys(state.sizes)) n += key.length + 6;
  n += 18 * (state.recentRequests?.length ?? 0);
  for (const a of state.recentActions ?? []) n += a.length + 2;
  return n;
}

/** The operation by which a new owner asks the old owner for a lazy group it still holds in memory. */
export const FETCH_OP = 'transfer.fetch';

const FetchSchema = Type.Object({
  sessionId: Id,
  /** The version the old owner pushed the session at (the new owner found it at the log's head then). */
  version: Int(1),
  /** The session's version at the new owner now: the log's head it knows (it is the only writer). */
  head: Int(1),
  groups: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 256 }),
});

export type FetchRequest = Static<typeof FetchSchema>;

/** The old owner's answer: the groups it held at `version` (the rest it does not have). */
export interface FetchReply {
  readonly version: number;
  readonly values: Record<string, Record<string, unknown>>;
}

const compiledFetch = TypeCompiler.Compile(FetchSchema);
const compiledFetchReply = TypeCompiler.Compile(
  Type.Object({
    version: Int(1),
    values: Type.Record(Type.String({ maxLength: 256 }), Type.Record(Type.String({ maxLength: 1024 }), Type.Unknown())),
  }),
);

export function isFetchRequest(value: unknown): value is FetchRequest {
  return compiledFetch.Check(value);
}

/**
 * The groups of a fetch answer the new owner may use: the answer is at the version asked for, and
 * each group asked for is exactly what the session's core at the new owner records (the same
 * variables, each of the recorded size). Anything else, the whole answer is refused (undefined).
 */
export function verifiedFetch(
  reply: unknown,
  asked: { readonly version: number; readonly groups: readonly string[] },
  sizes: Readonly<Record<string, number>>,
): Record<string, Record<string, unknown>> | undefined {
  if (!compiledFetchReply.Check(reply) || reply.version !== asked.version) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [group, vars] of Object.entries(reply.values)) {
    if (!asked.groups.includes(group)) return undefined;
    const recorded = Object.keys(sizes).filter((k) => k.startsWith(`${group}/`));
    if (recorded.length !== Object.keys(vars).length) return undefined;
    for (const [name, value] of Object.entries(vars)) {
      if (!isJsonValue(value) || sizes[`${group}/${name}`] !== valueBytes(value)) return undefined;
    }
    out[group] = Object.assign(Object.create(null) as Record<string, unknown>, vars);
  }
  return out;
}

/**
 * The operation by which an old owner tells a new owner that it has handed the shards over and
 * serves them no more (after its proposals were answered): the new owner serves them at once,
 * without waiting for the metadata service to record the release from the old owner's heartbeat.
 */
export const RELEASE_OP = 'transfer.release';

const ReleaseSchema = Type.Object({
  /** Each shard with the epoch the new owner gained it at: a release of an older move is ignored. */
  released: Type.Array(Type.Object({ shard: Int(), epoch: Int(1) }), { minItems: 1, maxItems: 65_536 }),
});

export type TransferRelease = Static<typeof ReleaseSchema>;

const compiledRelease = TypeCompiler.Compile(ReleaseSchema);

export function isTransferRelease(value: unknown): value is TransferRelease {
  return compiledRelease.Check(value);
}
