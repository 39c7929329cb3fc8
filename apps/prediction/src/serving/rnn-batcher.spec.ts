import type { HistoryRef } from '@foresight/prediction-core';
import { RnnBatcher } from './rnn-batcher';

function fakeModel() {
  const calls: number[] = [];
  return {
    calls,
    vocabularySize: 2,
    predictBatch(histories: readonly HistoryRef[]): Float32Array {
      calls.push(histories.length);
      // Row i: [len, -len], so each caller can check it got its own row.
      return Float32Array.from(histories.flatMap((h) => [h.len, -h.len]));
    },
  };
}

describe('RnnBatcher', () => {
  it('answers concurrent requests with one forward pass, each with its own row', async () => {
    const model = fakeModel();
    const sizes: number[] = [];
    const batcher = new RnnBatcher(256, (n) => sizes.push(n));
    const rows = await Promise.all([batcher.score(model, [1]), batcher.score(model, [1, 2, 3]), batcher.score(model, [])]);
    expect(model.calls).toEqual([3]);
    expect(sizes).toEqual([3]);
    expect(rows.map((r) => Array.from(r))).toEqual([
      [1, -1],
      [3, -3],
      [0, -0],
    ]);
  });

  it('flushes at maxBatch and keeps models apart', async () => {
    const a = fakeModel();
    const b = fakeModel();
    const batcher = new RnnBatcher(2);
    await Promise.all([batcher.score(a, [1]), batcher.score(b, [1]), batcher.score(a, [2])]);
    expect(a.calls).toEqual([1, 1]);
    expect(b.calls).toEqual([1]);
  });

  it('rejects every request of a failed batch', async () => {
    const broken = {
      vocabularySize: 2,
      predictBatch: (): Float32Array => {
        throw new Error('disposed');
      },
    };
    const batcher = new RnnBatcher();
    await expect(Promise.all([batcher.score(broken, [1]), batcher.score(broken, [2])])).rejects.toThrow('disposed');
  });
});
