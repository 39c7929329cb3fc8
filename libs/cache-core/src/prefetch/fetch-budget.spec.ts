import { seededRng } from '@foresight/random';
import { DemandBaseline } from './demand-baseline';
import { FetchBudgetController, type BudgetWindow } from './fetch-budget';

const window = (w: Partial<BudgetWindow>): BudgetWindow => ({ baselineMisses: 100, fetches: 100, used: 0, wasted: 0, wanted: 0, denied: 0, ...w });

/**
 * A node whose prefetch volume falls as the threshold rises: per window, 100 reads a demand-only
 * cache would miss, `demand` of them still missed, plus prefetches for every candidate at least as
 * likely as the threshold (candidate probabilities spread log-uniformly), Poisson-like noise.
 */
function simulate(c: FetchBudgetController, windows: number, demand: number, candidates: number, seed: number, onWindow?: (i: number) => void): number[] {
  const rng = seededRng(seed);
  const thresholds: number[] = [];
  for (let i = 0; i < windows; i++) {
    const share = Math.max(0, Math.log(1 / c.threshold) / Math.log(1 / 0.001)); // share of candidates above the threshold
    const want = candidates * share * (0.9 + 0.2 * rng());
    const granted = Math.min(want, Math.max(0, c.budget * 100 - demand + c.tokens));
    const fetches = demand + granted;
    c.account(100, fetches);
    c.adjust(window({ fetches, used: granted * 0.6, wasted: granted * 0.4, wanted: want, denied: want - granted }));
    thresholds.push(c.threshold);
    onWindow?.(i);
  }
  return thresholds;
}

describe('FetchBudgetController', () => {
  it('tightens when a window spends over budget, and when the bucket refuses many candidates', () => {
    const over = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(over.adjust(window({ fetches: 200 }))).toBe('tighten');
    expect(over.threshold).toBeGreaterThan(0.05);
    const refused = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(refused.adjust(window({ fetches: 125, wanted: 40, denied: 20 }))).toBe('tighten');
    expect(refused.threshold).toBeGreaterThan(0.05);
  });

  it('loosens when under budget with prefetches that are read; tightens, even under budget, when they are mostly thrown away', () => {
    const good = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(good.adjust(window({ fetches: 90, used: 30, wasted: 10 }))).toBe('loosen');
    expect(good.threshold).toBeLessThan(0.05);
    const poor = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(poor.adjust(window({ fetches: 90, used: 5, wasted: 40 }))).toBe('tighten');
    expect(poor.threshold).toBeGreaterThan(0.05);
    const borderline = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(borderline.adjust(window({ fetches: 90, used: 20, wasted: 20 }))).toBe('hold');
  });

  it('judged at the margin, holds the prefetches the threshold adds or removes to the floor, not their average', () => {
    // Likely prefetches are read 70% of the time, those just above the threshold 20%: victims are worth 0.4.
    const w = window({ fetches: 90, used: 35, wasted: 15, marginalUsed: 2, marginalWasted: 8, victimReuse: 0.4 });
    expect(new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 }).adjust(w)).toBe('loosen');
    const marginal = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05, judge: 'marginal' });
    expect(marginal.adjust(w)).toBe('tighten');
    expect(marginal.snapshot.marginalPrecision).toBeCloseTo(0.2, 10);
    // Too few marginal prefetches resolved: the average judges.
    const few = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05, judge: 'marginal' });
    expect(few.adjust(window({ fetches: 90, used: 35, wasted: 15, marginalUsed: 0, marginalWasted: 3, victimReuse: 0.4 }))).toBe('loosen');
  });

  it('holds prefetches to the measured worth of what they push out, not to a fixed precision', () => {
    // Victims rarely read again (a large catalogue): prefetches read 15% of the time are worth it.
    const cold = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(cold.adjust(window({ fetches: 90, used: 15, wasted: 85, victimReuse: 0.04 }))).toBe('loosen');
    expect(cold.snapshot.precisionFloor).toBeCloseTo(0.04, 10);
    // Victims often read again (a small hot set): the same prefetches pollute the cache.
    const hot = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(hot.adjust(window({ fetches: 90, used: 40, wasted: 60, victimReuse: 0.6 }))).toBe('tighten');
    // A fixed floor, when configured, wins over the measurement.
    const fixed = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05, minPrecision: 0.1 });
    expect(fixed.adjust(window({ fetches: 90, used: 40, wasted: 60, victimReuse: 0.6 }))).toBe('loosen');
  });

  it('probes again when a raised threshold leaves nothing to measure', () => {
    const c = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(c.adjust(window({ fetches: 90, used: 1, wasted: 30 }))).toBe('tighten'); // a bad spell
    // Nothing prefetched since, so nothing resolved: under budget, it loosens instead of staying up.
    expect(c.adjust(window({ fetches: 80 }))).toBe('loosen');
  });

  it('holds within the band around the budget', () => {
    const c = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    expect(c.adjust(window({ fetches: 125, used: 20, wasted: 5, wanted: 30, denied: 1 }))).toBe('hold');
    expect(c.threshold).toBeCloseTo(0.05, 10);
  });

  it('settles on a stationary stream: on budget, few reversals, a threshold that stops moving', () => {
    const c = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.005 });
    const spends: number[] = [];
    const t = simulate(c, 300, 90, 120, 7, () => spends.push(c.snapshot.spend!));
    const late = t.slice(150);
    let reversals = 0;
    for (let i = 2; i < late.length; i++) if (Math.sign(late[i]! - late[i - 1]!) * Math.sign(late[i - 1]! - late[i - 2]!) < 0) reversals++;
    expect(reversals).toBeLessThan(15);
    expect(Math.max(...late) / Math.min(...late)).toBeLessThan(1.25);
    const meanSpend = spends.slice(150).reduce((a, b) => a + b, 0) / 150;
    expect(meanSpend).toBeGreaterThan(0.8);
    expect(meanSpend).toBeLessThanOrEqual(1.05);
  });

  it('follows a drift: a more expensive stream raises the threshold, a cheaper one lowers it again', () => {
    const c = new FetchBudgetController({ budget: 1.3, initialThreshold: 0.05 });
    const calm = simulate(c, 100, 90, 120, 1).at(-1)!;
    const busy = simulate(c, 100, 110, 120, 2).at(-1)!;
    const calmAgain = simulate(c, 150, 90, 120, 3).at(-1)!;
    expect(busy).toBeGreaterThan(calm * 1.5);
    expect(calmAgain).toBeLessThan(busy / 1.5);
  });

  it('never saves up more than a burst of tokens, and lets demand fetches run it into debt', () => {
    const c = new FetchBudgetController({ budget: 2, initialThreshold: 0.05, burst: 10 });
    c.account(1000, 0);
    expect(c.tokens).toBe(10);
    c.account(0, 50);
    expect(c.tokens).toBe(-10);
    c.account(5, 0);
    expect(c.tokens).toBe(0);
  });

  it('refuses a budget below what a demand-only cache fetches', () => {
    expect(() => new FetchBudgetController({ budget: 0.5, initialThreshold: 0.05 })).toThrow(/fetchBudget/);
  });
});

describe('DemandBaseline', () => {
  it('counts the misses of an LRU cache of the same byte budget, honouring expiry and invalidation', () => {
    const b = new DemandBaseline(2);
    const miss = (key: string, now = 0, ttl?: number) => b.read(key, 1, now, ttl);
    expect([miss('a'), miss('b'), miss('a'), miss('c'), miss('b'), miss('a')]).toEqual([true, true, false, true, true, true]);
    b.invalidate('a');
    expect(miss('a')).toBe(true);
    expect(miss('x', 0, 10)).toBe(true);
    expect(miss('x', 5)).toBe(false);
    expect(miss('x', 20)).toBe(true);
    expect(b.misses).toBe(8);
  });

  it('remembers what it evicted for one more budget: a miss found there is a victim read again', () => {
    const b = new DemandBaseline(2);
    for (const k of ['a', 'b', 'c', 'd']) b.read(k, 1, 0, undefined); // evicts a, then b
    expect(b.evictions).toBe(2);
    b.read('a', 1, 0, undefined); // a was a victim: read again soon
    expect(b.ghostHits).toBe(1);
    for (const k of ['e', 'f', 'g', 'h']) b.read(k, 1, 0, undefined); // b leaves the ghost list too
    b.read('b', 1, 0, undefined);
    expect(b.ghostHits).toBe(1);
  });
});
