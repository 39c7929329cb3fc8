import { decide, replay } from '@foresight/session-domain';
import { checkSession, coreOf, isTransferProposal, stateOf, type TransferredSession } from './transfer-message';
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
