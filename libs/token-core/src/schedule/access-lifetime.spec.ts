import { accessTokenLifetime, LoadBaseline, peakPredicted, utilisation, type LifetimeConfig } from './access-lifetime';

const MIN = 60_000;
const C: LifetimeConfig = { baseTtlMs: 15 * MIN, maxTtlMs: 30 * MIN, peakRatio: 2, peakUtilisation: 0.7 };

describe('access-token lifetime under load', () => {
  it('issues the base lifetime when no peak is predicted', () => {
    expect(accessTokenLifetime({ now: 0, peak: false, sessionIdleEndsAt: 60 * MIN }, C)).toBe(15 * MIN);
  });

  it('in a peak, reaches the session idle end within the bound and never below the base', () => {
    expect(accessTokenLifetime({ now: 0, peak: true, sessionIdleEndsAt: 20 * MIN }, C)).toBe(20 * MIN);
    expect(accessTokenLifetime({ now: 0, peak: true, sessionIdleEndsAt: 90 * MIN }, C)).toBe(30 * MIN);
    expect(accessTokenLifetime({ now: 0, peak: true, sessionIdleEndsAt: 5 * MIN }, C)).toBe(15 * MIN);
    expect(accessTokenLifetime({ now: 0, peak: true }, C)).toBe(30 * MIN);
  });

  it('never exceeds the bound, and a bound at the base turns longer tokens off', () => {
    expect(accessTokenLifetime({ now: 0, peak: true }, { ...C, maxTtlMs: 15 * MIN })).toBe(15 * MIN);
    for (const idle of [0, 1, 29 * MIN, 31 * MIN, 1e12])
      expect(accessTokenLifetime({ now: 0, peak: true, sessionIdleEndsAt: idle }, C)).toBeLessThanOrEqual(30 * MIN);
  });

  it('predicts a peak relative to the long-run mean, or at the utilisation bound', () => {
    expect(peakPredicted([1, 1, 1], 1, C)).toBe(false);
    expect(peakPredicted([1, 2.5, 1], 1, C)).toBe(true);
    expect(peakPredicted([0, 0], 0, C)).toBe(false);
    expect(peakPredicted([0.75], 0.6, C, true)).toBe(true);
    expect(peakPredicted([0.75], 0.6, C, false)).toBe(false);
    // A doubling at a few percent of a core is no peak.
    expect(peakPredicted([0.04], 0.02, { ...C, minPeakUtilisation: 0.25 }, true)).toBe(false);
    expect(peakPredicted([0.5], 0.2, { ...C, minPeakUtilisation: 0.25 }, true)).toBe(true);
  });

  it('measures utilisation from CPU time and event-loop delay, whichever saturates first', () => {
    expect(utilisation({ cpuMicros: 500_000, wallMs: 1000, eventLoopDelayP99Ms: 10 })).toBeCloseTo(0.5);
    expect(utilisation({ cpuMicros: 100_000, wallMs: 1000, eventLoopDelayP99Ms: 80 })).toBeCloseTo(0.8);
    expect(utilisation({ cpuMicros: 100, wallMs: 0, eventLoopDelayP99Ms: 80 })).toBe(0);
  });

  it('keeps a long-run mean that ignores invalid samples', () => {
    const b = new LoadBaseline();
    [1, 3, NaN, -1].forEach((x) => b.observe(x));
    expect(b.mean).toBe(2);
    expect(b.observations).toBe(2);
  });
});
