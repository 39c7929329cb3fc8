import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ClusterEvent } from '../cluster-events';
import type { PredictionEvent } from '../prediction-events';
import type { SessionEvent } from '../session-events';
import type { TokenEvent } from '../token-events';
import { ActionName, FamilyId, Generation, GroupName, Instant, UserId, VariableName } from './fields';
import { JsonValueSchema } from './json-value';
import { Groups } from './sessions';

/**
 * The schemas of the events on the streams, beside the TypeScript types the services publish
 * (`SessionEvent`, `TokenEvent`…). They describe the wire for subscribers (the AsyncAPI document);
 * the compile-time checks at the end keep them equal to the types.
 */

const RequestDigest = Type.Optional(
  Type.Integer({ description: 'Digest of the request that decided the event, when it carried a request id (absent in older events)' }),
);
const NullableUser = Type.Union([UserId, Type.Null()]);
const Sealed = Type.Optional(
  Type.Literal(true, {
    description:
      'The values of sensitive groups in this event are sealed: each is {"$sealed": "<base64>"}, AES-256-GCM under the cluster\'s data keys (absent when no value is)',
  }),
);

/** The fields every event carries around its `data` (see `Envelope`). */
export function EventEnvelopeSchema<TType extends string, TVersion extends number, TData extends TSchema>(type: TType, version: TVersion, data: TData) {
  return Type.Object(
    {
      id: Type.String({ minLength: 1, description: 'Unique event id (UUID v4), also the JetStream Nats-Msg-Id: the key to process an event once' }),
      type: Type.Literal(type),
      version: Type.Literal(version),
      sessionId: Type.String({ description: 'The session the event belongs to ("" for cluster-level events)' }),
      occurredAt: Instant,
      correlationId: Type.String({ description: 'The request that caused this, end to end' }),
      causationId: Type.String({ description: 'The message that directly caused this one' }),
      data,
    },
    { title: `${type} v${version}` },
  );
}

export const SessionCreatedV1Data = Type.Object({
  userId: NullableUser,
  shard: Type.Integer({ minimum: 0 }),
  idleTimeoutMs: Type.Integer({ minimum: 0 }),
  absoluteExpiresAt: Instant,
  groups: Groups,
  requestDigest: RequestDigest,
  sealed: Sealed,
});
export const SessionVariableSetV1Data = Type.Object({
  group: GroupName,
  name: VariableName,
  value: JsonValueSchema(),
  via: Type.Union([Type.Literal('put'), Type.Literal('patch')], { description: 'How the value was produced; a patch carries the merged result' }),
  requestDigest: RequestDigest,
  sealed: Sealed,
});
export const SessionVariableDeletedV1Data = Type.Object({ group: GroupName, name: VariableName, requestDigest: RequestDigest });
export const SessionEndedV1Data = Type.Object({
  reason: Type.Union([Type.Literal('client'), Type.Literal('idle'), Type.Literal('absolute')]),
  requestDigest: RequestDigest,
});
export const SessionActionRecordedV1Data = Type.Object({ action: ActionName, userId: NullableUser, requestDigest: RequestDigest });

const NodeId = Type.String({ minLength: 1 });
export const ShardOwnersChangedV1Data = Type.Object({
  moves: Type.Array(
    Type.Object({
      shard: Type.Integer({ minimum: 0 }),
      from: Type.Union([NodeId, Type.Null()]),
      to: Type.Union([NodeId, Type.Null()]),
      epoch: Type.Integer({ minimum: 0, description: 'The fencing epoch the new owner carries on every append' }),
    }),
  ),
});
export const NodeJoinedV1Data = Type.Object({ nodeId: NodeId, incarnation: Type.String() });
export const NodeLeftV1Data = Type.Object({
  nodeId: NodeId,
  reason: Type.Union([Type.Literal('graceful'), Type.Literal('lease_expired')]),
  detectedBy: Type.Optional(
    Type.Union([Type.Literal('no_responders'), Type.Literal('silent')], {
      description:
        'Set when the failure detector ended the lease before it ran out: the node stopped heartbeating and NATS had no subscriber on its probe subject (no_responders), or it answered no probe for the suspicion window (silent)',
    }),
  ),
});

const TokenPair = {
  familyId: FamilyId,
  userId: Type.String(),
  generation: Generation,
  jti: Type.String({ description: 'Access-token id: <familyId>.<generation>' }),
  accessExpiresAt: Instant,
  refreshExpiresAt: Instant,
};
export const TokenIssuedV1Data = Type.Object(TokenPair);
export const TokenRefreshedV1Data = Type.Object({ ...TokenPair, origin: Type.Union([Type.Literal('client'), Type.Literal('scheduled')]) });
export const TokenRevokedV1Data = Type.Object({
  familyId: FamilyId,
  reason: Type.Union([Type.Literal('reuse-detected'), Type.Literal('logout'), Type.Literal('session-ended'), Type.Literal('admin')]),
  revokedAt: Instant,
});

export const PredictionModelUpdatedV1Data = Type.Object({
  modelVersion: Type.String(),
  kind: Type.Union([Type.Literal('markov'), Type.Literal('ensemble')]),
  createdAt: Instant,
  totalBytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String(),
  metrics: Type.Record(Type.String(), Type.Unknown()),
});

/** Every event of every stream, by type, with the version published today and its `data` schema. */
export const EVENT_DATA_SCHEMAS = {
  'session.created': { version: 1, data: SessionCreatedV1Data, summary: 'A session was created with its initial groups' },
  'session.variable_set': { version: 1, data: SessionVariableSetV1Data, summary: 'A variable was put or patched (the value is the result)' },
  'session.variable_deleted': { version: 1, data: SessionVariableDeletedV1Data, summary: 'A variable was deleted' },
  'session.ended': { version: 1, data: SessionEndedV1Data, summary: 'A session ended: by the client, idle or at its absolute expiry' },
  'session.action_recorded': { version: 1, data: SessionActionRecordedV1Data, summary: 'The user did something (what the prediction models learn from)' },
  'cluster.shard_owners_changed': { version: 1, data: ShardOwnersChangedV1Data, summary: 'A rebalancing round moved shards between nodes' },
  'cluster.node_joined': { version: 1, data: NodeJoinedV1Data, summary: 'A shard node registered' },
  'cluster.node_left': { version: 1, data: NodeLeftV1Data, summary: 'A shard node left or its lease expired' },
  'token.issued': { version: 1, data: TokenIssuedV1Data, summary: 'A token family was issued (metadata only, never a token)' },
  'token.refreshed': { version: 1, data: TokenRefreshedV1Data, summary: 'A token family rotated to a new generation' },
  'token.revoked': { version: 1, data: TokenRevokedV1Data, summary: 'A token family was revoked; its access tokens are refused at once' },
  'prediction.model_updated': { version: 1, data: PredictionModelUpdatedV1Data, summary: 'A new prediction model became active' },
} as const;

export type CatalogEventType = keyof typeof EVENT_DATA_SCHEMAS;

// ---- compile-time: the schemas and the published types describe the same data ----
type AnyEvent = SessionEvent | ClusterEvent | TokenEvent | PredictionEvent;
type DataOf<T extends AnyEvent['type']> = Extract<AnyEvent, { type: T }>['data'];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = T extends readonly (infer E)[] ? Mutable<E>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
type Check<T extends CatalogEventType> = Same<Mutable<DataOf<T>>, Mutable<Static<(typeof EVENT_DATA_SCHEMAS)[T]['data']>>>;
/** Fails to compile when a type has no schema, a schema no type, or a field differs. */
export type EventSchemasMatchTypes = [
  Same<AnyEvent['type'], CatalogEventType>,
  Check<'session.created'>,
  Check<'session.variable_set'>,
  Check<'session.variable_deleted'>,
  Check<'session.ended'>,
  Check<'session.action_recorded'>,
  Check<'cluster.shard_owners_changed'>,
  Check<'cluster.node_joined'>,
  Check<'cluster.node_left'>,
  Check<'token.issued'>,
  Check<'token.refreshed'>,
  Check<'token.revoked'>,
  Check<'prediction.model_updated'>,
];
const schemasMatchTypes: EventSchemasMatchTypes = [true, true, true, true, true, true, true, true, true, true, true, true, true];
void schemasMatchTypes;
