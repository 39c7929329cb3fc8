import { seededRng } from '@foresight/random';
import { observeRequest, type ActivityState } from './activity';
import { ReturnModel } from './return-model';

const SEC = 1000;
const MIN = 60 * SEC;
const IDLE = 30 * MIN;

/** Feeds a model with simulated sessions: each request is followed by another with probability q, after a gap drawn by `gap`. */
function train(model: ReturnModel, rng: () => number, sessions: number, q: number, gap: (age: number) => number): void {
  for (let i = 0; i < sessions; i++) {
    let requests = 1;
    let age = 0;
    while (rng() < q) {
      const g = gap(age);
      model.observeGap(requests, age, g);
      requests++;
      age += g;
    }
    model.observeEnd(requests, age);
  }
}

const state = (requests: number, ageMs: number, lastAt = 10 * 60 * MIN): ActivityState => ({
  firstAt: lastAt - ageMs,
  lastAt,
  requests,
  logGapMean: undefined,
  logGapVar: 0,
});

describe('return model', () => {
  it('is calibrated: the predicted return rate matches the simulated one (seeded)', () => {
    const rng = seededRng(5);
    const model = new ReturnModel();
    // Exponential gaps with mean 2 min, 60 % of requests followed by another.
    const gap = (): number => -2 * MIN * Math.log(1 - rng());
    train(model, rng, 20_000, 0.6, gap);
    // P(next gap in (1, 5] min | gap > 1 min) = q·(e^-0.5 − e^-2.5) / (1 − q + q·e^-0.5).
    const q = 0.6;
    const truth = (q * (Math.exp(-0.5) - Math.exp(-2.5))) / (1 - q + q * Math.exp(-0.5));
    expect(model.probabilityNextIn(1, 0, MIN, 5 * MIN)).toBeCloseTo(truth, 1);
  });

  it('learns that old sessions end: the same silence means less at an age no session outlives', () => {
    const rng = seededRng(9);
    const model = new ReturnModel();
    // Sessions never make a request after 20 minutes of age.
    train(model, rng, 20_000, 0.8, (age) => Math.min(20 * MIN - age, 30 * SEC + rng() * 4 * MIN) || SEC);
    const young = model.probabilityReturn(state(3, 2 * MIN), 10 * 60 * MIN + MIN, 10 * 60 * MIN + IDLE, IDLE);
    const old = model.probabilityReturn(state(3, 19.9 * MIN), 10 * 60 * MIN + MIN, 10 * 60 * MIN + IDLE, IDLE);
    expect(young).toBeGreaterThan(0.3);
    expect(old).toBeLessThan(0.02);
  });

  it('falls as silence grows, and counts only requests after `after`', () => {
    const rng = seededRng(3);
    const model = new ReturnModel();
    train(model, rng, 5000, 0.7, () => Math.exp(Math.log(30 * SEC) + rng() * 2));
    const s = observeRequest(observeRequest(undefined, 0), 20 * SEC);
    const p = [0, MIN, 5 * MIN, 15 * MIN].map((d) => model.probabilityReturn(s, s.lastAt + d, s.lastAt + IDLE, IDLE));
    for (let i = 1; i < p.length; i++) expect(p[i]!).toBeLessThan(p[i - 1]!);
    const all = model.probabilityReturn(s, s.lastAt, s.lastAt + IDLE, IDLE);
    const afterExpiry = model.probabilityReturn(s, s.lastAt, s.lastAt + IDLE, IDLE, s.lastAt + 10 * MIN);
    expect(afterExpiry).toBeLessThan(all);
    expect(afterExpiry).toBeGreaterThanOrEqual(0);
  });

  it('is zero beyond the idle timeout and the prior before any data', () => {
    const model = new ReturnModel();
    const s = state(2, MIN);
    expect(model.probabilityReturn(s, s.lastAt + IDLE, s.lastAt + 2 * IDLE, IDLE)).toBe(0);
    const p = model.probabilityNextIn(1, 0, 0, IDLE);
    expect(p).toBeGreaterThan(0.5);
    expect(p).toBeLessThan(0.75);
  });

  it('rejects invalid options', () => {
    expect(() => new ReturnModel({ minGapMs: 1000, binRatio: 1, bins: 10, priorWeight: 1 })).toThrow(RangeError);
  });
});
