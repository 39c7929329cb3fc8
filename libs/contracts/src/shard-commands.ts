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
];

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
