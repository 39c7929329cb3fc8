import { activationFor, rotationDue, signingKeyAt, verifyingKeys, RETIREMENT_MARGIN_MS, type KeyTimes } from './key-schedule';

const MIN = 60_000;
const k1: KeyTimes = { kid: 'k1', createdAt: 0, activatesAt: 0 };
const k2: KeyTimes = { kid: 'k2', createdAt: 100 * MIN, activatesAt: 102 * MIN };
const ttl = 15 * MIN;

describe('signing-key schedule', () => {
  it('signs with the newest active key only; a pre-published key waits for its activation', () => {
    expect(signingKeyAt([k1, k2], 101 * MIN)?.kid).toBe('k1');
    expect(signingKeyAt([k1, k2], 102 * MIN)?.kid).toBe('k2');
    expect(signingKeyAt([], 0)).toBeUndefined();
  });

  it('publishes a new key before it signs and keeps the old one until its tokens expired', () => {
    expect(verifyingKeys([k1, k2], 101 * MIN, ttl).map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect(verifyingKeys([k1, k2], 102 * MIN + ttl, ttl).map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect(verifyingKeys([k1, k2], 102 * MIN + ttl + RETIREMENT_MARGIN_MS, ttl).map((k) => k.kid)).toEqual(['k2']);
  });

  it('rotates when there is no key or the newest is old enough', () => {
    expect(rotationDue([], 0, MIN)).toBe(true);
    expect(rotationDue([k1, k2], 100 * MIN + MIN - 1, MIN)).toBe(false);
    expect(rotationDue([k1, k2], 101 * MIN, MIN)).toBe(true);
  });

  it('activates the first key at once and later keys after the delay', () => {
    expect(activationFor([], 5, 1000)).toBe(5);
    expect(activationFor([k1], 5, 1000)).toBe(1005);
  });
});
