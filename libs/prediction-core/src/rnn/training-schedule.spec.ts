import { seededRng } from '@foresight/random';
import { batchSizeFor, samplesOutput } from './config';
import { CandidateSampler } from './sampling';
import { PlateauSchedule } from './schedule';
import { packSessions, windowIndex } from './sessions';
import { initBackend } from './tf';
import { trainRnn } from './train';

describe('PlateauSchedule (early stopping, reduce on plateau)', () => {
  it('given improving held-out losses, when epochs end, then training goes on at the same rate', () => {
    const s = new PlateauSchedule({ learningRate: 0.01, decay: 0.5, patience: 2, maxEpochs: 10 });
    expect(s.next(3)).toEqual({ improved: true, learningRate: 0.01, stop: false, reason: 'improving' });
    expect(s.next(2.5)).toEqual({ improved: true, learningRate: 0.01, stop: false, reason: 'improving' });
  });

  it('given a plateau, when epochs end, then the rate is halved each time and training stops after `patience` of them, keeping the best epoch', () => {
    const s = new PlateauSchedule({ learningRate: 0.01, decay: 0.5, patience: 2, maxEpochs: 10 });
    s.next(3);
    expect(s.next(3.1)).toEqual({ improved: false, learningRate: 0.005, stop: false, reason: 'plateau' });
    expect(s.next(3.05)).toEqual({ improved: false, learningRate: 0.0025, stop: true, reason: 'patience' });
    expect(s.bestAt).toBe(1);
    expect(s.bestLoss).toBe(3);
  });

  it('given an improvement after a plateau, when it counts, then the strikes reset', () => {
    const s = new PlateauSchedule({ learningRate: 1, decay: 0.5, patience: 2, maxEpochs: 10 });
    s.next(3);
    s.next(3.2);
    expect(s.next(2)).toMatchObject({ improved: true, stop: false, learningRate: 0.5 });
    expect(s.next(2.5)).toMatchObject({ stop: false });
  });

  it('given the epoch limit or a spent time budget, when an epoch ends, then training stops and says why', () => {
    const s = new PlateauSchedule({ learningRate: 1, decay: 0.5, patience: 5, maxEpochs: 2 });
    expect(s.next(3, true)).toMatchObject({ stop: true, reason: 'time-budget', improved: true });
    const t = new PlateauSchedule({ learningRate: 1, decay: 0.5, patience: 5, maxEpochs: 2 });
    t.next(3);
    expect(t.next(2)).toMatchObject({ stop: true, reason: 'max-epochs', improved: true });
  });
});

describe('training sized to the data', () => {
  it('given the number of windows per epoch, when the batch size is automatic, then it is a power of two near 300 batches per epoch, within 128..1024', () => {
    expect(batchSizeFor({ batchSize: 0 }, 44_000)).toBe(128);
    expect(batchSizeFor({ batchSize: 0 }, 300_000)).toBe(1024);
    expect(batchSizeFor({ batchSize: 0 }, 80_000)).toBe(256);
    expect(batchSizeFor({ batchSize: 0 }, 10)).toBe(128);
    expect(batchSizeFor({ batchSize: 64 }, 1e6)).toBe(64);
  });

  it('samples the output layer only when the vocabulary is more than twice the samples', () => {
    expect(samplesOutput({ outputSamples: 2048, vocabularySize: 4096 })).toBe(false);
    expect(samplesOutput({ outputSamples: 2048, vocabularySize: 4097 })).toBe(true);
    expect(samplesOutput({ outputSamples: 0, vocabularySize: 1e6 })).toBe(false);
  });
});

describe('CandidateSampler (sampled softmax)', () => {
  it('given a batch, when candidates are drawn, then each target is in once, labels point at it, and logQ is the log of its expected draws', () => {
    // Given: action 1 is the target 9 times in 10, action 2 once.
    const counts = [0, 90, 10, 0, 0, 0, 0, 0];
    const sampler = new CandidateSampler(counts, 3, 4);
    // When
    const c = sampler.draw(Int32Array.from([1, 2, 1, 1]), 4, seededRng(1));
    // Then
    const actions = [...c.actions.subarray(0, c.size)];
    expect(new Set(actions).size).toBe(c.size);
    expect(actions.slice(0, 2)).toEqual([1, 2]);
    expect([...c.labels.subarray(0, 4)]).toEqual([0, 1, 0, 0]);
    expect(actions).not.toContain(0);
    const smoothed = (n: number) => (n + 1) ** 0.75 / counts.slice(1).reduce((s, k) => s + (k + 1) ** 0.75, 0);
    expect(c.logQ[0]).toBeCloseTo(Math.log(4 * 0.9 + 3 * smoothed(90)), 5);
    expect(c.logQ[1]).toBeCloseTo(Math.log(4 * 0.1 + 3 * smoothed(10)), 5);
  });
});

describe('RNN training until held-out loss stops improving', () => {
  it('given a large vocabulary, when trained with sampled softmax and row-wise updates, then it learns a deterministic successor far beyond chance and stops by itself', async () => {
    // Given: 300 actions (more than twice the 64 samples), each session walks a → a+1 → a+2.
    await initBackend({ log: () => undefined });
    const rng = seededRng(3);
    const sessions = Array.from({ length: 1500 }, () => {
      const a = 1 + Math.floor(rng() * 296);
      return [a, a + 1, a + 2];
    });
    const lines: string[] = [];
    // When
    const { model, stats } = await trainRnn(
      packSessions(sessions),
      { vocabularySize: 300, historyLength: 3, hiddenUnits: 32, outputSamples: 64, epochs: 40, patience: 2, learningRate: 0.02, seed: 5 },
      { log: (m) => lines.push(m) },
    );
    try {
      // Then
      expect(stats.sampledOutput).toBe(true);
      expect(stats.stopReason).toBe('patience');
      expect(stats.epochs).toBeLessThan(40);
      expect(stats.bestEpoch).toBeLessThanOrEqual(stats.epochs);
      expect(stats.validationWindows).toBeGreaterThan(0);
      expect(lines.some((l) => l.includes('sampled softmax'))).toBe(true);
      const histories = Array.from({ length: 100 }, (_, i) => ({ seq: [10 + i, 11 + i], len: 2 }));
      const rows = model.predictBatch(histories);
      let hits = 0;
      histories.forEach((h, i) => {
        const row = rows.subarray(i * 300, (i + 1) * 300);
        if (row.indexOf(Math.max(...row)) === h.seq[1]! + 1) hits++;
      });
      expect(hits).toBeGreaterThan(80);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('holds out the most recent sessions: windows of sessions from..to only', () => {
    const p = packSessions([[1, 2], [3, 4, 5], [6]]);
    expect([...windowIndex(p, 1, 3)]).toEqual([2, 3, 2, 4]);
  });
});
