import {
  EventEnvelopeSchema,
  SessionActionRecordedV1Data,
  SessionCreatedV1Data,
  SessionEndedV1Data,
  SessionVariableDeletedV1Data,
  SessionVariableSetV1Data,
  type SessionEvent,
} from '@foresight/contracts';
import { fnv1a32 } from '@foresight/hashing';
import { variableOf, type SessionState } from '@foresight/session-domain';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The committed events of one session, as its primary pushes them to the secondary. */
export interface ReplicaEntry {
  readonly sessionId: string;
  /** Stream version of the first event (the copy must be at `firstVersion - 1`). */
  readonly firstVersion: number;
  readonly events: readonly SessionEvent[];
  /** When the primary's store acknowledged the commit (ms since the epoch), for the lag histogram. */
  readonly committedAt: number;
  /** {@link shadowCheck} of the primary's state after these events. */
  readonly check: number;
}

/** One push: every entry a primary committed for this secondary in one tick. */
export interface ReplicaMessage {
  /** The pushing node (logged; the secondary trusts versions and checks, not names). */
  readonly from: string;
  readonly entries: readonly ReplicaEntry[];
}

const SessionEventSchema = Type.Union([
  EventEnvelopeSchema('session.created', 1, SessionCreatedV1Data),
  EventEnvelopeSchema('session.variable_set', 1, SessionVariableSetV1Data),
  EventEnvelopeSchema('session.variable_deleted', 1, SessionVariableDeletedV1Data),
  EventEnvelopeSchema('session.ended', 1, SessionEndedV1Data),
  EventEnvelopeSchema('session.action_recorded', 1, SessionActionRecordedV1Data),
]);

const ReplicaMessageSchema = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 64 }),
  entries: Type.Array(
    Type.Object({
      sessionId: Type.String({ minLength: 1, maxLength: 256 }),
      firstVersion: Type.Integer({ minimum: 1 }),
      events: Type.Array(SessionEventSchema, { minItems: 1, maxItems: 1000 }),
      committedAt: Type.Number(),
      check: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    }),
    { minItems: 1 },
  ),
});

const compiled = TypeCompiler.Compile(ReplicaMessageSchema);

/**
 * A previous owner's word that it applied the assignment that moved `released` to the receiving
 * node and serves them no more: the new owner may serve them without waiting for the metadata
 * service to record the release (cooperative handoff). Each shard names the epoch the receiver
 * gained it at.
 */
export interface ReleaseMessage {
  readonly from: string;
  readonly released: readonly { readonly shard: number; readonly epoch: number }[];
}

const ReleaseMessageSchema = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 64 }),
  released: Type.Array(Type.Object({ shard: Type.Integer({ minimum: 0 }), epoch: Type.Integer({ minimum: 0 }) }), { minItems: 1, maxItems: 65_536 }),
});

const compiledRelease = TypeCompiler.Compile(ReleaseMessageSchema);

/** Whether a decoded body on a replica subject is a {@link ReleaseMessage}. */
export function isReleaseMessage(value: unknown): value is ReleaseMessage {
  return compiledRelease.Check(value);
}

/** Whether a decoded body is a replica message (envelope and `data` of every event checked). */
export function isReplicaMessage(value: unknown): value is ReplicaMessage {
  return compiled.Check(value);
}

/** The variables an event writes or deletes, as `[group, name]`. */
function touched(event: SessionEvent): [string, string][] {
  switch (event.type) {
    case 'session.created':
      return Object.entries(event.data.groups).flatMap(([group, vars]) => Object.keys(vars).map((name): [string, string] => [group, name]));
    case 'session.variable_set':
    case 'session.variable_deleted':
      return [[event.data.group, event.data.name]];
    default:
      return [];
  }
}

/**
 * A 32-bit digest of what `events` produced in `state`: version, status, owner, total size, the
 * number of recorded actions, and the value of every variable they touched. The primary sends it
 * with the events; the secondary computes it over its own copy after applying them, and a mismatch
 * is a divergence. It costs the size of the events, not of the session.
 */
export function shadowCheck(state: SessionState, events: readonly SessionEvent[]): number {
  const seen = new Set<string>();
  let text = `${state.version}|${state.status}|${state.userId ?? ''}|${state.totalBytes}|${state.recentActions?.length ?? 0}`;
  for (const event of events) {
    for (const [group, name] of touched(event)) {
      const key = `${group.length}:${group}/${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      text += `|${key}=${JSON.stringify(variableOf(state.groups, group, name) ?? null)}`;
    }
  }
  return fnv1a32(text);
}
