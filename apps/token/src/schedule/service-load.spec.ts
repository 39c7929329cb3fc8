import { processReader, ServiceLoad } from './service-load';

const MIN = 60_000;
const BUCKET = 10_000;

describe('service load', () => {
  const make = () => new ServiceLoad(BUCKET, 4 * BUCKET, { baseTtlMs: 15 * MIN, maxTtlMs: 30 * MIN }, 0);

  it('issues base-lifetime tokens while the measured load stays at its usual level', () => {
    const load = make();
    for (let i = 1; i <= 40; i++) load.sample(i * BUCKET, { cpuMicros: 1000 * 1000, eventLoopDelayP99Ms: 1 });
    expect(load.peakPredicted).toBe(false);
    expect(load.accessTtl(40 * BUCKET)).toBe(15 * MIN);
  });

  it('issues longer tokens, within the bound, when the CPU forecast reaches a peak', () => {
    const load = make();
    // A season of four buckets: one busy bucket (90 % CPU) in each; the forecast sees it coming.
    for (let i = 1; i <= 40; i++) load.sample(i * BUCKET, { cpuMicros: (i % 4 === 0 ? 9000 : 500) * 1000, eventLoopDelayP99Ms: 1 });
    expect(load.peakPredicted).toBe(true);
    expect(load.accessTtl(40 * BUCKET)).toBe(30 * MIN);
    expect(load.history().extendedTokens).toBe(1);
  });

  it('counts event-loop delay as load even when the CPU is idle', () => {
    const load = make();
    for (let i = 1; i <= 8; i++) load.sample(i * BUCKET, { cpuMicros: 0, eventLoopDelayP99Ms: 1 });
    const p = load.sample(9 * BUCKET, { cpuMicros: 0, eventLoopDelayP99Ms: 90 });
    expect(p.utilisation).toBeCloseTo(0.9);
  });

  it('records each bucket with the forecast made for it and the pairs minted in it', () => {
    const load = make();
    load.countMint('issue');
    load.countMint('scheduled');
    load.countMint('scheduled');
    const first = load.sample(BUCKET, { cpuMicros: 1000, eventLoopDelayP99Ms: 0 });
    const second = load.sample(2 * BUCKET, { cpuMicros: 1000, eventLoopDelayP99Ms: 0 });
    expect(first).toMatchObject({ at: 0, forecast: null, issued: 1, scheduledRefreshes: 2, clientRefreshes: 0 });
    expect(second.at).toBe(BUCKET);
    expect(second.forecast).not.toBeNull();
    expect(load.history().points).toHaveLength(2);
  });

  it("reads the process's own CPU time and event-loop delay: a loop blocked for 200 ms shows in both", async () => {
    const reader = processReader();
    try {
      // The delay monitor samples on a timer of its own: let it start before blocking the loop.
      await new Promise((resolve) => setTimeout(resolve, 50));
      reader.read();
      // It measures between two of its samples, and a reading restarts that: one sample before blocking.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const until = Date.now() + 200;
      let x = 0;
      while (Date.now() < until) x += Math.sqrt(x + 1);
      expect(x).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const reading = reader.read();
      expect(reading.cpuMicros).toBeGreaterThan(0);
      // The delay monitor's 20-ms timer fired at least ~180 ms late while the loop was blocked.
      expect(reading.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(100);
    } finally {
      reader.stop();
    }
  });
});
