import { createHash } from 'node:crypto';
import {
  ErrorCodes,
  ForesightError,
  RequestIds,
  type GroupsState,
  type JsonValue,
  type MessageContext,
  type SessionEndReason,
  type SessionEvent,
} from '@foresight/contracts';
import { applyMergePatch } from './merge-patch';
import { expiry, recallRequest, valueBytes, variableOf, type SessionPolicy, type SessionState } from './session';

export type SessionCommand =
  | {
      readonly kind: 'create';
      readonly sessionId: string;
      readonly shard: number;
      readonly userId: string | null;
      readonly groups: GroupsState;
      readonly idleTimeoutMs?: number;
      readonly absoluteTimeoutMs?: number;
    }
  | { readonly kind: 'put'; readonly group: string; readonly name: string; readonly value: JsonValue; readonly expectedVersion?: number }
  | { readonly kind: 'patch'; readonly group: string; readonly name: string; readonly patch: JsonValue; readonly expectedVersion?: number }
  | { readonly kind: 'delete'; readonly group: string; readonly name: string; readonly expectedVersion?: number }
  | { readonly kind: 'end'; readonly reason: SessionEndReason }
  | { readonly kind: 'record_action'; readonly action: string };

/** What a decision may depend on besides the state: the clock, id generation and the request context. */
export interface DecisionContext extends MessageContext {
  readonly now: number;
  newEventId(): string;
  /**
   * Idempotency key of the write, the same on every retry of it. When given it becomes the events'
   * causation id, and a command whose key is among the session's recent writes decides nothing.
   */
  readonly requestId?: string;
}

export const VARIABLE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

const fail = (code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, details?: Record<string, unknown>): never => {
  throw new ForesightError(code, message, details);
};

/** Refuses a state group the cluster is not configured with (`SESSION.UNKNOWN_GROUP`). */
export function checkGroup(policy: Pick<SessionPolicy, 'groups'>, group: string): void {
  if (!policy.groups.includes(group)) {
    fail(ErrorCodes.UNKNOWN_GROUP, `Unknown state group "${group}". Known groups: ${policy.groups.join(', ')}.`, { group, known: policy.groups });
  }
}

function checkName(name: string): void {
  if (!VARIABLE_NAME.test(name)) {
    fail(ErrorCodes.VALIDATION, `Variable name "${name.slice(0, 40)}" is invalid: use 1–128 characters from A–Z a–z 0–9 _ . : -.`);
  }
}

function checkValueFits(state: SessionState | undefined, policy: SessionPolicy, group: string, name: string, value: JsonValue): void {
  const bytes = valueBytes(value);
  if (bytes > policy.maxVariableBytes) {
    fail(ErrorCodes.VARIABLE_TOO_LARGE, `Variable ${group}/${name} is ${bytes} bytes; the limit is ${policy.maxVariableBytes} bytes per variable.`, {
      bytes,
      limit: policy.maxVariableBytes,
    });
  }
  const current = state ? state.totalBytes - (state.sizes[`${group}/${name}`] ?? 0) : 0;
  if (current + bytes > policy.maxSessionBytes) {
    fail(ErrorCodes.SESSION_TOO_LARGE, `The session would hold ${current + bytes} bytes; the limit is ${policy.maxSessionBytes} bytes per session.`, {
      bytes: current + bytes,
      limit: policy.maxSessionBytes,
    });
  }
}

/** The session if it exists and is live at `now`; otherwise the error a client should see. */
export function checkLive(state: SessionState | undefined, policy: SessionPolicy, now: number): SessionState {
  if (!state) return fail(ErrorCodes.SESSION_NOT_FOUND, 'No such session. Create one with POST /v1/sessions.');
  if (state.status === 'ended') fail(ErrorCodes.SESSION_ENDED, `The session has ended (${state.endedReason}). Create a new one.`);
  const due = expiry(state, policy.idleGraceMs);
  if (due.at <= now) fail(ErrorCodes.SESSION_ENDED, `The session has expired (${due.reason} timeout). Create a new one.`);
  return state;
}

function checkVersion(state: SessionState, expected: number | undefined): void {
  if (expected !== undefined && expected !== state.version) {
    fail(ErrorCodes.SESSION_VERSION_CONFLICT, `The session is at version ${state.version}, not ${expected}. Re-read it and retry.`, {
      currentVersion: state.version,
    });
  }
}

/**
 * Decides which events a command produces, or throws a ForesightError with a stable code.
 * Pure: no I/O, the clock and ids come from the context. A retry of a write
 * already applied (same `ctx.requestId`, same command) decides no event: the caller answers from
 * the state; the same request id with a different command is refused.
 */
export function decide(command: SessionCommand, state: SessionState | undefined, policy: SessionPolicy, ctx: DecisionContext): SessionEvent[] {
  // Events of a write with a request id carry its request's digest: replay then knows what the id was used for.
  const stamp = RequestIds.is(ctx.requestId) ? { requestDigest: commandDigest(command) } : {};
  if (stamp.requestDigest !== undefined) {
    const seen = recallRequest(state, ctx.requestId, stamp.requestDigest);
    if (seen === 'applied') return [];
    if (seen === 'reused') {
      fail(
        ErrorCodes.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was already used for a different request to this session: a key identifies one request. Send a new key with a new request.',
      );
    }
  }
  const envelope = (sessionId: string) => ({
    id: ctx.newEventId(),
    sessionId,
    occurredAt: new Date(ctx.now).toISOString(),
    correlationId: ctx.correlationId,
    causationId: ctx.requestId || ctx.causationId,
  });

  if (command.kind === 'create') {
    if (state) fail(ErrorCodes.SESSION_VERSION_CONFLICT, 'A session with this id already exists.');
    let total = 0;
    for (const [group, vars] of Object.entries(command.groups)) {
      checkGroup(policy, group);
      for (const [name, value] of Object.entries(vars)) {
        checkName(name);
        checkValueFits(undefined, { ...policy, maxSessionBytes: policy.maxSessionBytes - total }, group, name, value);
        total += valueBytes(value);
      }
    }
    const absoluteMs = Math.min(command.absoluteTimeoutMs ?? policy.absoluteTimeoutMs, policy.absoluteTimeoutMs);
    const idleMs = Math.min(command.idleTimeoutMs ?? policy.idleTimeoutMs, policy.idleTimeoutMs);
    return [
      {
        ...envelope(command.sessionId),
        type: 'session.created',
        version: 1,
        data: {
          userId: command.userId,
          shard: command.shard,
          idleTimeoutMs: idleMs,
          absoluteExpiresAt: new Date(ctx.now + absoluteMs).toISOString(),
          groups: command.groups,
          ...stamp,
        },
      },
    ];
  }

  const live = checkLive(state, policy, ctx.now);
  switch (command.kind) {
    case 'put':
    case 'patch': {
      checkGroup(policy, command.group);
      checkName(command.name);
      checkVersion(live, command.expectedVersion);
      const value = command.kind === 'put' ? command.value : applyMergePatch(variableOf(live.groups, command.group, command.name), command.patch);
      checkValueFits(live, policy, command.group, command.name, value);
      return [
        {
          ...envelope(live.id),
          type: 'session.variable_set',
          version: 1,
          data: { group: command.group, name: command.name, value, via: command.kind, ...stamp },
        },
      ];
    }
    case 'delete': {
      checkGroup(policy, command.group);
      checkName(command.name);
      checkVersion(live, command.expectedVersion);
      if (variableOf(live.groups, command.group, command.name) === undefined) {
        fail(ErrorCodes.VARIABLE_NOT_FOUND, `Variable ${command.group}/${command.name} is not set in this session.`);
      }
      return [{ ...envelope(live.id), type: 'session.variable_deleted', version: 1, data: { group: command.group, name: command.name, ...stamp } }];
    }
    case 'end':
      return [{ ...envelope(live.id), type: 'session.ended', version: 1, data: { reason: command.reason, ...stamp } }];
    case 'record_action':
      return [{ ...envelope(live.id), type: 'session.action_recorded', version: 1, data: { action: command.action, userId: live.userId, ...stamp } }];
  }
}

/** The end-of-life event for a session past its idle or absolute timeout, if any. */
export function decideExpiry(state: SessionState, policy: SessionPolicy, ctx: DecisionContext): SessionEvent[] {
  if (state.status === 'ended') return [];
  const due = expiry(state, policy.idleGraceMs);
  if (due.at > ctx.now) return [];
  return [
    {
      id: ctx.newEventId(),
      sessionId: state.id,
      occurredAt: new Date(ctx.now).toISOString(),
      correlationId: ctx.correlationId,
      causationId: ctx.causationId,
      type: 'session.ended',
      version: 1,
      data: { reason: due.reason },
    },
  ];
}

/**
 * A 32-bit digest of a write command as received: kind, target, value or patch, expected version,
 * the options of a create. It is what an idempotency key is bound to: a retry carries the same
 * command, so the same digest. The JSON is the decoded request's, keys in the order sent (a client
 * that retries sends the same body); 0 is kept for "unknown", so a digest is never 0.
 */
function commandDigest(command: SessionCommand): number {
  return createHash('sha256').update(JSON.stringify(command)).digest().readUInt32BE(0) || 1;
}
