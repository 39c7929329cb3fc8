import { seededRng } from '@foresight/random';
import { planRefreshes, type PlanEntry, type PlanInput, type SchedulerConfig, type SessionToPlan } from './refresh-scheduler';

const NOW = 1_000_000_000;
const MIN = 60_000;
const BASE: SchedulerConfig = {
  bucketMs: 10_000,
  thresholdMs: 300_000,
  minSkewMs: 60_000,
  maxPullForwardMs: 300_000,
  activeProbability: 0.01,
  maxLoadPerBucket: Infinity,
};
const config = (over: Partial<SchedulerConfig> = {}): SchedulerConfig => ({ ...BASE, ...over });
const session = (id: string, expiresInMs: number, p = 0.9): SessionToPlan => ({ sessionId: id, expiresAt: NOW + expiresInMs, pActiveAfterExpiry: p });
const plan = (over: Partial<PlanInput>): PlanEntry[] => planRefreshes({ now: NOW, sessions: [], loadForecast: [], config: config(), ...over });
const byId = (entries: PlanEntry[]): Record<string, PlanEntry> => Object.fromEntries(entries.map((e) => [e.sessionId, e]));
const atOf = (e: PlanEntry | undefined): number => (e?.action === 'refresh-now' ? NOW : e?.action === 'refresh-later' ? e.at : NaN);

describe('refresh scheduler', () => {
  it('leaves sessions unlikely to be active to expire', () => {
    expect(plan({ sessions: [session('idle', 2 * MIN, 0.001)] })).toEqual([{ sessionId: 'idle', action: 'let-expire' }]);
  });

  it('does not plan sessions whose window is beyond the horizon', () => {
    expect(plan({ sessions: [session('far', 60 * MIN)] })).toEqual([{ sessionId: 'far', action: 'not-due' }]);
  });

  it('with no load, refreshes as late as the floor allows (no earlier than needed)', () => {
    const [e] = plan({ sessions: [session('a', 4 * MIN)] });
    expect(atOf(e)).toBe(NOW + 3 * MIN);
  });

  it('refreshes now when the floor has been reached or passed', () => {
    expect(plan({ sessions: [session('due', MIN + 5_000), session('late', 10_000)] }).map((e) => e.action)).toEqual(['refresh-now', 'refresh-now']);
  });

  it('spreads sessions that expire together over distinct buckets instead of one burst', () => {
    const sessions = Array.from({ length: 12 }, (_, i) => session(`s${i}`, 5 * MIN));
    const times = plan({ sessions }).map(atOf);
    expect(new Set(times).size).toBe(12);
  });

  it('moves refreshes out of a predicted peak into the quieter period before it', () => {
    // A predicted peak of sign-ins fills the whole preferred window [exp − 5 min, exp − 1 min].
    const loadForecast = Array.from({ length: 61 }, (_, b) => (b >= 24 ? 50 : 0));
    const sessions = Array.from({ length: 5 }, (_, i) => session(`s${i}`, 9 * MIN));
    const entries = plan({ sessions, loadForecast, config: config({ maxLoadPerBucket: 10 }) });
    for (const e of entries) expect(atOf(e)).toBeLessThan(NOW + 4 * MIN);
    const noCap = plan({ sessions, loadForecast });
    for (const e of noCap) expect(atOf(e)).toBeGreaterThanOrEqual(NOW + 4 * MIN);
  });

  it('never plans a refresh after the floor, whatever the load and probabilities (seeded property)', () => {
    const rng = seededRng(2024);
    for (let round = 0; round < 50; round++) {
      const sessions = Array.from({ length: 40 }, (_, i) => session(`s${i}`, Math.floor(rng() * 12 * MIN), rng()));
      const loadForecast = Array.from({ length: 80 }, () => Math.floor(rng() * 20));
      const cfg = config({ maxLoadPerBucket: 1 + Math.floor(rng() * 10) });
      const entries = byId(plan({ sessions, loadForecast, config: cfg }));
      for (const s of sessions) {
        const e = entries[s.sessionId]!;
        if (e.action === 'refresh-now' || e.action === 'refresh-later') {
          expect(atOf(e)).toBeLessThanOrEqual(Math.max(NOW, s.expiresAt - cfg.minSkewMs));
          expect(atOf(e)).toBeGreaterThanOrEqual(Math.min(s.expiresAt - cfg.thresholdMs - cfg.maxPullForwardMs - cfg.bucketMs, s.expiresAt));
        }
        if (s.pActiveAfterExpiry < cfg.activeProbability) expect(e.action).toBe('let-expire');
      }
    }
  });

  it('is deterministic and independent of input order', () => {
    const rng = seededRng(5);
    const sessions = Array.from({ length: 30 }, (_, i) => session(`s${i}`, Math.floor(rng() * 10 * MIN)));
    const a = byId(plan({ sessions }));
    const b = byId(plan({ sessions: [...sessions].reverse() }));
    expect(b).toEqual(a);
  });
});
