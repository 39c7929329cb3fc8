import { clampWeight, DEFAULT_WEIGHT, initialWeight, isValidWeight, ruleWeight } from './weights';

describe('stickiness weights', () => {
  it('starts at 50 without hints and stays within 0–100', () => {
    expect(initialWeight({}, 'eu')).toBe(DEFAULT_WEIGHT);
    expect(clampWeight(-3)).toBe(0);
    expect(clampWeight(140)).toBe(100);
    expect(clampWeight(Number.NaN)).toBe(DEFAULT_WEIGHT);
  });

  it('raises the initial weight for a near, fast client and lowers it for a far, slow one', () => {
    expect(initialWeight({ zone: 'eu', rttMs: 20, network: 'wifi' }, 'eu')).toBe(70);
    expect(initialWeight({ zone: 'us', rttMs: 300, network: '2g' }, 'eu')).toBe(25);
  });

  it('accepts only integers 0–100', () => {
    for (const w of [0, 50, 100]) expect(isValidWeight(w)).toBe(true);
    for (const w of [-1, 101, 50.5, Number.NaN, '50', null]) expect(isValidWeight(w)).toBe(false);
  });

  describe('the baseline rules', () => {
    it('given a fast, quiet, error-free edge, then 50 + 10 − 5 + 10', () => {
      expect(ruleWeight({ rttMs: 20, requests: 100, errors: 0, requestRatePerSecond: 1 })).toBe(65);
    });
    it('given a slow edge failing over 5 % of attempts, then 50 − 10 − 5 − 15', () => {
      expect(ruleWeight({ rttMs: 250, requests: 100, errors: 10, requestRatePerSecond: 1 })).toBe(20);
    });
    it('given a busy client between the thresholds, then 50 + 5', () => {
      expect(ruleWeight({ rttMs: 100, requests: 1000, errors: 20, requestRatePerSecond: 200 })).toBe(55);
    });
  });
});
