/**
 * Requests to the metadata service (any instance answers; S4). `register`, `heartbeat` and `leave`
 * are sent on the node's own membership subject (`Subjects.membershipRpc`): the node id is taken from
 * the subject, which only that node's NATS user may publish on, and its RPC subject is derived from
 * it (ADR 0005).
 */
export interface MetadataCommands {
  register: {
    readonly request: { readonly incarnation: string };
    readonly reply: HeartbeatReply;
  };
  heartbeat: {
    /** `appliedVersion`: the assignment version the node serves by; it releases moved shards (handoff). */
    readonly request: { readonly incarnation: string; readonly appliedVersion?: number };
    readonly reply: HeartbeatReply;
  };
  leave: { readonly request: { readonly incarnation: string }; readonly reply: { readonly ok: true } };
  assignment: { readonly request: Record<string, never>; readonly reply: AssignmentView };
  owner: { readonly request: { readonly sessionId: string }; readonly reply: OwnerView };
}

export interface HeartbeatReply {
  /** Milliseconds the lease stays valid from the moment the node sent the heartbeat. */
  readonly leaseMs: number;
  /** Bumped on every committed rebalancing round; a node refetches the assignment when it changes. */
  readonly assignmentVersion: number;
  /** "unknown": the metadata service no longer knows this incarnation (its lease expired); drop all state and register again. */
  readonly status: 'active' | 'unknown';
}

export interface ShardOwnership {
  readonly shard: number;
  readonly nodeId: string | null;
  readonly epoch: number;
  /**
   * False while the shard's previous owner, still live, has not yet applied the move (handoff): the
   * new owner holds requests for it until then. Absent = true.
   */
  readonly ready?: boolean;
}

export interface AssignmentView {
  readonly shardCount: number;
  readonly version: number;
  readonly shards: readonly ShardOwnership[];
  readonly nodes: readonly { readonly nodeId: string; readonly status: string; readonly rpcSubject: string }[];
}

export interface OwnerView {
  readonly sessionId: string;
  readonly shard: number;
  readonly nodeId: string | null;
  readonly epoch: number;
}
