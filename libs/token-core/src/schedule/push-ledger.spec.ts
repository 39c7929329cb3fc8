import { decideRenewal, isLastRound, planDecidingOnce, PushLedger, type RatedSession } from './push-ledger';
import type { SchedulerConfig } from './refresh-scheduler';

const NOW = 1_000_000_000;
const MIN = 60_000;
const CONFIG: SchedulerConfig = {
  bucketMs: 10_000,
  thresholdMs: 300_000,
  minSkewMs: 60_000,
  maxPullForwardMs: 0,
  activeProbability: 0.005,
  maxLoadPerBucket: Infinity,
};
const rated = (sessionId: string, expiresInMs: number, rating: number, now = NOW): RatedSession => ({
  sessionId,
  expiresAt: now + expiresInMs,
  rating,
  idleEndsAt: now + 30 * MIN,
});
const round = (ledger: PushLedger, sessions: RatedSession[], now = NOW) => planDecidingOnce(ledger, { now, sessions, loadForecast: [], config: CONFIG });

/** Pushes `n` tokens rated `rating` whose sessions never come back; returns the ledger. */
function wastedPushes(ledger: PushLedger, n: number, rating: number): PushLedger {
  for (let i = 0; i < n; i++) {
    ledger.decide(`w${i}`, { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating, pushed: true });
    ledger.observeEnd(`w${i}`);
  }
  return ledger;
}

describe('push ledger: decide once, learn from the outcome', () => {
  it('with no outcomes, the calibrated probability is the rating itself', () => {
    const ledger = new PushLedger();
    for (const r of [0, 0.001, 0.02, 0.3, 1]) expect(ledger.calibrated(r)).toBeCloseTo(r, 12);
    expect(ledger.calibrated(NaN)).toBe(0);
    expect(ledger.precision).toBeUndefined();
  });

  it('decides a push when it is due and a let-expire only at the last round before the floor', () => {
    const ledger = new PushLedger();
    // Expiry in 4 min: floor in 3 min, not the last round; rated low: provisional let-expire.
    const early = round(ledger, [rated('low', 4 * MIN, 0.001), rated('high', 65_000, 0.5)]);
    expect(early).toEqual([
      { sessionId: 'low', action: 'let-expire' },
      { sessionId: 'high', action: 'refresh-now' },
    ]);
    expect(ledger.isDecided('low', NOW + 4 * MIN)).toBe(false);
    expect(ledger.isDecided('high', NOW + 65_000)).toBe(true);
    // The last round before the floor: now the let-expire is final.
    const at = NOW + 3 * MIN - 5_000;
    expect(isLastRound(at, NOW + 4 * MIN, CONFIG)).toBe(true);
    round(ledger, [rated('low', 4 * MIN, 0.001)], at);
    expect(ledger.isDecided('low', NOW + 4 * MIN)).toBe(true);
  });

  it('never rates a decided token again, even when its rating rises after the floor', () => {
    const ledger = new PushLedger();
    const expiresAt = NOW + 65_000;
    round(ledger, [rated('s', 65_000, 0.001)]);
    expect(ledger.isDecided('s', expiresAt)).toBe(true);
    // Past the floor the rating of a return after the expiry rises; the token is not planned again.
    expect(round(ledger, [{ sessionId: 's', expiresAt, rating: 0.9, idleEndsAt: NOW + 30 * MIN }], NOW + 10_000)).toEqual([]);
    // A new token of the same session is a new decision.
    expect(round(ledger, [rated('s', 65_000, 0.9, NOW + 20 * MIN)], NOW + 20 * MIN)).toEqual([{ sessionId: 's', action: 'refresh-now' }]);
  });

  it('resolves a decision by the next request: after the expiry it was needed, before it not', () => {
    const ledger = new PushLedger();
    const d = { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.5 };
    ledger.decide('a', { ...d, pushed: true });
    ledger.decide('b', { ...d, pushed: true });
    ledger.decide('c', { ...d, pushed: false });
    ledger.decide('d', { ...d, pushed: false });
    ledger.decide('e', { ...d, pushed: true });
    expect(ledger.observeRequest('a', NOW + 2 * MIN)).toBe('used');
    expect(ledger.observeRequest('b', NOW + 30_000)).toBe('wasted');
    expect(ledger.observeRequest('c', NOW + 2 * MIN)).toBe('missed');
    expect(ledger.observeEnd('d')).toBe('spared');
    ledger.sweep(NOW + 31 * MIN);
    expect(ledger.observeRequest('a', NOW + 3 * MIN)).toBeUndefined();
    expect(ledger.stats).toEqual({ used: 1, wasted: 2, missed: 1, spared: 1, pending: 0 });
    expect(ledger.precision).toBeCloseTo(1 / 3, 12);
  });

  it('resolves by polled activity only when the session was seen after the decision', () => {
    const ledger = new PushLedger();
    ledger.decide('a', { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.5, pushed: true, lastAt: NOW - 10_000 });
    ledger.decide('b', { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.5, pushed: false, lastAt: NOW - 10_000 });
    expect(ledger.observeLatest('a', NOW - 10_000)).toBeUndefined();
    expect(ledger.observeLatest('a', NOW + 90_000)).toBe('used');
    expect(ledger.observeLatest('b', NOW + 20_000)).toBe('spared');
    expect(ledger.observeLatest('c', NOW)).toBeUndefined();
  });

  it('a new token for a session resolves the pending decision of the old one as not needed', () => {
    const ledger = new PushLedger();
    ledger.decide('a', { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.5, pushed: true });
    ledger.decide('a', { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.9, pushed: false });
    expect(ledger.stats.pending).toBe(1);
    ledger.decide('a', { expiresAt: NOW + 16 * MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.5, pushed: false });
    expect(ledger.stats).toMatchObject({ wasted: 1, pending: 1 });
  });

  it('stops pushes rated like pushes that were wasted, online', () => {
    const ledger = wastedPushes(new PushLedger(), 100, 0.03);
    expect(ledger.precision).toBe(0);
    expect(ledger.calibrated(0.03)).toBeLessThan(CONFIG.activeProbability);
    // A session rated 0.03 at its last round is now let expire, where the raw rating would push.
    expect(round(ledger, [rated('s', 65_000, 0.03)])).toEqual([{ sessionId: 's', action: 'let-expire' }]);
    // Bins it has seen little of are scaled by how all ratings fared: lower, not zero.
    expect(ledger.calibrated(0.5)).toBeLessThan(0.5);
    expect(ledger.calibrated(0.5)).toBeGreaterThan(CONFIG.activeProbability);
  });

  it('raises ratings that turned out too low: tokens let expire whose sessions came back', () => {
    const ledger = new PushLedger();
    for (let i = 0; i < 40; i++) {
      ledger.decide(`m${i}`, { expiresAt: NOW + MIN, idleEndsAt: NOW + 30 * MIN, rating: 0.002, pushed: false });
      ledger.observeRequest(`m${i}`, i % 4 === 0 ? NOW + 2 * MIN : NOW + 30_000);
    }
    expect(ledger.stats).toMatchObject({ missed: 10, spared: 30 });
    expect(ledger.calibrated(0.002)).toBeGreaterThan(0.2);
    expect(round(ledger, [rated('s', 65_000, 0.002)])).toEqual([{ sessionId: 's', action: 'refresh-now' }]);
  });

  it('gates renewal on use like a push, and records it', () => {
    const ledger = wastedPushes(new PushLedger(), 100, 0.03);
    expect(decideRenewal(ledger, rated('low', 30_000, 0.03), CONFIG.activeProbability)).toBe(false);
    expect(decideRenewal(ledger, rated('high', 30_000, 0.6), CONFIG.activeProbability)).toBe(true);
    expect(ledger.isDecided('low', NOW + 30_000)).toBe(true);
    expect(ledger.observeRequest('high', NOW + 40_000)).toBe('used');
  });

  it('refuses invalid options', () => {
    expect(() => new PushLedger({ binsPerDecade: 0, minRating: 1e-4, priorWeight: 5 })).toThrow(RangeError);
    expect(() => new PushLedger({ binsPerDecade: 4, minRating: 1, priorWeight: 5 })).toThrow(RangeError);
    expect(() => new PushLedger({ binsPerDecade: 4, minRating: 1e-4, priorWeight: 0 })).toThrow(RangeError);
  });
});
