import { checkHistory, recoveryAfter, type FinalRead, type ReadOp, type WriteOp } from './checker';

const w = (key: string, value: number, startMs: number, endMs: number, ok = true, code?: string): WriteOp => ({ key, value, startMs, endMs, ok, code });
const r = (key: string, value: number | null, startMs: number, endMs: number, ok = true, code?: string): ReadOp => ({ key, value, startMs, endMs, ok, code });
const final = (key: string, value: number | null, error?: string): FinalRead => ({ key, value, ...(error === undefined ? {} : { error }) });

describe('chaos checker: lost writes', () => {
  it('counts nothing lost when the final value is the newest acknowledged one', () => {
    const result = checkHistory([w('a', 1, 0, 10), w('a', 2, 10, 20), w('a', 3, 20, 30)], [], [final('a', 3)]);
    expect(result.lostWrites).toBe(0);
    expect(result.acknowledgedWrites).toBe(3);
  });

  it('counts every acknowledged write the final value does not reach', () => {
    const result = checkHistory([w('a', 1, 0, 10), w('a', 2, 10, 20), w('a', 3, 20, 30)], [], [final('a', 1)]);
    expect(result.lostWrites).toBe(2);
    expect(result.examples.lost.map((l) => l.value)).toEqual([2, 3]);
  });

  it('counts all acknowledged writes of a register that vanished entirely', () => {
    expect(checkHistory([w('a', 1, 0, 10), w('a', 2, 10, 20)], [], [final('a', null)]).lostWrites).toBe(2);
  });

  it('does not count a failed write as lost, nor one superseded by a newer indeterminate write that landed', () => {
    const writes = [w('a', 1, 0, 10), w('a', 2, 10, 20, false, 'CLIENT.DEADLINE_EXCEEDED'), w('a', 3, 20, 30, false, 'SERVICE.UNAVAILABLE')];
    expect(checkHistory(writes, [], [final('a', 1)]).lostWrites).toBe(0);
    expect(checkHistory(writes, [], [final('a', 3)]).lostWrites).toBe(0);
  });

  it('keeps registers apart and reports a register whose final read failed as unverified, not lost', () => {
    const result = checkHistory([w('a', 1, 0, 10), w('b', 1, 0, 10), w('b', 2, 10, 20)], [], [final('a', 1), final('b', null, 'SERVICE.UNAVAILABLE')]);
    expect(result.lostWrites).toBe(0);
    expect(result.unverifiedRegisters).toBe(1);
    expect(checkHistory([w('a', 1, 0, 10)], [], []).unverifiedRegisters).toBe(1);
  });
});

describe('chaos checker: writes carried from an earlier round', () => {
  it('checks reads and the final value against them without counting them again', () => {
    const carried: WriteOp = { key: 'a', value: 7, startMs: -1, endMs: -1, ok: true, carried: true };
    const result = checkHistory([carried, w('a', 8, 0, 10, false, 'SERVICE.UNAVAILABLE')], [r('a', 6, 5, 6)], [final('a', 6)]);
    expect(result.acknowledgedWrites).toBe(0);
    expect(result.failedWrites).toBe(1);
    expect(result.staleReads).toBe(1);
    expect(result.lostWrites).toBe(1);
  });
});

describe('chaos checker: stale reads', () => {
  it('flags a read that returns a value older than one acknowledged before it began', () => {
    const result = checkHistory([w('a', 1, 0, 10), w('a', 2, 10, 20)], [r('a', 1, 25, 30)], [final('a', 2)]);
    expect(result.staleReads).toBe(1);
    expect(result.examples.stale).toEqual([{ key: 'a', value: 1, expectedAtLeast: 2, atMs: 25 }]);
  });

  it('flags a read that finds nothing after a write was acknowledged', () => {
    expect(checkHistory([w('a', 1, 0, 10)], [r('a', null, 11, 12)], [final('a', 1)]).staleReads).toBe(1);
  });

  it('accepts the old or the new value from a read concurrent with the write', () => {
    const writes = [w('a', 1, 0, 10), w('a', 2, 10, 20)];
    // Began before write 2 was acknowledged (at 20): either answer is linearizable.
    const result = checkHistory(writes, [r('a', 1, 15, 25), r('a', 2, 15, 25), r('a', 1, 20, 21)], [final('a', 2)]);
    expect(result.staleReads).toBe(0);
  });

  it('accepts a newer value than acknowledged (an indeterminate write that landed) and never compares registers', () => {
    const writes = [w('a', 1, 0, 10), w('a', 2, 10, 20, false, 'CLIENT.DEADLINE_EXCEEDED'), w('b', 5, 0, 10)];
    const result = checkHistory(writes, [r('a', 2, 30, 31), r('a', 1, 30, 31), r('b', 5, 30, 31)], [final('a', 2), final('b', 5)]);
    expect(result.staleReads).toBe(0);
    expect(result.phantomReads).toBe(0);
  });

  it('ignores failed reads, which count as errors instead', () => {
    const result = checkHistory([w('a', 1, 0, 10)], [r('a', null, 20, 30, false, 'SHARD.NO_OWNER')], [final('a', 1)]);
    expect(result.staleReads).toBe(0);
    expect(result.failedReads).toBe(1);
    expect(result.errorsByCode).toEqual({ 'SHARD.NO_OWNER': 1 });
  });

  it('flags a value that no write had started by the end of the read as phantom', () => {
    const result = checkHistory([w('a', 1, 0, 10), w('a', 2, 50, 60)], [r('a', 2, 20, 30), r('a', 2, 45, 50)], [final('a', 2)]);
    expect(result.phantomReads).toBe(1);
    expect(result.examples.phantom[0]).toMatchObject({ key: 'a', value: 2, atMs: 20 });
  });
});

describe('chaos checker: errors and waits', () => {
  it('counts client-visible errors by code over writes and reads, and the longest wait of any call', () => {
    const writes = [w('a', 1, 0, 10), w('a', 2, 10, 4010, false, 'SERVICE.UNAVAILABLE'), w('a', 3, 4010, 4020, false, 'SERVICE.UNAVAILABLE')];
    const reads = [r('a', 1, 0, 3000, false, 'CLIENT.DEADLINE_EXCEEDED'), r('a', 1, 5000, 5001, false)];
    const result = checkHistory(writes, reads, [final('a', 1)]);
    expect(result.errorsByCode).toEqual({ 'SERVICE.UNAVAILABLE': 2, 'CLIENT.DEADLINE_EXCEEDED': 1, UNKNOWN: 1 });
    expect(result.failedWrites).toBe(2);
    expect(result.failedReads).toBe(2);
    expect(result.longestWaitMs).toBe(4000);
  });
});

describe('chaos checker: recovery after a fault', () => {
  it('measures the first and the last register written again by a write issued after the fault, counting those never written', () => {
    const writes = [w('a', 1, 0, 90), w('a', 2, 90, 400), w('a', 3, 400, 450), w('b', 1, 0, 1200), w('b', 2, 1200, 1300), w('c', 1, 100, 150, false)];
    // Writes in flight at the fault (a's second, b's first) may have been answered by the old owner: they do not count.
    expect(recoveryAfter(writes, 100, new Set(['a', 'b']))).toEqual({ firstMs: 350, allMs: 1200, never: 0 });
    expect(recoveryAfter(writes, 100, new Set(['a', 'c']))).toEqual({ firstMs: 350, allMs: null, never: 1 });
    expect(recoveryAfter(writes, 2000, new Set(['a']))).toEqual({ firstMs: null, allMs: null, never: 1 });
  });
});
