import { createHash } from 'node:crypto';
import { RequestIds, type GroupState, type GroupsState, type JsonValue, type SessionEndReason, type SessionEvent } from '@foresight/contracts';

/** The in-memory state of one session, rebuilt by folding its events. */
export interface SessionState {
  readonly id: string;
  readonly userId: string | null;
  readonly shard: number;
  /** Number of events applied: the expected version for the next append. */
  readonly version: number;
  readonly status: 'active' | 'ended';
  readonly endedReason: SessionEndReason | null;
  readonly createdAt: number;
  readonly lastActivityAt: number;
  readonly idleTimeoutMs: number;
  readonly absoluteExpiresAt: number;
  readonly groups: GroupsState;
  /** Encoded size of each variable, keyed "group/name", for the per-session budget. */
  readonly sizes: Readonly<Record<string, number>>;
  readonly totalBytes: number;
  /**
   * 48-bit digests of the request ids of the last {@link RECENT_REQUESTS} writes, oldest first: a
   * retried write whose request id is here was already applied (idempotency). Rebuilt from the
   * events (their causation id is the request id), so it survives failover; absent in snapshots
   * taken before it existed. Digests, not strings: 8 bytes per write held in memory.
   */
  readonly recentRequests?: readonly number[];
  /**
   * For each of {@link recentRequests}, aligned at the end (shorter in snapshots taken before it
   * existed), the 32-bit digest of the request that id was used for (the events' `requestDigest`;
   * 0 when unknown): a retry must be the same request, a different one under the same id is refused.
   */
  readonly recentRequestDigests?: readonly number[];
  /**
   * The session's last {@link RECENT_ACTIONS} recorded actions, oldest first: a node that takes the
   * session over (failover, rebalance) restores its prediction history from them instead of starting cold.
   */
  readonly recentActions?: readonly string[];
}

/** How many recorded actions travel with the session's state. */
export const RECENT_ACTIONS = 16;

/** How many of a session's most recent writes a retry is recognised against. */
export const RECENT_REQUESTS = 32;

/** A request id's digest (48 bits of SHA-256: a false match among 32 is ~1e-13 per write). */
export function requestDigest(id: string): number {
  return createHash('sha256').update(id).digest().readUIntBE(0, 6);
}

/** `list` with `item` appended, keeping the last `max` (a new array; the state is immutable). */
function appendBounded<T>(list: readonly T[] | undefined, item: T, max: number): readonly T[] {
  const next = [...(list ?? []), item];
  return next.length > max ? next.slice(next.length - max) : next;
}

type RequestMemory = Pick<SessionState, 'recentRequests' | 'recentRequestDigests'>;

/** The request memory after an event: its request id (causation id) and request digest appended. */
function remember(state: RequestMemory | undefined, event: SessionEvent): RequestMemory | undefined {
  if (!RequestIds.is(event.causationId)) return undefined;
  const id = requestDigest(event.causationId);
  const recent = state?.recentRequests;
  if (recent !== undefined && recent[recent.length - 1] === id) return undefined; // one write, several events
  return {
    recentRequests: appendBounded(recent, id, RECENT_REQUESTS),
    recentRequestDigests: appendBounded(state?.recentRequestDigests, event.data.requestDigest ?? 0, RECENT_REQUESTS),
  };
}

/**
 * What the session remembers of a write's request id: `new` (not among its recent writes),
 * `applied` (the same request was already applied: a retry), or `reused` (the id was used for a
 * different request). A request whose digest was not recorded (older events) counts as the same.
 */
export function recallRequest(state: SessionState | undefined, requestId: string | undefined, digest: number): 'new' | 'applied' | 'reused' {
  const recent = state?.recentRequests;
  if (!RequestIds.is(requestId) || recent === undefined) return 'new';
  const at = recent.lastIndexOf(requestDigest(requestId));
  if (at < 0) return 'new';
  const digests = state?.recentRequestDigests ?? [];
  const stored = digests[at - (recent.length - digests.length)] ?? 0;
  return stored === 0 || stored === digest ? 'applied' : 'reused';
}

/** Limits and defaults that every decision respects. */
export interface SessionPolicy {
  readonly groups: readonly string[];
  readonly maxVariableBytes: number;
  readonly maxSessionBytes: number;
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  /**
   * How long past its idle deadline a session is kept before it ends. Reads served from an edge
   * cache reach the owner in batches, so a session's last activity can be known up to one report
   * interval late; the grace waits for that report instead of ending a session a client is reading.
   */
  readonly idleGraceMs: number;
}

/** Size of a value as the client sent it (UTF-8 JSON), the unit of the documented limits. */
export function valueBytes(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * A map without a prototype: every key, `__proto__`, `constructor` and `toString` included, is an
 * ordinary entry (on a plain object, `o.__proto__ = v` would set its prototype, and `o.constructor`
 * reads Object). Variables and groups are held in these, so any valid name is just a name.
 */
function bare<T>(...sources: (Readonly<Record<string, T>> | undefined)[]): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, ...sources);
}

/** The value of a variable, if set: own entries only, whatever the maps' prototypes. */
export function variableOf(groups: GroupsState, group: string, name: string): JsonValue | undefined {
  const vars = Object.hasOwn(groups, group) ? groups[group] : undefined;
  return vars !== undefined && Object.hasOwn(vars, name) ? vars[name] : undefined;
}

/**
 * A state read back from a snapshot (decoded into plain objects), with its groups in prototype-free
 * maps again, so that reads never see an inherited name.
 */
export function restoreState(snapshot: unknown): SessionState {
  const state = snapshot as SessionState;
  const groups = bare<GroupState>();
  for (const [group, vars] of Object.entries(state.groups)) groups[group] = bare(vars);
  return { ...state, groups };
}

function withVariable(state: SessionState, group: string, name: string, value: JsonValue | undefined): SessionState {
  const groupVars: Record<string, JsonValue> = bare(Object.hasOwn(state.groups, group) ? state.groups[group] : undefined);
  const sizes: Record<string, number> = { ...state.sizes };
  const key = `${group}/${name}`;
  const before = sizes[key] ?? 0;
  let after = 0;
  if (value === undefined) {
    delete groupVars[name];
    delete sizes[key];
  } else {
    groupVars[name] = value;
    after = valueBytes(value);
    sizes[key] = after;
  }
  return { ...state, groups: bare(state.groups, { [group]: groupVars }), sizes, totalBytes: state.totalBytes - before + after };
}

/** Applies one event. Pure: the same events always rebuild the same state. */
export function evolve(state: SessionState | undefined, event: SessionEvent): SessionState {
  const next = apply(state, event);
  const memory = remember(state, event);
  return memory === undefined ? next : { ...next, ...memory };
}

function apply(state: SessionState | undefined, event: SessionEvent): SessionState {
  const at = Date.parse(event.occurredAt);
  if (event.type === 'session.created') {
    let created: SessionState = {
      id: event.sessionId,
      userId: event.data.userId,
      shard: event.data.shard,
      version: 1,
      status: 'active',
      endedReason: null,
      createdAt: at,
      lastActivityAt: at,
      idleTimeoutMs: event.data.idleTimeoutMs,
      absoluteExpiresAt: Date.parse(event.data.absoluteExpiresAt),
      groups: bare(),
      sizes: {},
      totalBytes: 0,
    };
    for (const [group, vars] of Object.entries(event.data.groups)) {
      for (const [name, value] of Object.entries(vars)) created = withVariable(created, group, name, value);
    }
    return created;
  }
  if (!state) throw new Error(`event ${event.type} for session ${event.sessionId} has no session.created before it`);
  const next = { ...state, version: state.version + 1, lastActivityAt: Math.max(state.lastActivityAt, at) };
  switch (event.type) {
    case 'session.variable_set':
      return withVariable(next, event.data.group, event.data.name, event.data.value);
    case 'session.variable_deleted':
      return withVariable(next, event.data.group, event.data.name, undefined);
    case 'session.ended':
      return { ...next, status: 'ended', endedReason: event.data.reason };
    case 'session.action_recorded':
      return { ...next, recentActions: appendBounded(state.recentActions, event.data.action, RECENT_ACTIONS) };
  }
}

/** Folds a stream of events (after an optional snapshot) into a state. */
export function replay(events: Iterable<SessionEvent>, from?: SessionState): SessionState | undefined {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}

/**
 * When an active session ends by itself, and why: its absolute expiry, or its idle deadline plus
 * `idleGraceMs` (activity reported late must still count; see {@link SessionPolicy.idleGraceMs}).
 */
export function expiry(state: SessionState, idleGraceMs: number): { at: number; reason: SessionEndReason } {
  const idleAt = state.lastActivityAt + state.idleTimeoutMs + idleGraceMs;
  return idleAt < state.absoluteExpiresAt ? { at: idleAt, reason: 'idle' } : { at: state.absoluteExpiresAt, reason: 'absolute' };
}

/** Marks activity without an event (reads): extends the idle timeout in memory. */
export function touch(state: SessionState, now: number): SessionState {
  return now > state.lastActivityAt ? { ...state, lastActivityAt: now } : state;
}
