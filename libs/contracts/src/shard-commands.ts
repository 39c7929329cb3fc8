import type { GroupsState, JsonValue } from './session-events';

/**
 * Commands a gateway sends to the shard node that owns a session, by request/reply on
 * `<ns>.rpc.shard.<nodeId>` with the operation in the `Fs-Op` header (S5).
 */
export interface ShardCommands {
  'session.create': {
    readonly request: {
      readonly sessionId: string;
      readonly userId: string | null;
      readonly groups: GroupsState;
      readonly idleTimeoutMs?: number;
      readonly absoluteTimeoutMs?: number;
    };
    readonly reply: SessionView;
  };
  'session.get': {
    readonly request: { readonly sessionId: string; readonly groups?: readonly string[] };
    readonly reply: SessionView;
  };
  'session.end': { readonly request: { readonly sessionId: string }; readonly reply: { readonly version: number } };
  'var.get': {
    readonly request: { readonly sessionId: string; readonly group: string; readonly name: string };
    readonly reply: { readonly value: JsonValue; readonly version: number };
  };
  'var.put': {
    readonly request: VariableRef & { readonly value: JsonValue; readonly expectedVersion?: number };
    readonly reply: { readonly version: number };
  };
  'var.patch': {
    readonly request: VariableRef & { readonly patch: JsonValue; readonly expectedVersion?: number };
    readonly reply: { readonly value: JsonValue; readonly version: number };
  };
  'var.delete': {
    readonly request: VariableRef & { readonly expectedVersion?: number };
    readonly reply: { readonly version: number };
  };
  /** Records a user action in the session's stream (P1: behavioural profiles are built from these events). */
  'session.record_action': {
    readonly request: { readonly sessionId: string; readonly action: string };
    readonly reply: { readonly version: number };
  };
  /**
   * getWithPrediction (P9): the value of a data key for the session, from the node's predictive
   * cache or its origin; then the session's prefetch plan is refreshed.
   */
  'data.get': {
    readonly request: { readonly sessionId: string; readonly key: string };
    readonly reply: DataGetReply;
  };
  /** prefetch (P9): queues the keys `action` needs for the session, as if the action were certain. */
  'data.prefetch': {
    readonly request: { readonly sessionId: string; readonly action: string; readonly context?: Readonly<Record<string, string | number>> };
    readonly reply: DataPrefetchReply;
  };
  /** Predictive-cache counters of one session on its owner node. */
  'data.stats': {
    readonly request: { readonly sessionId: string };
    readonly reply: SessionCacheStats;
  };
  /** Predictive-cache counters of the whole node (not routed by session: sent to each node). */
  'cache.stats': {
    readonly request: Record<string, never>;
    readonly reply: NodeCacheStats;
  };
  /** Activity seen at an edge (reads served from its L1 cache), batched: extends idle timeouts. */
  'sessions.touch': {
    readonly request: { readonly sessionIds: readonly string[] };
    readonly reply: { readonly touched: number };
  };
}

export type ShardOp = keyof ShardCommands;
export const SHARD_OPS: readonly ShardOp[] = [
  'session.create',
  'session.get',
  'session.end',
  'var.get',
  'var.put',
  'var.patch',
  'var.delete',
  'session.record_action',
  'sessions.touch',
  'data.get',
  'data.prefetch',
  'data.stats',
  'cache.stats',
];

/** Answer to `data.get`. */
export interface DataGetReply {
  readonly key: string;
  readonly value: JsonValue;
  /**
   * `cache`: in the cache, read before (no wait); `prefetched`: in the cache thanks to a prefetch,
   * first read (no wait); `inflight`: joined a load already running (usually a prefetch that had not
   * landed); `origin`: loaded on demand.
   */
  readonly source: 'cache' | 'prefetched' | 'inflight' | 'origin';
  /** Time this read waited for the origin, ms. */
  readonly waitedMs: number;
  /** Time the node spent on the request, ms. */
  readonly servedMs: number;
  readonly sizeBytes: number;
}

/** Answer to `data.prefetch`. */
export interface DataPrefetchReply {
  readonly action: string;
  /** Keys the action needs, with their weight (declared 1, learned: the confidence). */
  readonly planned: readonly { readonly key: string; readonly p: number }[];
  /** Keys sent to the prefetch queue (not cached, not already loading). */
  readonly queued: readonly string[];
  /** Templates that could not be filled, with the reason. */
  readonly skipped: readonly { readonly template: string; readonly reason: string }[];
}

/** Per-session counters (P9). */
export interface SessionCacheStats {
  readonly sessionId: string;
  readonly nodeId: string;
  /** False when the node has not seen the session's actions or reads since it started. */
  readonly live: boolean;
  readonly requests: number;
  readonly hits: number;
  readonly joined: number;
  readonly misses: number;
  readonly prefetchUsed: number;
  readonly prefetchRequested: number;
  /** Recent actions the node predicts from (restored from the session's state after a takeover). */
  readonly historyLength: number;
}

/** Per-node counters. */
export interface NodeCacheStats {
  readonly nodeId: string;
  readonly policy: 'lru' | 'lfu' | 'foresight';
  readonly prefetch: boolean;
  readonly budgetBytes: number;
  readonly usedBytes: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  readonly expirations: number;
  readonly prefetchIssued: number;
  readonly prefetchCompleted: number;
  readonly prefetchUsed: number;
  readonly prefetchWasted: number;
  readonly prefetchFailed: number;
  /** Loads started against origins: demand (including the warm-up of a recorded action's keys) and prefetch; retries not counted. */
  readonly originLoads: number;
  readonly invalidations: number;
  readonly invalidMessages: number;
  readonly liveSessions: number;
  readonly declaredRequirements: number;
  readonly learnedShapes: number;
  /** Version of the local model copy, or null while the node has none. */
  readonly modelVersion: string | null;
  readonly origins: readonly {
    readonly id: string;
    readonly pattern: string;
    readonly kind: 'http' | 'nats';
    readonly latencyEwmaMs: number;
    readonly breaker: 'closed' | 'open' | 'half-open';
    readonly errors: Readonly<Record<string, number>>;
  }[];
}

export interface VariableRef {
  readonly sessionId: string;
  readonly group: string;
  readonly name: string;
}

/** What a reader sees of a session. */
export interface SessionView {
  readonly id: string;
  readonly userId: string | null;
  readonly version: number;
  readonly status: 'active' | 'ended';
  readonly createdAt: string;
  readonly lastActivityAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
  readonly groups: GroupsState;
  readonly owner: { readonly nodeId: string; readonly shard: number; readonly epoch: number };
}
