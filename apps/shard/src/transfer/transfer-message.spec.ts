import { decide, replay } from '@foresight/session-domain';
import { checkSession, coreOf, isFetchRequest, isTransferProposal, stateOf, verifiedFetch, type TransferredSession } from './transfer-message';
import { ctx, policy } from './session-fixture';

const state = replay(
  decide({ kind: 'create', sessionId: 's', shard: 1, userId: 'u', groups: { auth: { t: 'tok' }, cart: { items: [1, 2] } } }, undefined, policy, ctx()),
)!;
const entry = (over: Partial<TransferredSession> = {}): TransferredSession => ({
  core: coreOf(state),
  plan: { auth: { mode: 'immediate', reason: 'always', bytes: 5, p: 1 }, cart: { mode: 'lazy', reason: 'budget', bytes: 5, p: 0.2 } },
  values: { auth: { t: 'tok' } },
  ...over,
});

describe('transfer proposals', () => {
  it('accepts a well-formed proposal and refuses wrong shapes', () => {
    expect(isTransferProposal({ planId: 'p', shards: [{ shard: 1, epoch: 2 }], sessions: [entry()] })).toBe(true);
    expect(isTransferProposal({ planId: 'p', shards: [], sessions: [entry()] })).toBe(false);
    expect(isTransferProposal({ planId: 'p', shards: [{ shard: 1, epoch: 0 }], sessions: [] })).toBe(false);
    expect(isTransferProposal({ planId: 'p', shards: [{ shard: 1, epoch: 2 }], sessions: [{ ...entry(), core: { ...coreOf(state), status: 'ended' } }] })).toBe(
      false,
    );
    expect(isTransferProposal('garbage')).toBe(false);
  });

  it('checks that pushed values are those of immediate groups, whole, with the sizes the core records', () => {
    expect(checkSession(entry())).toBe(true);
    expect(checkSession(entry({ values: { auth: { t: 'other size' } } }))).toBe(false);
    expect(checkSession(entry({ values: { auth: { t: 'tok' }, cart: { items: [1, 2] } } }))).toBe(false);
    expect(checkSession(entry({ values: {} }))).toBe(false);
  });

  it('rebuilds the held state: the core and the pushed groups only', () => {
    const held = stateOf(entry());
    expect(held.version).toBe(1);
    expect(held.totalBytes).toBe(state.totalBytes);
    expect(held.groups).toEqual({ auth: { t: 'tok' } });
  });
});

describe('lazy fetch messages', () => {
  const asked = { version: state.version, groups: ['cart'] };

  it('accepts a request with the pushed version, the head and the groups, and nothing else', () => {
    expect(isFetchRequest({ sessionId: 's', version: 1, head: 2, groups: ['cart'] })).toBe(true);
    expect(isFetchRequest({ sessionId: 's', version: 0, head: 2, groups: ['cart'] })).toBe(false);
    expect(isFetchRequest({ sessionId: 's', version: 1, head: 2, groups: [] })).toBe(false);
    expect(isFetchRequest({ sessionId: 's', version: '1', head: 2, groups: ['cart'] })).toBe(false);
  });

  it('keeps an answer only at the version asked for, with exactly the variables and sizes the core records', () => {
    expect(verifiedFetch({ version: state.version, values: { cart: { items: [1, 2] } } }, asked, state.sizes)).toEqual({ cart: { items: [1, 2] } });
    // A group the old owner does not hold is simply absent.
    expect(verifiedFetch({ version: state.version, values: {} }, asked, state.sizes)).toEqual({});
    // Another version, a value of another size, a variable too many or too few, a group not asked for, garbage.
    expect(verifiedFetch({ version: state.version + 1, values: { cart: { items: [1, 2] } } }, asked, state.sizes)).toBeUndefined();
    expect(verifiedFetch({ version: state.version, values: { cart: { items: [1, 2, 3] } } }, asked, state.sizes)).toBeUndefined();
    expect(verifiedFetch({ version: state.version, values: { cart: { items: [1, 2], more: 1 } } }, asked, state.sizes)).toBeUndefined();
    expect(verifiedFetch({ version: state.version, values: { cart: {} } }, asked, state.sizes)).toBeUndefined();
    expect(verifiedFetch({ version: state.version, values: { auth: { t: 'tok' } } }, asked, state.sizes)).toBeUndefined();
    expect(verifiedFetch('garbage', asked, state.sizes)).toBeUndefined();
  });
});
