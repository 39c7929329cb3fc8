/**
 * The events on Foresight's streams, as published today. A copy of the types in Foresight's
 * contracts (this package is published on its own and depends on nothing of the monorepo); a test
 * in the repository fails when the copy and the contracts differ.
 */

/** Every message on the streams travels in this envelope; `type` + `version` name the schema of `data`. */
export interface Envelope<TType extends string = string, TVersion extends number = number, TData = unknown> {
  /** Unique event id (UUID v4), also the JetStream Nats-Msg-Id: process an event once by it. */
  readonly id: string;
  readonly type: TType;
  readonly version: TVersion;
  /** The session the event belongs to ("" for cluster-level events). */
  readonly sessionId: string;
  /** ISO-8601 instant at which the change was decided. */
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly data: TData;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type GroupsState = Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;

/** Digest of the request that decided the event, when it carried a request id (absent in older events). */
interface RequestStamp {
  readonly requestDigest?: number;
}

/**
 * Set when the values of the cluster's sensitive groups in this event are sealed: each such value is
 * `{ "$sealed": "<base64>" }` (AES-256-GCM under the cluster's data keys), not the value itself.
 */
interface SealStamp {
  readonly sealed?: true;
}

export type SessionCreatedV1 = Envelope<
  'session.created',
  1,
  {
    readonly userId: string | null;
    readonly shard: number;
    readonly idleTimeoutMs: number;
    readonly absoluteExpiresAt: string;
    readonly groups: GroupsState;
  } & RequestStamp &
    SealStamp
>;
export type SessionVariableSetV1 = Envelope<
  'session.variable_set',
  1,
  { readonly group: string; readonly name: string; readonly value: JsonValue; readonly via: 'put' | 'patch' } & RequestStamp & SealStamp
>;
export type SessionVariableDeletedV1 = Envelope<'session.variable_deleted', 1, { readonly group: string; readonly name: string } & RequestStamp>;
export type SessionEndedV1 = Envelope<'session.ended', 1, { readonly reason: 'client' | 'idle' | 'absolute' } & RequestStamp>;
export type SessionActionRecordedV1 = Envelope<'session.action_recorded', 1, { readonly action: string; readonly userId: string | null } & RequestStamp>;
export type SessionEvent = SessionCreatedV1 | SessionVariableSetV1 | SessionVariableDeletedV1 | SessionEndedV1 | SessionActionRecordedV1;

export interface ShardMove {
  readonly shard: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly epoch: number;
}
export type ShardOwnersChangedV1 = Envelope<'cluster.shard_owners_changed', 1, { readonly moves: readonly ShardMove[] }>;
export type NodeJoinedV1 = Envelope<'cluster.node_joined', 1, { readonly nodeId: string; readonly incarnation: string }>;
/** `detectedBy`: the failure detector ended the lease early (absent when the lease ran out or the node left). */
export type NodeLeftV1 = Envelope<
  'cluster.node_left',
  1,
  { readonly nodeId: string; readonly reason: 'graceful' | 'lease_expired'; readonly detectedBy?: NodeFailureSignal }
>;
/** How the failure detector knew: nobody subscribed to the node's probe subject, or no answer for the suspicion window. */
export type NodeFailureSignal = 'no_responders' | 'silent';
export type ClusterEvent = ShardOwnersChangedV1 | NodeJoinedV1 | NodeLeftV1;

interface TokenPair {
  readonly familyId: string;
  readonly userId: string;
  readonly generation: number;
  readonly jti: string;
  readonly accessExpiresAt: string;
  readonly refreshExpiresAt: string;
}
export type TokenIssuedV1 = Envelope<'token.issued', 1, TokenPair>;
export type TokenRefreshedV1 = Envelope<'token.refreshed', 1, TokenPair & { readonly origin: 'client' | 'scheduled' }>;
export type TokenRevokedV1 = Envelope<
  'token.revoked',
  1,
  { readonly familyId: string; readonly reason: 'reuse-detected' | 'logout' | 'session-ended' | 'admin'; readonly revokedAt: string }
>;
export type TokenEvent = TokenIssuedV1 | TokenRefreshedV1 | TokenRevokedV1;

export type PredictionModelUpdatedV1 = Envelope<
  'prediction.model_updated',
  1,
  {
    readonly modelVersion: string;
    readonly kind: 'markov' | 'ensemble';
    readonly createdAt: string;
    readonly totalBytes: number;
    readonly sha256: string;
    readonly metrics: Readonly<Record<string, unknown>>;
  }
>;
export type PredictionEvent = PredictionModelUpdatedV1;

/** Every event this version of the package knows, as a discriminated union on `type`. */
export type ForesightEvent = SessionEvent | ClusterEvent | TokenEvent | PredictionEvent;
export type EventType = ForesightEvent['type'];
/** The event of one type. */
export type EventOf<T extends EventType> = Extract<ForesightEvent, { type: T }>;

/** An event whose type or version this package does not know: an envelope with `data` left to the reader. */
export type UnknownEvent = Envelope<string, number, unknown>;

/** The streams, by the first part of their event types. */
export type StreamKind = 'sessions' | 'cluster' | 'tokens' | 'prediction';

/** Each known type, the versions this package decodes, and its stream. */
export const EVENT_CATALOG: Readonly<Record<EventType, { readonly versions: readonly number[]; readonly stream: StreamKind }>> = {
  'session.created': { versions: [1], stream: 'sessions' },
  'session.variable_set': { versions: [1], stream: 'sessions' },
  'session.variable_deleted': { versions: [1], stream: 'sessions' },
  'session.ended': { versions: [1], stream: 'sessions' },
  'session.action_recorded': { versions: [1], stream: 'sessions' },
  'cluster.shard_owners_changed': { versions: [1], stream: 'cluster' },
  'cluster.node_joined': { versions: [1], stream: 'cluster' },
  'cluster.node_left': { versions: [1], stream: 'cluster' },
  'token.issued': { versions: [1], stream: 'tokens' },
  'token.refreshed': { versions: [1], stream: 'tokens' },
  'token.revoked': { versions: [1], stream: 'tokens' },
  'prediction.model_updated': { versions: [1], stream: 'prediction' },
};

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

const STREAM_SUFFIX: Record<StreamKind, string> = { sessions: 'SESSIONS', cluster: 'CLUSTER', tokens: 'TOKENS', prediction: 'PREDICTION' };
const STREAM_PREFIX: Record<StreamKind, string> = { sessions: 'session', cluster: 'cluster', tokens: 'token', prediction: 'prediction' };
const TOKEN = /^[A-Za-z0-9_-]+$/;

function checkNamespace(namespace: string): string {
  if (!TOKEN.test(namespace)) throw new Error(`invalid namespace "${namespace}": letters, digits, "_" and "-" only`);
  return namespace;
}

/** The JetStream stream of `kind` in `namespace` (`fs` → `FS_SESSIONS`). */
export function streamName(namespace: string, kind: StreamKind): string {
  return `${checkNamespace(namespace).toUpperCase().replace(/-/g, '_')}_${STREAM_SUFFIX[kind]}`;
}

/** The subject of an event type (`fs.evt.session.ended`). */
export function eventSubject(namespace: string, type: string): string {
  return `${checkNamespace(namespace)}.evt.${type}`;
}

/** Every subject of a stream (`fs.evt.session.>`). */
export function streamSubjects(namespace: string, kind: StreamKind): string {
  return `${checkNamespace(namespace)}.evt.${STREAM_PREFIX[kind]}.>`;
}
