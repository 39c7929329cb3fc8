import { seededRng } from '@foresight/random';
import { ManualClock } from '@foresight/time';
import { ForesightPolicy } from '../eviction/foresight-policy';
import { ProtectionTable } from '../eviction/protection-table';
import { DeclaredRequirements } from '../requirements/declared';
import { RequirementResolver } from '../requirements/resolver';
import { ByteCache } from '../store/byte-cache';
import { FetchBudgetMeter, PrefetchVictimGhost, VictimGhost, type VictimMeasure } from './budget-meter';
import { PredictiveCache } from './predictive-cache';
import type { ActionPredictor } from './predictor';
import { fakeOrigin, flush } from './test-origin';

/** A model that is mostly wrong: after any page it names five random pages of 200, each p = 0.15. */
function scattered(seed: number): ActionPredictor {
  const rng = seededRng(seed);
  return { predict: () => Array.from({ length: 5 }, () => ({ action: `view:${Math.floor(rng() * 200)}`, p: 0.15 })) };
}

/** Sessions of 10 reads over 200 pages, one session at a time; returns fetches and what a demand-only cache needs. */
async function drive(fetchBudget: number | undefined, victimMeasure?: VictimMeasure, budgetJudge?: 'all' | 'marginal') {
  const clock = new ManualClock();
  const { registry, calls } = fakeOrigin(clock, 5);
  const protection = new ProtectionTable();
  const cache = new ByteCache<string>({ budgetBytes: 20, policy: new ForesightPolicy({ protection }), clock });
  const declared = new DeclaredRequirements();
  declared.declare('view:{id}', ['page:{id}']);
  const node = new PredictiveCache<string>({
    cache,
    origins: registry,
    requirements: new RequirementResolver(declared),
    clock,
    predictor: scattered(3),
    protection,
    planner: { secondHopWidth: 0 },
    defaultSizeBytes: 1,
    fetchBudget,
    victimMeasure,
    budgetJudge,
  });
  const rng = seededRng(9);
  for (let s = 0; s < 300; s++) {
    for (let i = 0; i < 10; i++) {
      const page = Math.floor(rng() * rng() * 200); // skewed: a demand-only cache hits sometimes
      node.recordAction(`s${s}`, `view:${page}`);
      const read = node.get(`s${s}`, `page:${page}`);
      for (let t = 0; t < 4; t++) {
        clock.advance(5);
        await flush();
      }
      await read;
    }
    node.endSession(`s${s}`);
  }
  return { fetches: calls.length, stats: node.budgetStats };
}

describe('PredictiveCache under a fetch budget', () => {
  it('keeps origin fetches within the budget of a demand-only cache even with a model that is mostly wrong', async () => {
    const free = await drive(undefined);
    const capped = await drive(1.3);
    const baseline = capped.stats!.baselineFetches;
    expect(free.fetches).toBeGreaterThan(2 * baseline); // without a budget the model over-fetches
    expect(capped.fetches).toBeLessThanOrEqual(1.3 * baseline + 64);
    expect(capped.stats!.fetches).toBe(capped.fetches);
    expect(capped.stats!.threshold).toBeGreaterThan(0.05); // the wasted prefetches pushed the threshold up
  }, 60_000);

  it("prices prefetches by the node's own victims when asked, and still keeps within the budget", async () => {
    const capped = await drive(1.3, 'own');
    const baseline = capped.stats!.baselineFetches;
    expect(capped.fetches).toBeLessThanOrEqual(1.3 * baseline + 64);
    // The own victims were measured: the floor moved off its 0.5 start.
    expect(capped.stats!.precisionFloor).not.toBe(0.5);
  }, 60_000);

  it('prices prefetches by the victims of its own prefetches when asked, and still keeps within the budget', async () => {
    const capped = await drive(1.3, 'prefetch');
    const baseline = capped.stats!.baselineFetches;
    expect(capped.fetches).toBeLessThanOrEqual(1.3 * baseline + 64);
    expect(capped.stats!.precisionFloor).not.toBe(0.5);
    // Random pages pushed out by random prefetches are rarely read again soon: a low price.
    expect(capped.stats!.precisionFloor).toBeLessThan(0.5);
  }, 60_000);

  it('measures the precision of the prefetches admitted near the threshold when judged at the margin', async () => {
    const capped = await drive(1.3, 'prefetch', 'marginal');
    expect(capped.fetches).toBeLessThanOrEqual(1.3 * capped.stats!.baselineFetches + 64);
    expect(capped.stats!.marginalPrecision).toBeGreaterThanOrEqual(0);
    expect(capped.stats!.marginalPrecision).toBeLessThan(0.5); // the scattered model is mostly wrong
    expect((await drive(1.3, 'prefetch')).stats!.marginalPrecision).toBeUndefined();
  }, 60_000);
});

describe('FetchBudgetMeter.admit', () => {
  it("keeps the admitted requests in the plan's order, whatever their priorities", () => {
    const meter = new FetchBudgetMeter(1.3, 0.01, 1000, () => ({ fetches: 0, used: 0, wasted: 0 }));
    const plan = [
      { key: 'product:9', priority: 1, p: 0.9 },
      { key: 'reviews:9', priority: 5, p: 0.9 },
      { key: 'unlikely:9', priority: 9, p: 0.001 },
    ];
    expect(meter.admit(plan, () => false, 0).map((r) => r.key)).toEqual(['product:9', 'reviews:9']);
  });
});

describe('VictimGhost', () => {
  it('counts a read of a recent victim once, and forgets victims beyond its byte budget', () => {
    const ghost = new VictimGhost(3);
    ghost.evicted('a', 1);
    ghost.evicted('b', 1);
    ghost.read('a');
    ghost.read('a');
    expect(ghost.hits).toBe(1);
    ghost.evicted('c', 1);
    ghost.evicted('d', 1);
    ghost.evicted('e', 1); // b falls out: c, d, e fill the 3 bytes
    ghost.read('b');
    expect(ghost.hits).toBe(1);
    ghost.read('e');
    expect({ hits: ghost.hits, evictions: ghost.evictions }).toEqual({ hits: 2, evictions: 5 });
  });
});

describe('PrefetchVictimGhost', () => {
  it('remembers only the victims of prefetches, for one budget of evicted bytes of any kind', () => {
    const ghost = new PrefetchVictimGhost(3);
    ghost.evicted('a', 1, true);
    ghost.evicted('b', 1, false); // a demand load's victim: ages the list, not counted
    ghost.read('b');
    expect({ hits: ghost.hits, evictions: ghost.evictions }).toEqual({ hits: 0, evictions: 1 });
    ghost.read('a');
    ghost.read('a');
    expect(ghost.hits).toBe(1);
    ghost.evicted('c', 1, true);
    ghost.evicted('d', 1, false);
    ghost.evicted('e', 1, false);
    ghost.read('c'); // 3 bytes evicted since c: still remembered
    expect(ghost.hits).toBe(2);
    ghost.evicted('f', 1, true);
    for (const k of ['g', 'h', 'i', 'j']) ghost.evicted(k, 1, false); // 4 bytes since f: forgotten
    ghost.read('f');
    expect({ hits: ghost.hits, evictions: ghost.evictions }).toEqual({ hits: 2, evictions: 3 });
  });
});
