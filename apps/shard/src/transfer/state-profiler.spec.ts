import { NextAccessModel } from './next-access-model';
import { StateProfiler } from './state-profiler';

const groups = ['auth', 'cart', 'app'];

describe('StateProfiler', () => {
  it('counts reads and writes per group, with recency and a decayed rate', () => {
    const p = new StateProfiler({ groups, maxSessions: 10, halfLifeMs: 10_000 });
    for (let t = 0; t < 10; t++) p.record('s', ['cart'], 'read', t * 1000);
    p.record('s', ['cart'], 'write', 9_500);
    p.record('s', undefined, 'read', 10_000);
    const prof = p.profile('s', 12_000)!;
    expect(prof.cart.reads).toBe(11);
    expect(prof.cart.writes).toBe(1);
    expect(prof.cart.readShare).toBeCloseTo(11 / 12);
    expect(prof.cart.idleMs).toBe(2_000);
    expect(prof.auth.reads).toBe(1);
    // About one access a second over the last seconds; auth had one in 12 s.
    expect(prof.cart.rate).toBeGreaterThan(0.5);
    expect(prof.cart.rate).toBeGreaterThan(5 * prof.auth.rate);
    expect(p.profile('other', 0)).toBeUndefined();
  });

  it('tells regular gaps (periodic) from irregular ones (bursty)', () => {
    const p = new StateProfiler({ groups, maxSessions: 10, halfLifeMs: 60_000 });
    for (let i = 0; i < 12; i++) p.record('tick', ['app'], 'read', i * 5_000);
    const bursts = [0, 10, 20, 30, 20_000, 20_010, 20_020, 60_000, 60_005, 60_010, 61_000];
    for (const t of bursts) p.record('burst', ['app'], 'read', t);
    expect(p.profile('tick', 60_000)!.app.pattern).toBe('periodic');
    expect(p.profile('tick', 60_000)!.app.gapMs).toBeCloseTo(5_000);
    expect(p.profile('burst', 61_000)!.app.pattern).toBe('bursty');
    expect(p.profile('burst', 61_000)!.cart.pattern).toBe('unknown');
  });

  it('stays within its session bound, forgetting the least recently used', () => {
    const p = new StateProfiler({ groups, maxSessions: 3, halfLifeMs: 1000 });
    for (const id of ['a', 'b', 'c']) p.record(id, ['auth'], 'read', 0);
    p.record('a', ['auth'], 'read', 1);
    p.record('d', ['auth'], 'read', 2);
    expect(p.size).toBe(3);
    expect(p.profile('b', 3)).toBeUndefined();
    expect(p.profile('a', 3)).toBeDefined();
    expect(p.bytes).toBe(3 * groups.length * 7 * 8);
  });

  it('ignores groups it does not know and forgets a session on demand', () => {
    const p = new StateProfiler({ groups, maxSessions: 3, halfLifeMs: 1000 });
    p.record('a', ['nope'], 'write', 0);
    expect(p.profile('a', 0)!.auth.reads).toBe(0);
    p.forget('a');
    expect(p.size).toBe(0);
  });

  it('teaches its model: groups used every second become likely, groups left alone unlikely', () => {
    const model = new NextAccessModel(5_000, 0.1);
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const p = new StateProfiler({ groups, maxSessions: 1000, halfLifeMs: 30_000, model, trainEvery: 1, random });
    for (let s = 0; s < 200; s++) {
      const id = `s${s}`;
      for (let t = 0; t < 20; t++) p.record(id, ['cart'], 'read', t * 1000);
      p.record(id, ['app'], 'read', 0);
      p.forget(id, 60_000);
    }
    expect(model.trainedOn).toBeGreaterThan(3000);
    const hot = { rate: 1, readShare: 1, idleMs: 500, reads: 20, writes: 0, gapMs: 1000, pattern: 'periodic' as const };
    const cold = { rate: 0.001, readShare: 1, idleMs: 55_000, reads: 1, writes: 0, gapMs: 0, pattern: 'unknown' as const };
    expect(model.predict(hot)).toBeGreaterThan(0.9);
    expect(model.predict(cold)).toBeLessThan(0.1);
  });
});
