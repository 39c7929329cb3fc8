import { decide, replay } from '@foresight/session-domain';
import { completeWith, covers, groupsOf } from './partial-state';
import { ctx, policy } from './session-fixture';

describe('partial session state', () => {
  it('covers a request only with every group it names; a whole session covers everything', () => {
    expect(covers(undefined, undefined)).toBe(true);
    expect(covers(undefined, ['cart'])).toBe(true);
    expect(covers(new Set(['auth']), ['auth'])).toBe(true);
    expect(covers(new Set(['auth']), ['auth', 'cart'])).toBe(false);
    expect(covers(new Set(['auth']), undefined)).toBe(false);
    expect(covers(new Set(['auth']), [])).toBe(false);
  });

  it('names the groups a command needs', () => {
    expect(groupsOf({ kind: 'put', group: 'cart', name: 'a', value: 1 })).toEqual(['cart']);
    expect(groupsOf({ kind: 'delete', group: 'auth', name: 'a' })).toEqual(['auth']);
    expect(groupsOf({ kind: 'record_action', action: 'view' })).toEqual([]);
    expect(groupsOf({ kind: 'end', reason: 'client' })).toEqual([]);
  });

  it('completes a partial state from a whole one at the same version, keeping its own groups and core', () => {
    const created = decide({ kind: 'create', sessionId: 's', shard: 1, userId: null, groups: { auth: { t: 1 }, cart: { a: 2 } } }, undefined, policy, ctx());
    const whole = replay(created)!;
    const partial = { ...whole, groups: { auth: { t: 1 } }, lastActivityAt: whole.lastActivityAt + 5 };
    const done = completeWith(partial, new Set(['auth']), whole)!;
    expect(done.groups).toEqual({ auth: { t: 1 }, cart: { a: 2 } });
    expect(done.lastActivityAt).toBe(partial.lastActivityAt);
    expect(completeWith(partial, new Set(['auth']), { ...whole, version: 2 })).toBeUndefined();
  });
});
