import { ErrorCodes, ForesightError, type JsonValue, type SessionEvent } from '@foresight/contracts';
import { checkGroup, decide, decideExpiry, type DecisionContext, type SessionCommand } from './decide';
import { applyMergePatch } from './merge-patch';
import { RECENT_ACTIONS, RECENT_REQUESTS, replay, restoreState, variableOf, type SessionPolicy, type SessionState } from './session';
import { checkIssuedId, generateSessionId, isIssuedSessionId } from './session-id';

const policy: SessionPolicy = {
  groups: ['auth', 'cart'],
  maxVariableBytes: 64,
  maxSessionBytes: 100,
  idleTimeoutMs: 60_000,
  absoluteTimeoutMs: 3_600_000,
  idleGraceMs: 2_000,
};
const START = Date.parse('2026-01-01T00:00:00Z');

function context(now = START): DecisionContext {
  let n = 0;
  return { now, correlationId: 'corr', causationId: 'cause', newEventId: () => `evt-${++n}` };
}

// Over 300 lines on purpose: the decider's rules, table by table, beside one given/when/then helper.

/** Given events, when a command is decided, then: the new events (applied) or the error. */
function given(events: SessionEvent[]) {
  const state = replay(events);
  return {
    when(command: SessionCommand, now = START) {
      const run = () => decide(command, state, policy, context(now));
      return {
        thenEvents: () => run(),
        thenState: (): SessionState => replay(run(), state) as SessionState,
        thenFails: (code: string) => {
          expect(run).toThrow(ForesightError);
          try {
            run();
          } catch (error) {
            expect((error as ForesightError).code).toBe(code);
          }
        },
      };
    },
  };
}

const created = decide({ kind: 'create', sessionId: 's1', shard: 3, userId: 'u1', groups: { auth: { role: 'admin' } } }, undefined, policy, context());

describe('session decider', () => {
  it('creates a session with its initial groups and timeouts', () => {
    const state = replay(created)!;
    expect(state).toMatchObject({ id: 's1', userId: 'u1', shard: 3, version: 1, status: 'active', groups: { auth: { role: 'admin' } } });
    expect(state.absoluteExpiresAt).toBe(START + 3_600_000);
    expect(state.totalBytes).toBe(Buffer.byteLength('"admin"'));
  });

  it('refuses to create the same session twice', () => {
    given(created).when({ kind: 'create', sessionId: 's1', shard: 3, userId: null, groups: {} }).thenFails(ErrorCodes.SESSION_VERSION_CONFLICT);
  });

  it('sets, patches and deletes variables, bumping the version each time', () => {
    const put = given(created)
      .when({ kind: 'put', group: 'cart', name: 'items', value: { a: 1, b: 2 } })
      .thenEvents();
    const patched = given([...created, ...put])
      .when({ kind: 'patch', group: 'cart', name: 'items', patch: { b: null, c: 3 } })
      .thenState();
    expect(patched.groups.cart.items).toEqual({ a: 1, c: 3 });
    expect(patched.version).toBe(3);
    const afterPatch = [
      ...created,
      ...put,
      ...decide({ kind: 'patch', group: 'cart', name: 'items', patch: { c: 3 } }, replay([...created, ...put]), policy, context()),
    ];
    const deleted = given(afterPatch).when({ kind: 'delete', group: 'cart', name: 'items' }).thenState();
    expect(deleted.groups.cart.items).toBeUndefined();
    expect(deleted.totalBytes).toBe(Buffer.byteLength('"admin"'));
  });

  it('reports a version conflict instead of overwriting', () => {
    given(created).when({ kind: 'put', group: 'cart', name: 'x', value: 1, expectedVersion: 7 }).thenFails(ErrorCodes.SESSION_VERSION_CONFLICT);
    expect(given(created).when({ kind: 'put', group: 'cart', name: 'x', value: 1, expectedVersion: 1 }).thenEvents()).toHaveLength(1);
  });

  it('rejects unknown groups, bad names and oversized values', () => {
    given(created).when({ kind: 'put', group: 'nope', name: 'x', value: 1 }).thenFails(ErrorCodes.UNKNOWN_GROUP);
    given(created).when({ kind: 'put', group: 'cart', name: 'bad name!', value: 1 }).thenFails(ErrorCodes.VALIDATION);
    given(created)
      .when({ kind: 'put', group: 'cart', name: 'x', value: 'y'.repeat(80) })
      .thenFails(ErrorCodes.VARIABLE_TOO_LARGE);
    const nearlyFull = given(created)
      .when({ kind: 'put', group: 'cart', name: 'a', value: 'y'.repeat(60) })
      .thenEvents();
    given([...created, ...nearlyFull])
      .when({ kind: 'put', group: 'cart', name: 'b', value: 'z'.repeat(40) })
      .thenFails(ErrorCodes.SESSION_TOO_LARGE);
  });

  it('refuses writes to an ended or expired session', () => {
    const ended = given(created).when({ kind: 'end', reason: 'client' }).thenEvents();
    given([...created, ...ended])
      .when({ kind: 'put', group: 'cart', name: 'x', value: 1 })
      .thenFails(ErrorCodes.SESSION_ENDED);
    given(created)
      .when({ kind: 'put', group: 'cart', name: 'x', value: 1 }, START + 62_000)
      .thenFails(ErrorCodes.SESSION_ENDED);
    given([]).when({ kind: 'put', group: 'cart', name: 'x', value: 1 }).thenFails(ErrorCodes.SESSION_NOT_FOUND);
  });

  it('ends idle sessions and sessions past their absolute timeout', () => {
    const state = replay(created)!;
    expect(decideExpiry(state, policy, context(START + 30_000))).toEqual([]);
    expect(decideExpiry(state, policy, context(START + 62_000))[0]).toMatchObject({ type: 'session.ended', data: { reason: 'idle' } });
    const busy = { ...state, lastActivityAt: START + 3_590_000 };
    expect(decideExpiry(busy, policy, context(START + 3_600_000))[0]).toMatchObject({ data: { reason: 'absolute' } });
  });

  it('waits one grace period past the idle deadline for activity an edge reports late', () => {
    const state = replay(created)!;
    // Idle deadline passed, grace not: still live, a late report can still keep it.
    expect(decideExpiry(state, policy, context(START + 61_000))).toEqual([]);
    given(created)
      .when({ kind: 'put', group: 'cart', name: 'x', value: 1 }, START + 61_000)
      .thenEvents();
    // A read at START + 1 s, reported late: the session now ends at START + 1 s + 60 s + 2 s.
    const reported = { ...state, lastActivityAt: START + 1_000 };
    expect(decideExpiry(reported, policy, context(START + 62_000))).toEqual([]);
    expect(decideExpiry(reported, policy, context(START + 63_000))[0]).toMatchObject({ data: { reason: 'idle' } });
  });

  it('carries correlation and causation ids into every event', () => {
    expect(created[0]).toMatchObject({ correlationId: 'corr', causationId: 'cause', id: 'evt-1', type: 'session.created', version: 1 });
  });
});

describe('variable names that are Object.prototype members', () => {
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

  it('are ordinary names: set, read, patched, deleted, rebuilt from events and from a snapshot', () => {
    let events = [...created];
    for (const name of names)
      events = [...events, ...decide({ kind: 'put', group: 'cart', name, value: { n: name.length } }, replay(events), policy, context())];
    const state = replay(events)!;
    for (const name of names) expect(variableOf(state.groups, 'cart', name)).toEqual({ n: name.length });
    expect(Object.keys(state.groups.cart)).toEqual(names);
    expect(JSON.parse(JSON.stringify(state.groups))).toEqual({ auth: { role: 'admin' }, cart: Object.fromEntries(names.map((n) => [n, { n: n.length }])) });
    // A snapshot comes back as plain objects; restored, the names are still plain entries.
    const restored = restoreState(JSON.parse(JSON.stringify(state)));
    expect(variableOf(restored.groups, 'cart', '__proto__')).toEqual({ n: 9 });
    const patched = replay(decide({ kind: 'patch', group: 'cart', name: '__proto__', patch: { m: 1 } }, restored, policy, context()), restored)!;
    expect(variableOf(patched.groups, 'cart', '__proto__')).toEqual({ n: 9, m: 1 });
    const deleted = replay(decide({ kind: 'delete', group: 'cart', name: 'constructor' }, patched, policy, context()), patched)!;
    expect(variableOf(deleted.groups, 'cart', 'constructor')).toBeUndefined();
    expect(deleted.totalBytes).toBe(patched.totalBytes - Buffer.byteLength(JSON.stringify({ n: 11 })));
  });

  it('are not set before they are written: delete and patch see nothing inherited', () => {
    for (const name of names) {
      given(created).when({ kind: 'delete', group: 'cart', name }).thenFails(ErrorCodes.VARIABLE_NOT_FOUND);
      expect(variableOf(replay(created)!.groups, 'cart', name)).toBeUndefined();
      const patched = given(created)
        .when({ kind: 'patch', group: 'cart', name, patch: { a: 1 } })
        .thenState();
      expect(variableOf(patched.groups, 'cart', name)).toEqual({ a: 1 });
    }
    // A primitive under "__proto__" is kept, not swallowed by the prototype setter.
    const five = given(created).when({ kind: 'put', group: 'cart', name: '__proto__', value: 5 }).thenState();
    expect(variableOf(five.groups, 'cart', '__proto__')).toBe(5);
    expect(five.totalBytes).toBe(replay(created)!.totalBytes + 1);
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('treats "__proto__" as an ordinary member and pollutes no prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"b": 1}}}');
    const result = applyMergePatch(JSON.parse('{"a": {"__proto__": {"c": 2}}}'), patch) as { readonly [key: string]: JsonValue };
    expect(JSON.stringify(result)).toBe('{"a":{"__proto__":{"c":2,"b":1}},"__proto__":{"polluted":true}}');
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(result.a)).toBe(Object.prototype);
    expect((result as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    // null deletes it like any member.
    expect(JSON.stringify(applyMergePatch(result, JSON.parse('{"__proto__": null}')))).toBe('{"a":{"__proto__":{"c":2,"b":1}}}');
    // An inherited name is not a member of the target: patching "constructor" starts from nothing.
    expect(applyMergePatch({}, { constructor: { x: 1 } })).toEqual({ constructor: { x: 1 } });
  });

  it('follows the RFC examples', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch(['a', 'b'], ['c', 'd'])).toEqual(['c', 'd']);
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch(undefined, { a: 1 })).toEqual({ a: 1 });
  });
});

describe('session ids', () => {
  it('are 32 characters carrying 128 random bits and verify only with the issuing secret', () => {
    const id = generateSessionId('s'.repeat(32));
    expect(id).toHaveLength(32);
    expect(isIssuedSessionId(id, 's'.repeat(32))).toBe(true);
    expect(isIssuedSessionId(id, 't'.repeat(32))).toBe(false);
    const forged = (id[0] === 'A' ? 'B' : 'A') + id.slice(1);
    expect(isIssuedSessionId(forged, 's'.repeat(32))).toBe(false);
    expect(isIssuedSessionId('not-an-id', 's'.repeat(32))).toBe(false);
    expect(isIssuedSessionId(42, 's'.repeat(32))).toBe(false);
    expect(new Set(Array.from({ length: 1000 }, () => generateSessionId('s'.repeat(32)))).size).toBe(1000);
  });

  it('checkIssuedId answers SESSION.NOT_FOUND for an id the cluster did not issue, the id otherwise', () => {
    const id = generateSessionId('s'.repeat(32));
    expect(checkIssuedId(id, 's'.repeat(32))).toBe(id);
    for (const bad of [id, 'not-an-id', 42]) {
      expect(() => checkIssuedId(bad, 't'.repeat(32))).toThrow(
        new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: the id was not issued by this cluster.'),
      );
    }
  });

  it('checkGroup refuses a group the cluster is not configured with, naming the known ones', () => {
    expect(() => checkGroup({ groups: ['cart', 'auth'] }, 'cart')).not.toThrow();
    expect(() => checkGroup({ groups: ['cart', 'auth'] }, 'carts')).toThrow('Unknown state group "carts". Known groups: cart, auth.');
  });

  describe('idempotent writes (request ids)', () => {
    const withRequest = (requestId: string | undefined): DecisionContext => ({ ...context(), ...(requestId === undefined ? {} : { requestId }) });
    const put = (value: string): SessionCommand => ({ kind: 'put', group: 'cart', name: 'item', value });

    it('applies a write once: the retry with the same request id decides no event', () => {
      const first = decide(put('a'), replay(created), policy, withRequest('req:1'));
      expect(first).toHaveLength(1);
      expect(first[0]!.causationId).toBe('req:1');
      const after = replay(first, replay(created))!;
      expect(decide(put('a'), after, policy, withRequest('req:1'))).toEqual([]);
      // An end retried after it was applied is not refused as "ended" either.
      const ended = replay(decide({ kind: 'end', reason: 'client' }, after, policy, withRequest('req:2')), after)!;
      expect(decide({ kind: 'end', reason: 'client' }, ended, policy, withRequest('req:2'))).toEqual([]);
      expect(() => decide({ kind: 'end', reason: 'client' }, ended, policy, withRequest('req:3'))).toThrow(ForesightError);
    });

    it('applies another request id, and never deduplicates without one', () => {
      const after = replay(decide(put('a'), replay(created), policy, withRequest('req:1')), replay(created))!;
      expect(decide(put('b'), after, policy, withRequest('req:2'))).toHaveLength(1);
      // Same causation id, no request id: two distinct writes (internal callers reuse causation ids).
      const noId = replay(decide(put('c'), after, policy, withRequest(undefined)), after)!;
      expect(decide(put('d'), noId, policy, withRequest(undefined))).toHaveLength(1);
    });

    it('remembers the request ids through a replay of the events (failover) and forgets the oldest beyond the window', () => {
      let events = [...created];
      for (let i = 0; i <= RECENT_REQUESTS; i++) {
        events = [...events, ...decide(put(`v${i}`), replay(events), policy, withRequest(`req:${i}`))];
      }
      const rebuilt = replay(events)!;
      expect(rebuilt.recentRequests).toHaveLength(RECENT_REQUESTS);
      expect(decide(put('v1'), rebuilt, policy, withRequest('req:1'))).toEqual([]);
      expect(decide(put(`v${RECENT_REQUESTS}`), rebuilt, policy, withRequest(`req:${RECENT_REQUESTS}`))).toEqual([]);
      // req:0 was the oldest of 33 writes: outside the window, so it would be applied again.
      expect(decide(put('v0'), rebuilt, policy, withRequest('req:0'))).toHaveLength(1);
    });

    it('refuses a request id reused for a different request with REQUEST.IDEMPOTENCY_KEY_REUSED', () => {
      const after = replay(decide(put('a'), replay(created), policy, withRequest('idem:k1')), replay(created))!;
      for (const other of [
        put('b'),
        { kind: 'put', group: 'cart', name: 'other', value: 'a' },
        { kind: 'put', group: 'cart', name: 'item', value: 'a', expectedVersion: 2 },
        { kind: 'patch', group: 'cart', name: 'item', patch: 'a' },
        { kind: 'delete', group: 'cart', name: 'item' },
        { kind: 'end', reason: 'client' },
      ] as SessionCommand[]) {
        expect(() => decide(other, after, policy, withRequest('idem:k1'))).toThrow(expect.objectContaining({ code: ErrorCodes.IDEMPOTENCY_KEY_REUSED }));
      }
      // The same request under that key is still a retry, and another key is a new write.
      expect(decide(put('a'), after, policy, withRequest('idem:k1'))).toEqual([]);
      expect(decide(put('b'), after, policy, withRequest('idem:k2'))).toHaveLength(1);
    });

    it('knows what a key was used for after a replay of the events and after a snapshot', () => {
      let events = [...created];
      const patch: SessionCommand = { kind: 'patch', group: 'cart', name: 'item', patch: { q: 1 } };
      events = [...events, ...decide(patch, replay(events), policy, withRequest('idem:p'))];
      events = [...events, ...decide(put('later'), replay(events), policy, withRequest('idem:q'))];
      expect(events.at(-1)!.data).toMatchObject({ requestDigest: expect.any(Number) });
      const rebuilt = replay(events)!;
      const fromSnapshot = restoreState(JSON.parse(JSON.stringify(rebuilt)));
      for (const state of [rebuilt, fromSnapshot]) {
        // The same patch retried after a later write: recognised (not applied again, not refused).
        expect(decide(patch, state, policy, withRequest('idem:p'))).toEqual([]);
        expect(() => decide({ ...patch, patch: { q: 2 } } as SessionCommand, state, policy, withRequest('idem:p'))).toThrow(
          expect.objectContaining({ code: ErrorCodes.IDEMPOTENCY_KEY_REUSED }),
        );
      }
    });

    it('treats a key remembered without a request digest (events and snapshots from before) as the same request', () => {
      const unstamped = (events: SessionEvent[]) => events.map((e) => ({ ...e, data: { ...e.data, requestDigest: undefined } }) as SessionEvent);
      const old = replay(unstamped([...created, ...decide(put('a'), replay(created), policy, withRequest('idem:old'))]))!;
      expect(decide(put('b'), old, policy, withRequest('idem:old'))).toEqual([]);
      // A snapshot from before: ids without digests; later writes add both, aligned at the end.
      const { recentRequestDigests: _, ...snapshot } = old;
      void _;
      const later = replay(decide(put('c'), snapshot, policy, withRequest('idem:new')), snapshot)!;
      expect(later.recentRequests).toHaveLength(2);
      expect(later.recentRequestDigests).toHaveLength(1);
      expect(decide(put('b'), later, policy, withRequest('idem:old'))).toEqual([]);
      expect(decide(put('c'), later, policy, withRequest('idem:new'))).toEqual([]);
      expect(() => decide(put('d'), later, policy, withRequest('idem:new'))).toThrow(expect.objectContaining({ code: ErrorCodes.IDEMPOTENCY_KEY_REUSED }));
    });

    it('recognises a retried create', () => {
      const create: SessionCommand = { kind: 'create', sessionId: 's2', shard: 1, userId: null, groups: {} };
      const state = replay(decide(create, undefined, policy, withRequest('req:c')))!;
      expect(decide(create, state, policy, withRequest('req:c'))).toEqual([]);
      expect(() => decide(create, state, policy, withRequest('req:other'))).toThrow(ForesightError);
    });
  });

  it('keeps the last recorded actions in the state, so a new owner can continue the prediction history', () => {
    let events = [...created];
    for (let i = 0; i < RECENT_ACTIONS + 4; i++) {
      events = [...events, ...decide({ kind: 'record_action', action: `a${i}` }, replay(events), policy, context())];
    }
    const state = replay(events)!;
    expect(state.recentActions).toHaveLength(RECENT_ACTIONS);
    expect(state.recentActions![0]).toBe('a4');
    expect(state.recentActions!.at(-1)).toBe(`a${RECENT_ACTIONS + 3}`);
  });
});
