import { seededRng } from '@foresight/random';
import { LoadForecast } from './load-forecast';

describe('LoadForecast', () => {
  it('learns a seasonal peak of unscheduled work and forecasts it one season ahead', () => {
    const f = new LoadForecast(10_000, 200_000); // 20 buckets per season
    const rng = seededRng(7);
    const season = (b: number) => (b % 20 >= 15 && b % 20 < 18 ? 40 : 5);
    const counts = new Map<number, number>();
    for (let b = 0; b < 200; b++) counts.set(b, Math.round(season(b) + rng() * 2));
    f.feed(0, 200, counts);
    const next = f.forecast(20);
    const peak = next.slice(15, 18);
    const quiet = [...next.slice(0, 15), ...next.slice(18)];
    expect(Math.min(...peak)).toBeGreaterThan(25);
    expect(Math.max(...quiet)).toBeLessThan(15);
  });

  it('forecasts whole pairs, so a faint trend does not order the buckets of a quiet service', () => {
    const f = new LoadForecast(1000, 10_000);
    const counts = new Map<number, number>();
    // One sign-in every 13 s: no seasonal pattern, a fraction of a pair per bucket.
    for (let b = 0; b < 200; b++) counts.set(b, b % 13 === 0 ? 1 : 0);
    f.feed(0, 200, counts);
    expect(f.forecast(30)).toEqual(new Array(30).fill(0));
  });

  it('feeds each bucket once, missing buckets as zeros', () => {
    const f = new LoadForecast(1000, 4000);
    f.feed(10, 12, new Map([[10, 4]]));
    f.feed(10, 14, new Map([[12, 4]]));
    expect(f.nextBucket).toBe(14);
    // Running mean before initialisation: (4 + 0 + 4 + 0) / 4.
    expect(f.forecast(1)).toEqual([2]);
    expect(f.bucketOf(12_500)).toBe(12);
  });
});
