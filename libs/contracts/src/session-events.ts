import type { Envelope } from './envelope';

/** JSON value stored in a session variable. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Variables of one state group: name → value. */
export type GroupState = Readonly<Record<string, JsonValue>>;
/** All groups of a session: group → variables. */
export type GroupsState = Readonly<Record<string, GroupState>>;

export type SessionEndReason = 'client' | 'idle' | 'absolute';

/**
 * Present in the data of an event decided for a write that carried a request id (its causation id):
 * a 32-bit digest of the request (command kind, group, name, value or patch, expected version…).
 * Replaying the events thus rebuilds what a retry with the same id is compared with; the same id
 * with a different request is refused (`REQUEST.IDEMPOTENCY_KEY_REUSED`). Absent in older events.
 */
export interface RequestStamp {
  readonly requestDigest?: number;
}

/**
 * Present on a published event whose values of sensitive groups are sealed: each such value is
 * `{ "$sealed": "<base64>" }`, the AES-256-GCM sealed value as stored in Postgres, which only holders
 * of the data keys can open. Absent on events without sensitive values, and in the event log itself.
 */
export interface SealStamp {
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
  {
    readonly group: string;
    readonly name: string;
    readonly value: JsonValue;
    /** How the new value was produced; a patch stores the merged result so replay needs no patch logic. */
    readonly via: 'put' | 'patch';
  } & RequestStamp &
    SealStamp
>;

export type SessionVariableDeletedV1 = Envelope<'session.variable_deleted', 1, { readonly group: string; readonly name: string } & RequestStamp>;

export type SessionEndedV1 = Envelope<'session.ended', 1, { readonly reason: SessionEndReason } & RequestStamp>;

export type SessionActionRecordedV1 = Envelope<'session.action_recorded', 1, { readonly action: string; readonly userId: string | null } & RequestStamp>;

/** Every event in a session's stream. Add a new version beside the old one, with an upcaster. */
export type SessionEvent = SessionCreatedV1 | SessionVariableSetV1 | SessionVariableDeletedV1 | SessionEndedV1 | SessionActionRecordedV1;

export type SessionEventType = SessionEvent['type'];

export const SESSION_EVENT_TYPES: readonly SessionEventType[] = [
  'session.created',
  'session.variable_set',
  'session.variable_deleted',
  'session.ended',
  'session.action_recorded',
];
