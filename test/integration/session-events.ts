import type { SessionEvent } from '@foresight/contracts';
import { decide, type SessionPolicy } from '@foresight/session-domain';
import { randomUUID } from 'node:crypto';

/** Events made by the session decider, for tests that write to the event store directly. */
export const policy: SessionPolicy = {
  groups: ['cart'],
  maxVariableBytes: 1024,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};

/** A decider's context: the clock now, fixed correlation and causation ids, fresh event ids. */
export const ctx = () => ({ now: Date.now(), correlationId: 'c', causationId: 'k', newEventId: randomUUID });

/** The events that create a session on a shard, without user or groups. */
export const create = (sessionId: string, shard: number): SessionEvent[] =>
  decide({ kind: 'create', sessionId, shard, userId: null, groups: {} }, undefined, policy, ctx());
