import { Type, type Static } from '@sinclair/typebox';
import { Limits } from '../limits';
import { ActionName, ERROR_MESSAGE, ExpectedVersion, GroupName, Instant, SessionIdString, UserId, VariableName } from './fields';
import { JsonValueSchema } from './json-value';
import { LockToken } from './locks';

/** A session's variables by state group: `{ cart: { items: [...] }, settings: { theme: "dark" } }`. */
export const Groups = Type.Record(Type.String(), Type.Record(Type.String(), JsonValueSchema()), {
  description: 'Variables by state group; each value any JSON value',
  example: { cart: { items: [] }, settings: { theme: 'dark' } },
  [ERROR_MESSAGE]: 'a map from state group names to maps of variables',
});

const TimeoutMs = (description: string) => Type.Integer({ minimum: 1000, description });

// ---- REST bodies ----

/** `POST /v1/sessions`. */
export const CreateSessionBody = Type.Object({
  userId: Type.Optional(Type.Union([UserId, Type.Null()], { [ERROR_MESSAGE]: `a non-empty string of at most ${Limits.userIdLength} characters, or null` })),
  data: Type.Optional(Groups),
  idleTimeoutMs: Type.Optional(TimeoutMs('Idle timeout in ms (capped by the server default)')),
  absoluteTimeoutMs: Type.Optional(TimeoutMs('Absolute lifetime in ms (capped by the server default)')),
});

/** `POST /v1/sessions/:id/actions`. */
export const RecordActionBody = Type.Object({ action: ActionName });

// ---- Shard commands (NATS) ----

export const SessionCreateCommand = Type.Object({
  sessionId: SessionIdString,
  userId: Type.Union([UserId, Type.Null()], { [ERROR_MESSAGE]: `a non-empty string of at most ${Limits.userIdLength} characters, or null` }),
  groups: Groups,
  idleTimeoutMs: Type.Optional(TimeoutMs('Idle timeout in ms')),
  absoluteTimeoutMs: Type.Optional(TimeoutMs('Absolute lifetime in ms')),
});

export const SessionGetCommand = Type.Object({
  sessionId: SessionIdString,
  /** Only these groups (none: all). */
  groups: Type.Optional(Type.Array(GroupName, { maxItems: 64, [ERROR_MESSAGE]: 'a list of at most 64 group names' })),
});

export const SessionRefCommand = Type.Object({ sessionId: SessionIdString });

/** A write's lock token (from the `lock-token` header): required on a session under an exclusive lock. */
const WithLockToken = Type.Object({ lockToken: Type.Optional(LockToken) });

export const SessionEndCommand = Type.Composite([SessionRefCommand, WithLockToken]);

export const RecordActionCommand = Type.Object({ sessionId: SessionIdString, action: ActionName, lockToken: Type.Optional(LockToken) });

/** Most session ids in one `sessions.touch` batch. */
export const MAX_TOUCH_BATCH = 10_000;
export const TouchSessionsCommand = Type.Object({
  sessionIds: Type.Array(Type.String({ maxLength: Limits.sessionIdLength }), {
    maxItems: MAX_TOUCH_BATCH,
    [ERROR_MESSAGE]: `a list of at most ${MAX_TOUCH_BATCH.toLocaleString('en-US')} session ids`,
  }),
});

// ---- Variable commands and bodies ----

export const VariableRef = Type.Object({ sessionId: SessionIdString, group: GroupName, name: VariableName });

/** `PUT /v1/sessions/:id/vars/:group/:name`. */
export const PutVariableBody = Type.Object({
  value: JsonValueSchema({ description: 'The new value', example: { sku: 'A-1', qty: 2 } }),
  expectedVersion: Type.Optional(ExpectedVersion),
});

/** `PATCH /v1/sessions/:id/vars/:group/:name`. */
export const PatchVariableBody = Type.Object({
  patch: JsonValueSchema({ description: 'JSON Merge Patch (RFC 7396) applied to the current value', example: { qty: 3 } }),
  expectedVersion: Type.Optional(ExpectedVersion),
});

export const VarGetCommand = VariableRef;
export const VarPutCommand = Type.Composite([VariableRef, PutVariableBody, WithLockToken]);
export const VarPatchCommand = Type.Composite([VariableRef, PatchVariableBody, WithLockToken]);
export const VarDeleteCommand = Type.Composite([VariableRef, Type.Object({ expectedVersion: Type.Optional(ExpectedVersion) }), WithLockToken]);

// ---- Replies ----

export const SessionOwner = Type.Object({
  nodeId: Type.String(),
  shard: Type.Integer({ minimum: 0 }),
  epoch: Type.Integer({ minimum: 0, description: 'Fencing epoch of the shard' }),
});

/** What a reader sees of a session. */
export const SessionView = Type.Object({
  id: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer({ minimum: 1 }),
  status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
  createdAt: Instant,
  lastActivityAt: Instant,
  idleExpiresAt: Instant,
  absoluteExpiresAt: Instant,
  groups: Groups,
  owner: SessionOwner,
});

/** The session's version after a write. */
export const VersionReply = Type.Object({ version: Type.Integer({ minimum: 1 }) });

/** A variable's value and the session's version. */
export const VariableReply = Type.Object({ value: JsonValueSchema(), version: Type.Integer({ minimum: 1 }) });

export type CreateSessionBody = Static<typeof CreateSessionBody>;
export type RecordActionBody = Static<typeof RecordActionBody>;
export type PutVariableBody = Static<typeof PutVariableBody>;
export type PatchVariableBody = Static<typeof PatchVariableBody>;
export type VariableRef = Static<typeof VariableRef>;
export type SessionView = Static<typeof SessionView>;
export type VersionReply = Static<typeof VersionReply>;
export type VariableReply = Static<typeof VariableReply>;
