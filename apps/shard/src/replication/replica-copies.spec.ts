import type { SessionEvent } from '@foresight/contracts';
import { decide, replay, type SessionCommand, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { randomUUID } from 'node:crypto';
import { applyEntry } from './replica-copies';
import { isReplicaMessage, shadowCheck, type ReplicaEntry } from './replica-message';

const policy: SessionPolicy = {
  groups: ['cart', 'app'],
  maxVariableBytes: 4096,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};
const ctx = () => ({ now: Date.now(), correlationId: 'c', causationId: 'k', newEventId: randomUUID });

/** A session driven by the domain, as the primary would, with the entries it would push. */
function primary(id = 'sess-1') {
  let state: SessionState | undefined;
  const run = (command: SessionCommand): ReplicaEntry => {
    const events = decide(command, state, policy, ctx());
    const firstVersion = (state?.version ?? 0) + 1;
    state = replay(events, state);
    return { sessionId: id, firstVersion, events, committedAt: Date.now(), check: shadowCheck(state!, events) };
  };
  return { run, state: () => state! };
}

describe('applying pushed entries to a warm copy', () => {
  it('builds a copy from the session start and keeps it equal to the primary, event after event', () => {
    const p = primary();
    let copy: SessionState | undefined;
    for (const command of [
      { kind: 'create', sessionId: 'sess-1', shard: 3, userId: 'u1', groups: { cart: { items: [1] } } },
      { kind: 'put', group: 'cart', name: 'items', value: [1, 2] },
      { kind: 'put', group: 'app', name: 'theme', value: 'dark' },
      { kind: 'delete', group: 'app', name: 'theme' },
      { kind: 'record_action', action: 'view:1' },
    ] as SessionCommand[]) {
      const result = applyEntry(copy, p.run(command));
      expect(result.kind).toBe('applied');
      copy = (result as { state: SessionState }).state;
      expect(copy).toEqual(p.state());
    }
    expect(copy!.version).toBe(5);
  });

  it('asks for a load when it holds no copy and the entry does not start the session', () => {
    const p = primary();
    p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} });
    expect(applyEntry(undefined, p.run({ kind: 'put', group: 'cart', name: 'x', value: 1 }))).toEqual({ kind: 'unseen' });
  });

  it('reports a gap when versions were skipped, and a stale entry when one is replayed', () => {
    const p = primary();
    const created = p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} });
    const copy = (applyEntry(undefined, created) as { state: SessionState }).state;
    p.run({ kind: 'put', group: 'cart', name: 'x', value: 1 }); // lost on the way
    const third = p.run({ kind: 'put', group: 'cart', name: 'x', value: 2 });
    expect(applyEntry(copy, third)).toEqual({ kind: 'diverged', reason: 'gap' });
    // Overlapping the copy's version and going past it.
    const atTwo = (applyEntry(copy, { ...third, firstVersion: 2, check: shadowCheck(replay(third.events, copy)!, third.events) }) as { state: SessionState })
      .state;
    const overlapping = { ...third, firstVersion: 2, events: [third.events[0]!, third.events[0]!] };
    expect(applyEntry(atTwo, overlapping)).toEqual({ kind: 'diverged', reason: 'stale' });
  });

  it('ignores an entry the copy already holds (a reload saw the commit before its push arrived)', () => {
    const p = primary();
    const created = p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} });
    const put = p.run({ kind: 'put', group: 'cart', name: 'x', value: 1 });
    expect(applyEntry(p.state(), put)).toEqual({ kind: 'already_applied' });
    expect(applyEntry(p.state(), created)).toEqual({ kind: 'already_applied' });
  });

  it('reports content that differs from what the primary committed (same version, other value)', () => {
    const p = primary();
    const copy = (applyEntry(undefined, p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} })) as { state: SessionState }).state;
    const entry = p.run({ kind: 'put', group: 'cart', name: 'x', value: 'real' });
    const forged = {
      ...entry,
      events: entry.events.map((e) => ({ ...e, data: { ...e.data, value: 'forged' } }) as SessionEvent),
    };
    expect(applyEntry(copy, forged)).toEqual({ kind: 'diverged', reason: 'content' });
    expect(applyEntry(copy, entry).kind).toBe('applied');
  });

  it('refuses events the domain would not apply: another session, a second creation, anything after the end', () => {
    const p = primary();
    const created = p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} });
    const copy = (applyEntry(undefined, created) as { state: SessionState }).state;
    const put = p.run({ kind: 'put', group: 'cart', name: 'x', value: 1 });
    expect(applyEntry(copy, { ...put, sessionId: 'other' })).toEqual({ kind: 'diverged', reason: 'domain' });
    expect(applyEntry(copy, { ...created, firstVersion: 2 })).toEqual({ kind: 'diverged', reason: 'domain' });
    const q = primary();
    q.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: {} });
    const ended = q.run({ kind: 'end', reason: 'client' });
    const after = { ...put, firstVersion: 3, check: 0 };
    const endedCopy = (applyEntry(copy, ended) as { state: SessionState }).state;
    expect(endedCopy.status).toBe('ended');
    expect(applyEntry(endedCopy, after)).toEqual({ kind: 'diverged', reason: 'domain' });
  });
});

describe('the replica message schema', () => {
  it('accepts what a primary sends and refuses garbage, forged events and bad versions', () => {
    const p = primary();
    const entry = p.run({ kind: 'create', sessionId: 'sess-1', shard: 3, userId: null, groups: { cart: { a: 1 } } });
    expect(isReplicaMessage({ from: 'n1', entries: [entry] })).toBe(true);
    expect(isReplicaMessage(null)).toBe(false);
    expect(isReplicaMessage('text')).toBe(false);
    expect(isReplicaMessage({ from: 'n1', entries: [] })).toBe(false);
    expect(isReplicaMessage({ from: 'n1', entries: [{ ...entry, firstVersion: 0 }] })).toBe(false);
    expect(isReplicaMessage({ from: 'n1', entries: [{ ...entry, events: [{ ...entry.events[0], type: 'session.hacked' }] }] })).toBe(false);
    expect(isReplicaMessage({ from: 'n1', entries: [{ ...entry, events: [{ ...entry.events[0], data: { evil: true } }] }] })).toBe(false);
    expect(isReplicaMessage({ from: 'n1', entries: [{ ...entry, check: -1 }] })).toBe(false);
  });
});
