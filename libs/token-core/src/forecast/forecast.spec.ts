import { seededRng, type Rng } from '@foresight/random';
import { DEFAULT_GAP_MODEL, observeRequest, probabilityActiveBetween, type ActivityState } from './activity';
import { HoltWinters } from './holt-winters';
import { normalCdf } from './normal';
import { PopulationGapModel } from './population';

/** Standard normal variate by Box–Muller. */
function gaussian(rng: Rng): number {
  const u = Math.max(rng(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Synthetic seasonal series: level 50, trend 0.05/step, daily (24-step) amplitude 10, N(0, noise²). */
function seasonalSeries(rng: Rng, n: number, noise = 1): number[] {
  return Array.from({ length: n }, (_, t) => 50 + 0.05 * t + 10 * Math.sin((2 * Math.PI * t) / 24) + noise * gaussian(rng));
}
const truth = (t: number): number => 50 + 0.05 * t + 10 * Math.sin((2 * Math.PI * t) / 24);
const mae = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + Math.abs(x - b[i]!), 0) / a.length;

describe('Holt-Winters (additive)', () => {
  it('forecasts a noisy seasonal series one season ahead within 1.5 noise units', () => {
    const series = seasonalSeries(seededRng(42), 24 * 10);
    const hw = new HoltWinters({ alpha: 0.2, beta: 0.05, gamma: 0.2, period: 24 });
    series.forEach((y) => hw.update(y));
    const forecast = hw.forecast(24);
    const expected = Array.from({ length: 24 }, (_, k) => truth(series.length + k));
    expect(mae(forecast, expected)).toBeLessThan(1.5);
  });

  it('beats simple exponential smoothing by a wide margin on seasonal data', () => {
    const series = seasonalSeries(seededRng(7), 24 * 8);
    const hw = new HoltWinters({ alpha: 0.2, beta: 0.05, gamma: 0.2, period: 24 });
    // Simple exponential smoothing (level only, α = 0.3): its forecast is flat.
    let level = series[0]!;
    series.forEach((y) => (hw.update(y), (level = 0.3 * y + 0.7 * level)));
    const expected = Array.from({ length: 24 }, (_, k) => truth(series.length + k));
    expect(mae(hw.forecast(24), expected) * 4).toBeLessThan(mae(new Array<number>(24).fill(level), expected));
  });

  it('recovers an exact noiseless seasonal pattern with trend', () => {
    const series = Array.from({ length: 24 * 6 }, (_, t) => truth(t));
    const hw = new HoltWinters({ alpha: 0.3, beta: 0.1, gamma: 0.3, period: 24 });
    series.forEach((y) => hw.update(y));
    const expected = Array.from({ length: 12 }, (_, k) => truth(series.length + k));
    expect(mae(hw.forecast(12), expected)).toBeLessThan(0.5);
  });

  it('falls back to the running mean before two seasons', () => {
    const hw = new HoltWinters({ alpha: 0.2, beta: 0.1, gamma: 0.1, period: 4 });
    [1, 2, 3].forEach((y) => hw.update(y));
    expect(hw.initialised).toBe(false);
    expect(hw.forecast(2)).toEqual([2, 2]);
  });

  it('rejects invalid parameters', () => {
    expect(() => new HoltWinters({ alpha: 1.5, beta: 0, gamma: 0, period: 4 })).toThrow(RangeError);
    expect(() => new HoltWinters({ alpha: 0.5, beta: 0, gamma: 0, period: 1 })).toThrow(RangeError);
  });
});

describe('activity forecaster', () => {
  const START = 1_000_000;
  const regular = (gapMs: number, n: number): ActivityState => {
    let s: ActivityState | undefined;
    for (let i = 0; i < n; i++) s = observeRequest(s, START + i * gapMs);
    return s!;
  };
  const idle = 30 * 60_000;

  it('expects a regular session back soon and not after a long silence', () => {
    const s = regular(10_000, 20);
    const soon = probabilityActiveBetween(s, s.lastAt, s.lastAt + 60_000, DEFAULT_GAP_MODEL, idle);
    const afterSilence = probabilityActiveBetween(s, s.lastAt + 10 * 60_000, s.lastAt + 20 * 60_000, DEFAULT_GAP_MODEL, idle);
    expect(soon).toBeGreaterThan(0.8);
    expect(afterSilence).toBeLessThan(0.01);
  });

  it('decreases as silence grows (the hazard of "session ended" rises)', () => {
    const s = regular(20_000, 5);
    const p = [0, 60_000, 300_000, 900_000].map((d) => probabilityActiveBetween(s, s.lastAt + d, s.lastAt + idle, DEFAULT_GAP_MODEL, idle));
    for (let i = 1; i < p.length; i++) expect(p[i]!).toBeLessThan(p[i - 1]!);
  });

  it('is zero beyond the idle timeout, where a request would start a new session', () => {
    const s = regular(10_000, 3);
    expect(probabilityActiveBetween(s, s.lastAt + idle, s.lastAt + 2 * idle, DEFAULT_GAP_MODEL, idle)).toBe(0);
  });

  it('learns the population gap model from observed gaps and ends (seeded)', () => {
    const rng = seededRng(11);
    const pop = new PopulationGapModel(DEFAULT_GAP_MODEL, 5);
    for (let i = 0; i < 2000; i++) pop.observeGap(Math.exp(Math.log(5_000) + 0.5 * gaussian(rng)));
    for (let i = 0; i < 500; i++) pop.observeSessionEnd();
    const m = pop.model();
    expect(Math.exp(m.mu)).toBeGreaterThan(4_500);
    expect(Math.exp(m.mu)).toBeLessThan(5_500);
    expect(m.sigma).toBeGreaterThan(0.4);
    expect(m.sigma).toBeLessThan(0.6);
    expect(m.continueProb).toBeCloseTo(2000 / 2500, 1);
  });

  it('floors sub-resolution gaps so a burst of same-second requests does not inflate the spread', () => {
    let s: ActivityState | undefined;
    for (const t of [0, 0, 0, 20_000, 20_000, 40_000]) s = observeRequest(s, START + t);
    const floored = s!;
    const raw = [0, 0, 0, 20_000, 20_000, 40_000].reduce<ActivityState | undefined>(
      (acc, t) => observeRequest(acc, START + t, { alpha: 0.3, priorWeight: 3, minSigma: 0.5, minGapMs: 1 }),
      undefined,
    )!;
    expect(floored.logGapVar).toBeLessThan(raw.logGapVar);
    expect(floored.logGapMean!).toBeGreaterThanOrEqual(Math.log(1000));
  });

  it('normal CDF matches known values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 5);
  });
});
