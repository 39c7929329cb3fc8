import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DataGetCommand, DataGetReply, DataPrefetchCommand, DataPrefetchReply, DataStatsCommand, NodeCacheStats, SessionCacheStats } from './schemas/cache';
import { EmptyRequest } from './schemas/fields';
import {
  LockAcquireCommand,
  LockGrantView,
  LockReleaseCommand,
  LockReleaseReply,
  LocksRenewCommand,
  LocksRenewReply,
  LockStatusCommand,
  LockStatusView,
} from './schemas/locks';
import {
  RecordActionCommand,
  SessionCreateCommand,
  SessionGetCommand,
  SessionEndCommand,
  SessionView,
  TouchSessionsCommand,
  VarDeleteCommand,
  VarGetCommand,
  VariableReply,
  VarPatchCommand,
  VarPutCommand,
  VersionReply,
} from './schemas/sessions';

/**
 * Commands a gateway sends to the shard node that owns a session, by request/reply on
 * `<ns>.rpc.shard.<nodeId>` with the operation in the `Fs-Op` header: the schema of each request
 * (checked by the node) and reply. The types below are derived from them.
 */
export const ShardCommandSchemas = {
  'session.create': { request: SessionCreateCommand, reply: SessionView },
  'session.get': { request: SessionGetCommand, reply: SessionView },
  'session.end': { request: SessionEndCommand, reply: VersionReply },
  'var.get': { request: VarGetCommand, reply: VariableReply },
  'var.put': { request: VarPutCommand, reply: VersionReply },
  'var.patch': { request: VarPatchCommand, reply: VariableReply },
  'var.delete': { request: VarDeleteCommand, reply: VersionReply },
  /** Records a user action in the session's stream (behavioural profiles are built from these events). */
  'session.record_action': { request: RecordActionCommand, reply: VersionReply },
  /** Activity seen at an edge (reads served from its L1 cache), batched: extends idle timeouts. */
  'sessions.touch': { request: TouchSessionsCommand, reply: Type.Object({ touched: Type.Integer({ minimum: 0 }) }) },
  /** Takes a shared or exclusive lock on the session, with a lease (the owner node is the authority). */
  'lock.acquire': { request: LockAcquireCommand, reply: LockGrantView },
  /** Gives a lock back. */
  'lock.release': { request: LockReleaseCommand, reply: LockReleaseReply },
  /** The session's lock state and holders (no tokens). */
  'lock.status': { request: LockStatusCommand, reply: LockStatusView },
  /** Extends the leases of many locks on this node in one round trip (gateways batch their clients' renewals per owner). */
  'locks.renew': { request: LocksRenewCommand, reply: LocksRenewReply },
  /** getWithPrediction: the value of a data key for the session, then the session's prefetch plan is refreshed. */
  'data.get': { request: DataGetCommand, reply: DataGetReply },
  /** prefetch: queues the keys `action` needs for the session, as if the action were certain. */
  'data.prefetch': { request: DataPrefetchCommand, reply: DataPrefetchReply },
  /** Predictive-cache counters of one session on its owner node. */
  'data.stats': { request: DataStatsCommand, reply: SessionCacheStats },
  /** Predictive-cache counters of the whole node (not routed by session: sent to each node). */
  'cache.stats': { request: EmptyRequest, reply: NodeCacheStats },
  /**
   * The metadata leader's liveness probe, sent to the subject the node serves on: an answer proves
   * the node is subscribed there; NATS answering "no responders" proves it is not.
   */
  'node.ping': { request: EmptyRequest, reply: Type.Object({ nodeId: Type.String(), incarnation: Type.String() }) },
} as const satisfies Record<string, { request: TSchema; reply: TSchema }>;

/** Request and reply types of a command table such as {@link ShardCommandSchemas}. */
export type CommandTypes<S extends Record<string, { request: TSchema; reply: TSchema }>> = {
  readonly [K in keyof S]: { readonly request: Static<S[K]['request']>; readonly reply: Static<S[K]['reply']> };
};

export type ShardCommands = CommandTypes<typeof ShardCommandSchemas>;
export type ShardOp = keyof ShardCommands;
export const SHARD_OPS = Object.keys(ShardCommandSchemas) as readonly ShardOp[];
