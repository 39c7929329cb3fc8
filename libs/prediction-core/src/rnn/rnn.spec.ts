import { seededRng } from '@foresight/random';
import { Vocabulary } from '../vocabulary';
import { loadRnnArtifact, saveRnnArtifact } from './artifact';
import type { RnnModel } from './rnn-model';
import { packSessions } from './sessions';
import { initBackend } from './tf';
import { trainRnn, type TrainProgress } from './train';
import { runTrainRequest, type TrainReply } from './worker-protocol';

/** Sessions walking the cycle 1 → 2 → … → 5 → 1 from random starting points. */
function cycleSessions(count: number, seed: number): number[][] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, () => {
    let a = 1 + Math.floor(rng() * 5);
    const s = [a];
    const len = 2 + Math.floor(rng() * 6);
    while (s.length < len) s.push((a = (a % 5) + 1));
    return s;
  });
}

const config = {
  vocabularySize: 6,
  historyLength: 4,
  hiddenUnits: 16,
  epochs: 4,
  patience: 4,
  batchSize: 32,
  learningRate: 0.03,
  learningRateDecay: 1,
  seed: 7,
};

describe('RNN next-action model', () => {
  let model: RnnModel;
  const progress: TrainProgress[] = [];

  beforeAll(async () => {
    await initBackend({ log: () => undefined });
    const result = await trainRnn(packSessions(cycleSessions(300, 1)), config, {
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
      version: 'test-1',
      vocabulary: new Vocabulary({ actions: ['a', 'b', 'c', 'd', 'e'] }).toJSON(),
    });
    model = result.model;
  }, 60_000);

  afterAll(() => model?.dispose());

  it('learns a deterministic cycle far beyond chance (1/5)', () => {
    const test = cycleSessions(100, 2);
    let hits = 0;
    let total = 0;
    const histories = test.flatMap((s) => s.slice(1).map((_, i) => ({ seq: s, len: i + 1 })));
    const rows = model.predictBatch(histories);
    histories.forEach((h, i) => {
      const row = rows.subarray(i * 6, (i + 1) * 6);
      const best = row.indexOf(Math.max(...row));
      total++;
      if (best === h.seq[h.len]) hits++;
    });
    expect(hits / total).toBeGreaterThan(0.9);
  });

  it('returns proper distributions and sorted top-N', () => {
    const out = new Float64Array(6);
    model.distribution([3], out);
    expect(out.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    const top = model.predict([3], 3);
    expect(top[0]!.action).toBe(4);
    expect(top[0]!.p).toBeGreaterThanOrEqual(top[1]!.p);
  });

  it('reports progress per epoch', () => {
    expect(progress.at(-1)).toMatchObject({ epoch: 4, epochs: 4 });
    expect(progress.at(-1)!.batch).toBe(progress.at(-1)!.batches);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
  });

  it('round-trips through a self-contained artifact with identical predictions', async () => {
    const bytes = await saveRnnArtifact(model, new Date(0));
    const copy = await loadRnnArtifact(bytes);
    const h = [
      { seq: [1, 2, 3], len: 3 },
      { seq: [5], len: 1 },
    ];
    expect(copy.predictBatch(h)).toEqual(model.predictBatch(h));
    expect(copy.vocabulary?.actions[1]).toBe('a');
    copy.dispose();
  });

  it('refuses corrupt artifacts with ARTIFACT_CORRUPT', async () => {
    const bytes = await saveRnnArtifact(model);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 100]! ^= 0xff;
    await expect(loadRnnArtifact(flipped)).rejects.toMatchObject({ code: 'PREDICTION.ARTIFACT_CORRUPT' });
    await expect(loadRnnArtifact(Buffer.from('not a model'))).rejects.toMatchObject({ code: 'PREDICTION.ARTIFACT_CORRUPT' });
    await expect(loadRnnArtifact(bytes.subarray(0, 40))).rejects.toMatchObject({ code: 'PREDICTION.ARTIFACT_CORRUPT' });
  });

  it('refuses incompatible artifacts with ARTIFACT_INCOMPATIBLE', async () => {
    const bytes = await saveRnnArtifact(model);
    await expect(loadRnnArtifact(bytes, { expectVocabularySize: 99 })).rejects.toMatchObject({ code: 'PREDICTION.ARTIFACT_INCOMPATIBLE' });
  });

  it('worker protocol: trains, reports progress and replies with a loadable artifact', async () => {
    const replies: TrainReply[] = [];
    await runTrainRequest(
      { type: 'train', sessions: packSessions(cycleSessions(50, 3)), config: { ...config, epochs: 1 }, version: 'w-1', progressIntervalMs: 0 },
      (r) => replies.push(r),
    );
    expect(replies.some((r) => r.type === 'progress')).toBe(true);
    const done = replies.find((r) => r.type === 'done');
    if (done?.type !== 'done') throw new Error(`no done reply: ${JSON.stringify(replies.at(-1))}`);
    const loaded = await loadRnnArtifact(done.artifact);
    expect(loaded.version).toBe('w-1');
    loaded.dispose();
  });

  it('worker protocol: turns failures into an error reply with a stable code', async () => {
    const replies: TrainReply[] = [];
    await runTrainRequest({ type: 'train', sessions: packSessions([[1]]), config }, (r) => replies.push(r));
    expect(replies.at(-1)).toMatchObject({ type: 'error', code: 'PREDICTION.TRAINING_FAILED' });
  });
});
