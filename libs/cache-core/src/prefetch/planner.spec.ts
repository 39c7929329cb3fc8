import type { RequiredKey } from '../requirements/resolver';
import { PrefetchPlanner } from './planner';
import { indexedPredictor, type ActionPredictor } from './predictor';

/** Predictor from a table: last action → distribution. */
function tablePredictor(table: Record<string, Record<string, number>>): ActionPredictor {
  return {
    predict: (history, n) =>
      Object.entries(table[history[history.length - 1] ?? ''] ?? {})
        .map(([action, p]) => ({ action, p }))
        .sort((a, b) => b.p - a.p)
        .slice(0, n),
  };
}

const identity = (action: string): RequiredKey[] => [{ key: `k:${action}`, weight: 1, source: 'declared' }];

describe('PrefetchPlanner', () => {
  const table = {
    a: { b: 0.6, c: 0.3, d: 0.04, e: 0.06 },
    b: { x: 0.5, c: 0.5 },
    c: { y: 1 },
  };

  it('adapts its depth to confidence: only keys above the threshold, most likely first', () => {
    const plan = new PrefetchPlanner(tablePredictor(table), { minProbability: 0.05, secondHopWidth: 0 }).plan(['a'], identity);
    expect(plan).toEqual([
      { key: 'k:b', p: 0.6 },
      { key: 'k:c', p: 0.3 },
      { key: 'k:e', p: 0.06 },
    ]);
  });

  it('plans down to (or up to) a threshold its caller passes instead of the configured one', () => {
    const planner = new PrefetchPlanner(tablePredictor(table), { minProbability: 0.05, secondHopWidth: 0 });
    expect(planner.plan(['a'], identity, 0.01).map((k) => k.key)).toEqual(['k:b', 'k:c', 'k:e', 'k:d']);
    expect(planner.plan(['a'], identity, 0.5).map((k) => k.key)).toEqual(['k:b']);
    expect(planner.minP).toBe(0.05);
  });

  it('adds second-hop probabilities of the most likely next actions', () => {
    const plan = new PrefetchPlanner(tablePredictor(table), { minProbability: 0.05, secondHopWidth: 2, secondHopMinProbability: 0.2 }).plan(['a'], identity);
    const p = Object.fromEntries(plan.map((k) => [k.key, k.p]));
    expect(p['k:c']).toBeCloseTo(0.3 + 0.6 * 0.5, 10);
    expect(p['k:x']).toBeCloseTo(0.6 * 0.5, 10);
    expect(p['k:y']).toBeCloseTo(0.3 * 1, 10);
  });

  it('with no threshold and top-N it is a fixed-depth prefetcher', () => {
    const plan = new PrefetchPlanner(tablePredictor(table), { topN: 3, minProbability: 0, secondHopWidth: 0 }).plan(['a'], identity);
    expect(plan.map((k) => k.key)).toEqual(['k:b', 'k:c', 'k:e']);
  });

  it('weighs keys by requirement confidence and sums over actions needing the same key', () => {
    const req = (action: string): RequiredKey[] => [
      { key: 'shared', weight: 0.5, source: 'learned' },
      { key: `k:${action}`, weight: 1, source: 'declared' },
    ];
    const plan = new PrefetchPlanner(tablePredictor(table), { minProbability: 0.05, secondHopWidth: 0 }).plan(['a'], req);
    expect(plan.find((k) => k.key === 'shared')!.p).toBeCloseTo(0.5 * (0.6 + 0.3 + 0.06), 10);
  });

  it('adapts an index-based model and vocabulary, never predicting the catch-all index', () => {
    const names = ['<unk>', 'a', 'b'];
    const seen: number[][] = [];
    const predictor = indexedPredictor(
      { encode: (a) => names.indexOf(a), lookup: (a) => Math.max(0, names.indexOf(a)), decode: (i) => names[i]! },
      {
        observe: (h, n) => seen.push([...h, n]),
        predict: () => [
          { action: 0, p: 0.5 },
          { action: 2, p: 0.3 },
          { action: 1, p: 0.2 },
        ],
      },
    );
    expect(predictor.predict(['a', 'zzz'], 2)).toEqual([
      { action: 'b', p: 0.3 },
      { action: 'a', p: 0.2 },
    ]);
    predictor.observe!(['a'], 'b');
    expect(seen).toEqual([[1, 2]]);
  });
});
