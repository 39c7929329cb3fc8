import { observeRequest, ReturnModel, type ActivityState } from '@foresight/token-core';
import { toSessionsToPlan, type Candidate } from './plan-input';

const START = 1_700_000_000_000;
const MIN = 60_000;

function busy(until: number): ActivityState {
  let s: ActivityState | undefined;
  for (let t = START; t <= until; t += 5000) s = observeRequest(s, t);
  return s!;
}

const candidate = (over: Partial<Candidate>): Candidate => ({
  familyId: 'f',
  sessionId: 's',
  generation: 0,
  accessExpiresAt: START + 15 * MIN,
  familyCreatedAt: START,
  activity: undefined,
  idleTimeoutMs: 30 * MIN,
  ...over,
});

describe('toSessionsToPlan', () => {
  it('rates a session busy until now above one long silent', () => {
    const now = START + 11 * MIN;
    const [active, silent] = toSessionsToPlan(
      [candidate({ familyId: 'a', activity: busy(now - 2000) }), candidate({ familyId: 'b', activity: busy(START + MIN) })],
      now,
      new ReturnModel(),
    );
    expect(active.sessionId).toBe('a');
    expect(active.pActiveAfterExpiry).toBeGreaterThan(0);
    expect(silent.pActiveAfterExpiry).toBeLessThan(active.pActiveAfterExpiry);
  });

  it('counts only returns after the expiry: earlier ones renew the token on use', () => {
    const now = START + 11 * MIN;
    const returns = new ReturnModel();
    const activity = busy(now - 2000);
    const [entry] = toSessionsToPlan([candidate({ activity })], now, returns);
    const anyReturn = returns.probabilityReturn(activity, now, activity.lastAt + 30 * MIN, 30 * MIN);
    const beforeExpiry = returns.probabilityReturn(activity, now, START + 15 * MIN, 30 * MIN);
    expect(beforeExpiry).toBeGreaterThan(0.5);
    expect(entry.pActiveAfterExpiry).toBeCloseTo(anyReturn - beforeExpiry, 10);
  });

  it('never refreshes a token that outlives the session idle end', () => {
    const [entry] = toSessionsToPlan([candidate({ activity: busy(START), accessExpiresAt: START + 31 * MIN })], START + 20 * MIN, new ReturnModel());
    expect(entry.pActiveAfterExpiry).toBe(0);
  });

  it('counts the sign-in as the last request when no session event was seen', () => {
    const [entry] = toSessionsToPlan([candidate({ activity: undefined })], START + 10 * MIN, new ReturnModel());
    expect(entry.pActiveAfterExpiry).toBeGreaterThan(0);
    expect(entry.expiresAt).toBe(START + 15 * MIN);
  });
});
