/**
 * Every subject and stream name, defined once. A namespace prefix (default "fs") lets several
 * clusters, or several test suites, share one NATS server. Request subjects (`<ns>.rpc.…`) never
 * overlap stream subjects (`<ns>.evt.…`).
 */
export interface Subjects {
  readonly namespace: string;
  /** Session events: `<ns>.evt.session.<type>` (e.g. fs.evt.session.variable_set). */
  sessionEvent(type: string): string;
  readonly sessionEventsWildcard: string;
  /** Cluster events: owner changes, node joined/left. */
  clusterEvent(type: string): string;
  readonly clusterEventsWildcard: string;
  /** Commands to one shard node. */
  shardRpc(nodeId: string): string;
  /** Metadata requests; every metadata instance answers in one queue group. */
  metadataRpc(op: MetadataOp): string;
  /**
   * A shard node's membership requests: `<ns>.rpc.metadata.node.<nodeId>.<op>`. The node id travels
   * in the subject, so NATS permissions bind it to the node's credentials (ADR 0005).
   */
  membershipRpc(nodeId: string, op: MembershipOp): string;
  /** What the metadata service subscribes to for one membership op (any node id). */
  membershipRpcWildcard(op: MembershipOp): string;
  /** The node id of a membership subject, or undefined when `subject` is not one for `op`. */
  nodeIdOfMembership(subject: string, op: MembershipOp): string | undefined;
  /** Fast, non-durable notice that assignment changed (the durable copy is on the cluster stream). */
  readonly assignmentChanged: string;
  /** Gateways' reports of the writes they granted from the shared rate-limit buckets (core NATS). */
  readonly writeLimitUsage: string;
  /** Gateways' reports of how each shard node answers them (latency, errors), for the metadata leader (core NATS). */
  readonly nodeHealth: string;
  /** Stream names. */
  readonly sessionStream: string;
  readonly clusterStream: string;
  /**
   * Where a durable consumer copies a message it terminated as poison: `<ns>.dlq.<durable>`, core
   * NATS, outside every stream (`<ns>.evt.…`), so a dead letter can never be consumed as an event.
   */
  deadLetter(durable: string): string;
  readonly deadLetterWildcard: string;
  /**
   * Committed events a shard node pushes to the secondary of its shards (core NATS, never stored):
   * `<ns>.replica.<nodeId>`, the node id of the secondary. Only that node may subscribe to it.
   */
  replica(nodeId: string): string;
  readonly replicaWildcard: string;
  /**
   * Control subject of a shard move (core NATS request/reply, outside every stream):
   * `<ns>.ctl.transfer.<to>.<from>`, the new owner's and the old owner's node ids, so permissions
   * bind the sender: a node publishes only with its own id last and receives only with its own id first.
   */
  transfer(toNodeId: string, fromNodeId: string): string;
  /** What a node subscribes to: every proposal sent to it. */
  transferInbox(nodeId: string): string;
  /** What a node may publish to: proposals from it, to any node. */
  transferOutbox(nodeId: string): string;
  /** The sender's node id of a transfer subject addressed to `toNodeId` (undefined: not one). */
  transferSender(subject: string, toNodeId: string): string | undefined;
}

export type MetadataOp = 'assignment' | 'owner';
export type MembershipOp = 'register' | 'heartbeat' | 'leave';
export const MEMBERSHIP_OPS: readonly MembershipOp[] = ['register', 'heartbeat', 'leave'];

const TOKEN = /^[A-Za-z0-9_-]+$/;

export function subjects(namespace = 'fs'): Subjects {
  if (!TOKEN.test(namespace)) throw new Error(`invalid subject namespace "${namespace}"`);
  const upper = namespace.toUpperCase().replace(/-/g, '_');
  return {
    namespace,
    sessionEvent: (type) => `${namespace}.evt.${type}`,
    sessionEventsWildcard: `${namespace}.evt.session.>`,
    clusterEvent: (type) => `${namespace}.evt.${type}`,
    clusterEventsWildcard: `${namespace}.evt.cluster.>`,
    shardRpc: (nodeId) => `${namespace}.rpc.shard.${nodeId}`,
    metadataRpc: (op) => `${namespace}.rpc.metadata.${op}`,
    membershipRpc: (nodeId, op) => {
      if (!TOKEN.test(nodeId)) throw new Error(`invalid node id "${nodeId}"`);
      return `${namespace}.rpc.metadata.node.${nodeId}.${op}`;
    },
    membershipRpcWildcard: (op) => `${namespace}.rpc.metadata.node.*.${op}`,
    nodeIdOfMembership: (subject, op) => {
      const prefix = `${namespace}.rpc.metadata.node.`;
      const suffix = `.${op}`;
      if (!subject.startsWith(prefix) || !subject.endsWith(suffix)) return undefined;
      const nodeId = subject.slice(prefix.length, subject.length - suffix.length);
      return TOKEN.test(nodeId) ? nodeId : undefined;
    },
    assignmentChanged: `${namespace}.notice.assignment`,
    writeLimitUsage: `${namespace}.notice.gateway.write-limits`,
    nodeHealth: `${namespace}.notice.gateway.node-health`,
    sessionStream: `${upper}_SESSIONS`,
    clusterStream: `${upper}_CLUSTER`,
    deadLetter: (durable) => {
      if (!TOKEN.test(durable)) throw new Error(`invalid consumer name "${durable}"`);
      return `${namespace}.dlq.${durable}`;
    },
    deadLetterWildcard: `${namespace}.dlq.>`,
    replica: (nodeId) => {
      if (!TOKEN.test(nodeId)) throw new Error(`invalid node id "${nodeId}"`);
      return `${namespace}.replica.${nodeId}`;
    },
    replicaWildcard: `${namespace}.replica.*`,
    transfer: (to, from) => {
      for (const id of [to, from]) if (!TOKEN.test(id)) throw new Error(`invalid node id "${id}"`);
      return `${namespace}.ctl.transfer.${to}.${from}`;
    },
    transferInbox: (nodeId) => {
      if (!TOKEN.test(nodeId)) throw new Error(`invalid node id "${nodeId}"`);
      return `${namespace}.ctl.transfer.${nodeId}.*`;
    },
    transferOutbox: (nodeId) => {
      if (!TOKEN.test(nodeId)) throw new Error(`invalid node id "${nodeId}"`);
      return `${namespace}.ctl.transfer.*.${nodeId}`;
    },
    transferSender: (subject, to) => {
      const prefix = `${namespace}.ctl.transfer.${to}.`;
      if (!subject.startsWith(prefix)) return undefined;
      const from = subject.slice(prefix.length);
      return TOKEN.test(from) ? from : undefined;
    },
  };
}

/** NATS header names used across services. */
export const Headers = {
  op: 'Fs-Op',
  correlationId: 'Fs-Correlation-Id',
  causationId: 'Fs-Causation-Id',
  /** Same on every retry of one logical write: the shard node applies it once (idempotency). */
  requestId: 'Fs-Request-Id',
  eventType: 'Fs-Event-Type',
  eventVersion: 'Fs-Event-Version',
  sessionId: 'Fs-Session-Id',
  /** On a dead letter: where the message was, and why it was terminated. */
  deadLetterSubject: 'Fs-Dlq-Subject',
  deadLetterStream: 'Fs-Dlq-Stream',
  deadLetterSequence: 'Fs-Dlq-Sequence',
  deadLetterConsumer: 'Fs-Dlq-Consumer',
  deadLetterReason: 'Fs-Dlq-Reason',
  deadLetterDetail: 'Fs-Dlq-Detail',
  /** Set when the body was cut to fit the server's max payload: the original size in bytes. */
  deadLetterTruncated: 'Fs-Dlq-Truncated',
} as const;

/**
 * Request ids of writes (header `Fs-Request-Id`, then the events' causation id): `req:<uuid>`, one per
 * gateway call, or `idem:<Idempotency-Key>` from the client. Only these are deduplicated.
 */
export const RequestIds = {
  perCall: (uuid: string) => `req:${uuid}`,
  fromClient: (key: string) => `idem:${key}`,
  is: (id: string | undefined): id is string => id !== undefined && (id.startsWith('req:') || id.startsWith('idem:')),
} as const;
