import { isCacheError } from '../errors';
import { actionShape, keyToTemplate } from './action-shape';
import { DeclaredRequirements } from './declared';
import { LearnedRequirements } from './learned';
import { RequirementResolver } from './resolver';

describe('declared requirements', () => {
  it('fills templates from the action and the context, and skips unfillable ones with a reason', () => {
    const d = new DeclaredRequirements();
    d.declare('view_product:{id}', ['product:{id}', 'reviews:{id}', 'cart:{userId}', 'bad key:{id}'.replace(' ', '_'), 'x:{id}{id}']);
    const r = d.resolve('view_product:42');
    expect(r.keys).toEqual(['product:42', 'reviews:42', 'bad_key:42', 'x:4242']);
    expect(r.skipped).toEqual([{ template: 'cart:{userId}', reason: 'UNBOUND_PLACEHOLDER', detail: 'no value for {userId}' }]);
    expect(d.resolve('view_product:42', { userId: 'u7' }).keys).toContain('cart:u7');
    expect(d.resolve('view_category:3').keys).toEqual([]);
  });

  it('reports a filled key that is not a valid cache key', () => {
    const d = new DeclaredRequirements();
    d.declare('search', ['results:{q}']);
    expect(d.resolve('search', { q: 'red shoes' }).skipped[0]).toMatchObject({ reason: 'INVALID_KEY' });
  });

  it('uses the most specific matching pattern and rejects malformed templates with a code', () => {
    const d = new DeclaredRequirements();
    d.declare('view:{x}', ['generic:{x}']);
    d.declare('view:home', ['home']);
    expect(d.resolve('view:home').keys).toEqual(['home']);
    expect(d.resolve('view:9').keys).toEqual(['generic:9']);
    for (const [pattern, templates] of [
      ['view:{id', ['a']],
      ['view:{id}', ['product:*']],
      ['view:{id}:{id}', ['a']],
      ['view:{id}', ['p:{ id }']],
    ] as const) {
      try {
        d.declare(pattern, templates);
        throw new Error(`accepted ${pattern}`);
      } catch (e) {
        expect(isCacheError(e, 'REQUIREMENT.INVALID_TEMPLATE')).toBe(true);
      }
    }
  });
});

describe('learned requirements', () => {
  it('generalises actions and keys over numeric parameters', () => {
    expect(actionShape('view:product:42')).toEqual({ shape: 'view:product:{0}', params: ['42'] });
    expect(keyToTemplate('reviews:42:page:1', ['42'])).toBe('reviews:{0}:page:1');
  });

  it('learns keys read after an action once support and confidence pass, for unseen parameter values', () => {
    const l = new LearnedRequirements({ minSupport: 3, minConfidence: 0.5 });
    const visit = (session: string, id: number, reads: string[]) => {
      l.onAction(session, `view:${id}`);
      for (const r of reads) l.onRead(session, r);
    };
    visit('s1', 1, ['product:1', 'reviews:1', 'banner:home']);
    visit('s1', 2, ['product:2', 'banner:home']);
    expect(l.requirementsFor('view:99')).toEqual([]);
    visit('s2', 3, ['product:3', 'product:3']);
    visit('s2', 4, ['product:4', 'reviews:4']);
    l.endSession('s1');
    l.endSession('s2');
    const reqs = l.requirementsFor('view:99');
    expect(reqs.map((r) => r.key)).toEqual(['product:99']);
    expect(reqs[0]!.confidence).toBeCloseTo(1, 5);
    expect(reqs[0]!.support).toBeCloseTo(4, 1);
  });

  it('exports its evidence and a fresh instance importing it answers the same; imports merge and skip garbage', () => {
    const l = new LearnedRequirements({ minSupport: 3, minConfidence: 0.5 });
    for (let i = 0; i < 4; i++) {
      l.onAction('s', `view:${i}`);
      l.onRead('s', `product:${i}`);
      if (i % 2 === 0) l.onRead('s', `reviews:${i}`);
    }
    l.endSession('s');
    const evidence = JSON.parse(JSON.stringify(l.exportEvidence())) as ReturnType<typeof l.exportEvidence>;
    const restored = new LearnedRequirements({ minSupport: 3, minConfidence: 0.5 });
    expect(restored.importEvidence(evidence)).toBe(1);
    expect(restored.requirementsFor('view:9')).toEqual(l.requirementsFor('view:9'));
    expect(restored.requirementsFor('view:9').map((r) => r.key)).toEqual(['product:9']);
    // Merging a second node's evidence adds up; malformed entries are skipped.
    const garbage = [{ shape: 42 }, { shape: 'x', n: -1, templates: [] }, { shape: 'view:{0}', n: 2, templates: [['reviews:{0}', 2], ['bad', 'x'], 'junk'] }];
    expect(restored.importEvidence(garbage as never)).toBe(1);
    expect(
      restored
        .requirementsFor('view:9')
        .map((r) => r.key)
        .sort(),
    ).toEqual(['product:9', 'reviews:9']);
  });

  it('forgets a requirement when behaviour changes (decay)', () => {
    const l = new LearnedRequirements({ minSupport: 1, minConfidence: 0.5, halfLife: 5 });
    for (let i = 0; i < 30; i++) {
      l.onAction('s', `open:${i}`);
      l.onRead('s', `old:${i}`);
    }
    l.endSession('s');
    expect(l.requirementsFor('open:1').map((r) => r.key)).toEqual(['old:1']);
    for (let i = 0; i < 10; i++) {
      l.onAction('s', `open:${i}`);
      l.onRead('s', `new:${i}`);
    }
    l.endSession('s');
    expect(l.requirementsFor('open:1').map((r) => r.key)).toEqual(['new:1']);
  });

  it('combines with declarations in the resolver; declared keys weigh 1, learned ones their confidence', () => {
    const d = new DeclaredRequirements();
    d.declare('view:{id}', ['product:{id}']);
    const l = new LearnedRequirements({ minSupport: 1, minConfidence: 0.3 });
    for (let i = 0; i < 4; i++) {
      l.onAction('s', `view:${i}`);
      l.onRead('s', `product:${i}`);
      if (i % 2 === 0) l.onRead('s', `stock:${i}`);
    }
    l.endSession('s');
    const r = new RequirementResolver(d, l).resolve('view:7');
    expect(r.keys).toEqual([
      { key: 'product:7', weight: 1, source: 'declared' },
      { key: 'stock:7', weight: expect.closeTo(0.5, 1), source: 'learned' },
    ]);
  });
});
