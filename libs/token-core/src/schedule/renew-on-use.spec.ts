import { seededRng } from '@foresight/random';
import { observeRequest } from '../forecast/activity';
import { ReturnModel } from '../forecast/return-model';
import { probabilityNeedsPush, renewOnUseWindowMs, shouldRenewOnUse } from './renew-on-use';

const SEC = 1000;
const MIN = 60 * SEC;
const IDLE = 30 * MIN;

function trained(): ReturnModel {
  const rng = seededRng(11);
  const model = new ReturnModel();
  for (let i = 0; i < 5000; i++) {
    let requests = 1;
    let age = 0;
    while (rng() < 0.7) {
      const gap = Math.exp(Math.log(40 * SEC) + rng() * 3);
      model.observeGap(requests, age, gap);
      requests++;
      age += gap;
    }
    model.observeEnd(requests, age);
  }
  return model;
}

describe('renewal on use', () => {
  it('opens one planning bucket before the planner floor', () => {
    expect(renewOnUseWindowMs({ minSkewMs: 60 * SEC, bucketMs: 10 * SEC })).toBe(70 * SEC);
  });

  it('renews a live token within the window only', () => {
    const exp = 100 * MIN;
    expect(shouldRenewOnUse(exp, exp - 70 * SEC, 70 * SEC)).toBe(true);
    expect(shouldRenewOnUse(exp, exp - 1, 70 * SEC)).toBe(true);
    expect(shouldRenewOnUse(exp, exp - 71 * SEC, 70 * SEC)).toBe(false);
    expect(shouldRenewOnUse(exp, exp, 70 * SEC)).toBe(false); // expired: the client refreshes on demand
    expect(shouldRenewOnUse(exp, exp - SEC, 0)).toBe(false); // 0 turns it off
  });

  it('asks the planner only about returns after the expiry when requests renew on use', () => {
    const model = trained();
    const s = observeRequest(observeRequest(undefined, 0), 30 * SEC);
    const now = 2 * MIN;
    const exp = 6 * MIN;
    const any = probabilityNeedsPush(model, s, now, exp, IDLE, false);
    const late = probabilityNeedsPush(model, s, now, exp, IDLE, true);
    expect(any).toBeGreaterThan(0);
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(any);
    // The difference is exactly the returns between now and the expiry, which renew on use.
    expect(any - late).toBeCloseTo(model.probabilityReturn(s, now, exp, IDLE), 10);
  });

  it('never pushes for a token that outlives the idle end', () => {
    const model = trained();
    const s = observeRequest(undefined, 0);
    expect(probabilityNeedsPush(model, s, MIN, IDLE, IDLE, true)).toBe(0);
    expect(probabilityNeedsPush(model, s, MIN, IDLE + MIN, IDLE, false)).toBe(0);
  });
});
