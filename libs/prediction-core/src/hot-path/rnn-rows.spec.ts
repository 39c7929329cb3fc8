import type { HistoryRef } from '../rnn/rnn-model';
import { topNOfDistribution } from '../util/top-n';
import type { LoadedRnn } from './load';
import { RnnRowCache, type AsyncRowScorer, type SparseRow } from './rnn-rows';

const VOCAB = 40;
const WINDOW = 4;

/** A stand-in RNN: a fixed function of the last WINDOW actions, normalised. */
class StubRnn {
  readonly window = WINDOW;
  readonly vocabularySize = VOCAB;
  predictBatch(histories: readonly HistoryRef[]): Float32Array {
    const out = new Float32Array(histories.length * VOCAB);
    histories.forEach((h, i) => {
      const row = out.subarray(i * VOCAB, (i + 1) * VOCAB);
      let sum = 0;
      for (let a = 0; a < VOCAB; a++) {
        let s = 1;
        for (let k = Math.max(0, h.len - WINDOW); k < h.len; k++) s += ((h.seq[k]! * 7 + a * 13 + h.len - k) % 11) / (h.len - k);
        row[a] = Math.exp(s / 2);
        sum += row[a]!;
      }
      for (let a = 0; a < VOCAB; a++) row[a]! /= sum;
    });
    return out;
  }
  dispose(): void {}
}

describe('the RNN row cache', () => {
  it('given a vocabulary larger than the kept entries, when a row is stored, then it keeps the most likely actions with their probabilities', async () => {
    const rnn = new StubRnn();
    const cache = new RnnRowCache(rnn, { window: WINDOW, keep: 5, schedule: (run) => run() });
    expect(cache.get([3, 4], 2)).toBeUndefined();
    const row = cache.get([3, 4], 2)!;
    const dense = rnn.predictBatch([{ seq: [3, 4], len: 2 }]);
    const best = topNOfDistribution(Float64Array.from(dense), 5);
    expect(Array.from(row.actions)).toEqual(best.map((s) => s.action));
    row.probs.forEach((p, i) => expect(p).toBeCloseTo(best[i]!.p, 6));
  });

  it('given more waiting histories than it queues, when more arrive, then the oldest are dropped', async () => {
    const rnn = new StubRnn();
    const cache = new RnnRowCache(rnn, { window: WINDOW, maxQueued: 3, schedule: () => undefined });
    for (const a of [1, 2, 3, 4, 5]) cache.get([a], 1);
    expect(cache.counts.dropped).toBe(2);
    cache.flush();
    expect(cache.size).toBe(3);
    expect(cache.get([5], 1)).toBeDefined();
    expect(cache.get([1], 1)).toBeUndefined();
  });

  it('given a slow network, when passes follow each other, then each waits so that passes take at most their share of the thread', async () => {
    const slow: LoadedRnn = {
      window: WINDOW,
      vocabularySize: VOCAB,
      predictBatch: (h) => {
        const until = performance.now() + 3;
        while (performance.now() < until) {
          // a pass that holds the thread for 3 ms
        }
        return new StubRnn().predictBatch(h);
      },
      dispose: () => undefined,
    };
    const delays: number[] = [];
    const passes: number[] = [];
    const cache = new RnnRowCache(slow, {
      window: WINDOW,
      maxBatch: 1,
      dutyCycle: 0.25,
      schedule: (_run, delayMs) => delays.push(delayMs),
      onBatch: (_rows, ms) => passes.push(ms),
    });
    cache.get([1], 1);
    cache.get([2], 1);
    expect(delays).toEqual([0]);
    cache.flush();
    expect(passes).toHaveLength(1);
    // The next pass is scheduled after three times the pass's length, less what has elapsed since.
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThan(0);
    expect(delays[1]!).toBeLessThanOrEqual(3 * passes[0]!);
  });

  it('keeps at most its capacity of rows, dropping the least recently used', async () => {
    const cache = new RnnRowCache(new StubRnn(), { window: WINDOW, capacity: 2, schedule: (run) => run() });
    for (const h of [[1], [2], [1], [3]]) cache.get(h, 1);
    expect(cache.size).toBe(2);
    expect(cache.get([1], 1)).toBeDefined();
    expect(cache.get([2], 1)).toBeUndefined();
  });

  it('given a network in another thread, when rows are asked for, then one pass is in flight at a time and its rows are cached when it returns', async () => {
    const calls: { histories: (readonly number[])[]; resolve: (rows: SparseRow[]) => void }[] = [];
    const remote: AsyncRowScorer = {
      vocabularySize: VOCAB,
      scoreRows: (histories, keep) =>
        new Promise((resolve) => {
          expect(keep).toBe(5);
          calls.push({ histories: [...histories], resolve });
        }),
    };
    const cache = new RnnRowCache(remote, { window: WINDOW, keep: 5, maxBatch: 1, schedule: (run) => run() });
    cache.get([1], 1);
    cache.get([2], 1);
    expect(calls).toHaveLength(1);
    const idle = cache.idle();
    calls[0]!.resolve([{ actions: Int32Array.from([7]), probs: Float32Array.from([1]) }]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.histories).toEqual([[2]]);
    calls[1]!.resolve([{ actions: Int32Array.from([8]), probs: Float32Array.from([1]) }]);
    await idle;
    expect(Array.from(cache.get([1], 1)!.actions)).toEqual([7]);
    expect(Array.from(cache.get([2], 1)!.actions)).toEqual([8]);
  });

  it('given a network in another thread that fails, when its pass comes back, then the cache stops asking and reports it', async () => {
    const errors: unknown[] = [];
    const remote: AsyncRowScorer = { vocabularySize: VOCAB, scoreRows: () => Promise.reject(new Error('worker exited')) };
    const cache = new RnnRowCache(remote, { window: WINDOW, schedule: (run) => run(), onError: (e) => errors.push(e) });
    cache.get([1], 1);
    await cache.idle();
    expect(cache.failed).toBe(true);
    expect(errors).toHaveLength(1);
    expect(cache.get([3], 1)).toBeUndefined();
    await cache.idle();
    expect(errors).toHaveLength(1);
  });
});
