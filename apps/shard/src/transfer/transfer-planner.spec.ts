import type { GroupProfile } from './state-profiler';
import { bytesByGroup, planTransfer, type PlanCandidate, type PlannerRules } from './transfer-planner';

const rules: PlannerRules = {
  alwaysImmediate: ['auth'],
  reconstructable: ['derived'],
  budgetBytes: 10_000,
  largeBytes: 50_000,
  rareBelow: 0.2,
  minChance: 0.05,
};
const prof = (p: number): GroupProfile => ({ rate: p, readShare: 1, idleMs: 0, reads: 1, writes: 0, gapMs: 0, pattern: 'unknown' });
/** The chance is the profile's rate; no profile: 0.1. */
const chance = (p: GroupProfile | undefined) => p?.rate ?? 0.1;

function session(id: string, groupBytes: Record<string, number>, chances: Record<string, number> = {}): PlanCandidate {
  return {
    sessionId: id,
    shard: 1,
    version: 3,
    groupBytes,
    coreBytes: 100,
    profile: Object.fromEntries(Object.entries(chances).map(([g, p]) => [g, prof(p)])),
  };
}

describe('planTransfer', () => {
  it('always pushes the auth group, never the rebuilt ones, and leaves large rarely read groups lazy', () => {
    const plan = planTransfer([session('a', { auth: 50_000, derived: 10, cart: 60_000, app: 0 }, { auth: 0, cart: 0.1 })], rules, chance);
    const g = plan.sessions[0].groups;
    expect(g.auth).toMatchObject({ mode: 'immediate', reason: 'always' });
    expect(g.derived).toMatchObject({ mode: 'reconstructable', reason: 'rebuilt' });
    expect(g.cart).toMatchObject({ mode: 'lazy', reason: 'large_rare' });
    expect(g.app).toMatchObject({ mode: 'lazy', reason: 'empty' });
    expect(plan.sessions[0].immediateBytes).toBe(50_100);
    expect(plan.fullBytes).toBe(110_110);
  });

  it('spends the budget on the most likely bytes first, and the rest goes lazy', () => {
    const plan = planTransfer(
      [session('a', { cart: 4_000, app: 4_000 }, { cart: 0.9, app: 0.3 }), session('b', { cart: 4_000, app: 1_000 }, { cart: 0.8, app: 0.01 })],
      rules,
      chance,
    );
    const [a, b] = plan.sessions;
    expect(a.groups.cart).toMatchObject({ mode: 'immediate', reason: 'likely' });
    expect(b.groups.cart).toMatchObject({ mode: 'immediate', reason: 'likely' });
    expect(a.groups.app).toMatchObject({ mode: 'lazy', reason: 'budget' });
    expect(b.groups.app).toMatchObject({ mode: 'lazy', reason: 'unlikely' });
    expect(plan.immediateBytes).toBe(8_200);
    expect(plan.immediateBytes - 200).toBeLessThanOrEqual(rules.budgetBytes);
  });

  it('is deterministic: the same input gives the same plan whatever the order of equal candidates', () => {
    const xs = [session('b', { cart: 6_000 }, { cart: 0.5 }), session('a', { cart: 6_000 }, { cart: 0.5 })];
    const one = planTransfer(xs, rules, chance);
    const two = planTransfer([...xs].reverse(), rules, chance);
    const immediate = (p: typeof one) => p.sessions.filter((s) => s.groups.cart.mode === 'immediate').map((s) => s.sessionId);
    expect(immediate(one)).toEqual(['a']);
    expect(immediate(two)).toEqual(['a']);
  });

  it('pushes by value, not by what fits: below the chance threshold a small group stays lazy with the budget unspent', () => {
    const plan = planTransfer(
      [session('a', { auth: 100, profile: 50, cart: 300, app: 2_000 }, { auth: 0.9, profile: 0.7, cart: 0.3, app: 0.2 })],
      { ...rules, minChance: 0.5, budgetBytes: 1_000_000 },
      chance,
    );
    const g = plan.sessions[0].groups;
    expect(g.auth).toMatchObject({ mode: 'immediate', reason: 'always' });
    expect(g.profile).toMatchObject({ mode: 'immediate', reason: 'likely' });
    expect(g.cart).toMatchObject({ mode: 'lazy', reason: 'unlikely' });
    expect(g.app).toMatchObject({ mode: 'lazy', reason: 'unlikely' });
    expect(plan.immediateBytes).toBe(250);
    expect(plan.immediateBytes / plan.fullBytes).toBeLessThan(0.1);
  });

  it('with no budget pushes only cores and the always-immediate groups', () => {
    const plan = planTransfer([session('a', { auth: 10, cart: 10 }, { cart: 1 })], { ...rules, budgetBytes: 0 }, chance);
    expect(plan.sessions[0].groups.cart.mode).toBe('lazy');
    expect(plan.immediateBytes).toBe(110);
  });

  it('sums bytes per group from a sizes map, ignoring unknown groups', () => {
    expect(bytesByGroup({ 'cart/items': 10, 'cart/n': 2, 'auth/t': 5, 'x/y': 9 }, ['auth', 'cart', 'app'])).toEqual({ auth: 5, cart: 12, app: 0 });
  });
});
