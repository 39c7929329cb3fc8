import { Type, type Static } from '@sinclair/typebox';
import { ERROR_MESSAGE } from './fields';

/** Node ids: they become part of NATS subjects and user names. */
export const NodeId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', [ERROR_MESSAGE]: '1–64 letters, digits, _ and -' });

const Incarnation = Type.String({ minLength: 1, maxLength: 64 });

// ---- Metadata service commands (NATS) ----

export const RegisterCommand = Type.Object({ incarnation: Incarnation });
export const HeartbeatCommand = Type.Object({
  incarnation: Incarnation,
  /** The assignment version the node serves by; it releases moved shards (handoff). */
  appliedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
});
export const LeaveCommand = Type.Object({
  incarnation: Incarnation,
  /**
   * True: the node leaves the assignment but stays live until it has handed its shards over (its
   * sessions pushed to the new owners, which wait for its release); it leaves for good with a
   * second request without it.
   */
  handoff: Type.Optional(Type.Boolean()),
});
export const OwnerCommand = Type.Object({ sessionId: Type.String({ minLength: 1, maxLength: 128 }) });

// ---- Replies ----

export const OwnerView = Type.Object({
  sessionId: Type.String(),
  shard: Type.Integer({ minimum: 0 }),
  nodeId: Type.Union([Type.String(), Type.Null()], { description: 'The owner node, or null while the shard has none' }),
  epoch: Type.Integer({ minimum: 0, description: 'Fencing epoch of the shard' }),
});

export const HeartbeatReply = Type.Object({
  /** Milliseconds the lease stays valid from the moment the node sent the heartbeat. */
  leaseMs: Type.Integer(),
  /** Bumped on every committed rebalancing round; a node refetches the assignment when it changes. */
  assignmentVersion: Type.Integer(),
  /** "unknown": the metadata service no longer knows this incarnation (its lease expired); drop all state and register again. */
  status: Type.Union([Type.Literal('active'), Type.Literal('unknown')]),
  /**
   * When the metadata service runs its failure detector: it may declare dead a node that has neither
   * heartbeated nor answered a probe for this long, so the node serves for at most this long after
   * sending a heartbeat that was acknowledged (less a margin). Absent: the lease alone decides.
   */
  suspectAfterMs: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const ShardOwnership = Type.Object({
  shard: Type.Integer(),
  nodeId: Type.Union([Type.String(), Type.Null()]),
  epoch: Type.Integer(),
  /**
   * False while the shard's previous owner, still live, has not yet applied the move (handoff): the
   * new owner holds requests for it until then. Absent = true.
   */
  ready: Type.Optional(Type.Boolean()),
});

export const AssignmentView = Type.Object({
  shardCount: Type.Integer(),
  version: Type.Integer(),
  shards: Type.Array(ShardOwnership),
  nodes: Type.Array(Type.Object({ nodeId: Type.String(), status: Type.String(), rpcSubject: Type.String() })),
});

export const LeaveReply = Type.Object({ ok: Type.Literal(true) });

/** Most nodes one health report names. */
export const MAX_HEALTH_NODES = 1024;

/**
 * How the shard nodes answered one gateway over its last window: published on the gateways'
 * node-health notice subject; the metadata leader moves the shards of a node whose latency or
 * error rate stays over the thresholds.
 */
export const NodeHealthReport = Type.Object(
  {
    gateway: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'The reporting gateway instance' }),
    windowMs: Type.Integer({ minimum: 1, maximum: 600_000, description: 'The window the figures cover, ending now' }),
    nodes: Type.Array(
      Type.Object(
        {
          nodeId: NodeId,
          count: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'Attempts sent to the node in the window' }),
          errors: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Of them: timeouts and unavailable answers' }),
          p99Ms: Type.Number({ minimum: 0, maximum: 3_600_000, description: "99th percentile of the attempts' latency" }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_HEALTH_NODES },
    ),
  },
  { additionalProperties: false },
);
export type NodeHealthReport = Static<typeof NodeHealthReport>;

export type HeartbeatReply = Static<typeof HeartbeatReply>;
export type ShardOwnership = Static<typeof ShardOwnership>;
export type AssignmentView = Static<typeof AssignmentView>;
export type OwnerView = Static<typeof OwnerView>;
