import { seededRng } from '@foresight/random';
import { observeRequest } from './activity';
import { probabilityNeedsPush } from '../schedule/renew-on-use';
import { ReturnModel } from './return-model';
import { SessionLengthModel } from './session-length';

const SEC = 1000;
const MIN = 60 * SEC;
const IDLE = 30 * MIN;

/** Simulated sessions: each request is followed by another with probability q, after `gap(age)`; none lasts beyond `maxAge`. */
function train(model: ReturnModel, rng: () => number, sessions: number, q: number, gap: (age: number) => number, maxAge = Infinity): void {
  for (let i = 0; i < sessions; i++) {
    let requests = 1;
    let age = 0;
    while (rng() < q) {
      const g = gap(age);
      if (age + g > maxAge) break;
      model.observeGap(requests, age, g);
      requests++;
      age += g;
    }
    model.observeEnd(requests, age);
  }
}

describe('session length model', () => {
  it('says nothing before any session ended', () => {
    const m = new SessionLengthModel();
    expect(m.survival(MIN, 10 * MIN)).toBe(1);
    m.observeAge(undefined, 5 * MIN);
    expect(m.survival(MIN, 10 * MIN)).toBe(1);
  });

  it('estimates survival with live sessions right-censored, not dropped', () => {
    const m = new SessionLengthModel({ minLengthMs: SEC, binRatio: 1.01, bins: 1400, priorWeight: 0 });
    for (let i = 0; i < 100; i++) {
      m.observeAge(undefined, 5 * MIN);
      m.observeEnd(5 * MIN, true);
    }
    // 100 sessions still running at 10 minutes: at risk at 5 minutes, so half of those at risk there ended.
    for (let i = 0; i < 100; i++) m.observeAge(undefined, 10 * MIN);
    expect(m.survival(MIN, 6 * MIN)).toBeCloseTo(0.5, 6);
    // Dropping them would have said no session outlives 5 minutes.
    expect(m.survival(6 * MIN, 9 * MIN)).toBe(1);
    expect(m.endedSessions).toBe(100);
  });

  it('moves a live session as it ages and never counts below zero', () => {
    const m = new SessionLengthModel({ minLengthMs: SEC, binRatio: 1.01, bins: 1400, priorWeight: 0 });
    m.observeAge(undefined, MIN);
    m.observeAge(MIN, 3 * MIN);
    m.observeEnd(3 * MIN, true);
    m.observeEnd(2 * MIN, true); // a session whose age was never observed (e.g. before a restart)
    expect(m.survival(30 * SEC, 2.5 * MIN)).toBeCloseTo(0.5, 6);
    expect(m.survival(2.5 * MIN, 4 * MIN)).toBe(0);
  });

  it('counts the ends from the bin of the first age up to, not including, the bin of the second', () => {
    const m = new SessionLengthModel({ minLengthMs: SEC, binRatio: 1.01, bins: 1400, priorWeight: 1 });
    for (let i = 0; i < 99; i++) m.observeEnd(20 * MIN, false);
    // Sessions that ended at exactly 20 minutes did not last beyond it; one pseudo-survivor is left.
    expect(m.survival(20 * MIN, 30 * MIN)).toBeCloseTo(1 / 100, 9);
    expect(m.survival(19 * MIN, 21 * MIN)).toBeCloseTo(1 / 100, 9);
    expect(m.survival(19 * MIN, 20 * MIN)).toBe(1); // ends in the bin of `to` may lie after it
    expect(m.survival(21 * MIN, 60 * MIN)).toBe(1); // no session at risk there: no evidence either way
  });

  it('rejects invalid options', () => {
    expect(() => new SessionLengthModel({ minLengthMs: SEC, binRatio: 1, bins: 10, priorWeight: 1 })).toThrow(RangeError);
  });
});

describe('return model with the session length bound', () => {
  it('rates a late return unlikely at an age no session reached, though sessions of that age return early', () => {
    const rng = seededRng(21);
    const model = new ReturnModel();
    // Gaps of 30 s to 3 min; no session lasts beyond 29.5 minutes (a trace cut into samples).
    train(model, rng, 20_000, 0.9, () => 30 * SEC + rng() * 150 * SEC, 29.5 * MIN);
    const t0 = 10 * 60 * MIN;
    const s = { ...observeRequest(observeRequest(undefined, t0), t0 + 28 * MIN), requests: 12 };
    // Its token expires at age 30 min; the planner decides at age 28.8 min.
    const now = s.lastAt + 0.8 * MIN;
    const late = model.probabilityReturn(s, now, s.lastAt + IDLE, IDLE, s.firstAt + 30 * MIN);
    const any = model.probabilityReturn(s, now, s.lastAt + IDLE, IDLE);
    expect(any).toBeGreaterThan(0.15); // sessions of this age do come back after a short silence ...
    expect(late).toBeLessThan(0.005); // ... but none lasted to 30 minutes
  });

  it('leaves the gap estimate alone where sessions do last (calibrated on long sessions)', () => {
    const rng = seededRng(5);
    const model = new ReturnModel();
    const gap = (): number => -2 * MIN * Math.log(1 - rng());
    train(model, rng, 20_000, 0.6, gap);
    const s = observeRequest(undefined, 0);
    const q = 0.6;
    // P(next gap in (5, 30] min | gap > 1 min) for exponential gaps with mean 2 min.
    const truth = (q * (Math.exp(-2.5) - Math.exp(-15))) / (1 - q + q * Math.exp(-0.5));
    expect(model.probabilityReturn(s, MIN, IDLE, IDLE, 5 * MIN)).toBeCloseTo(truth, 1);
  });

  it('is the gap estimate alone before any session ended (a cold start pushes as before)', () => {
    const withBound = new ReturnModel();
    const s = observeRequest(observeRequest(undefined, 0), 20 * MIN);
    const p = withBound.probabilityReturn(s, s.lastAt + MIN, s.lastAt + IDLE, IDLE, s.lastAt + 10 * MIN);
    expect(p).toBeGreaterThan(0.005);
  });

  it('lets a session expire once its silence has taken it past every session length seen (renewal on use)', () => {
    const rng = seededRng(33);
    const model = new ReturnModel();
    train(model, rng, 20_000, 0.9, () => 30 * SEC + rng() * 150 * SEC, 29.5 * MIN);
    const t0 = 10 * 60 * MIN;
    const s = { ...observeRequest(observeRequest(undefined, t0), t0 + 28.5 * MIN), requests: 12 };
    const expiresAt = s.firstAt + 30 * MIN;
    // Rounds after the floor and after the expiry re-rate the session; it is past 29.5 minutes of age by then.
    for (const now of [expiresAt - 20 * SEC, expiresAt + 30 * SEC, expiresAt + 2 * MIN]) {
      expect(probabilityNeedsPush(model, s, now, expiresAt, IDLE, true)).toBeLessThan(0.005);
    }
    // A session of the same age whose token expires at 25 minutes may well come back after it.
    expect(probabilityNeedsPush(model, s, s.firstAt + 24 * MIN, s.firstAt + 25 * MIN, IDLE, true)).toBeGreaterThan(0.05);
  });
});
