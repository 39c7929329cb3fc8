import { AdvisoryLocks } from './advisory-locks';

describe('AdvisoryLocks', () => {
  it('gives every use its own lock id, in Foresight’s range', () => {
    const ids = Object.values(AdvisoryLocks);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(7041977);
    }
  });
});
