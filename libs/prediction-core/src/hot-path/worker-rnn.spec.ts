import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { saveRnnArtifact } from '../rnn/artifact';
import { packSessions } from '../rnn/sessions';
import { initBackend } from '../rnn/tf';
import { trainRnn } from '../rnn/train';
import { WorkerRnn } from './worker-rnn';

jest.setTimeout(120_000);

/** The compiled worker entry (from TypeScript sources the library's own default points at a `.ts` folder). */
const WORKER = join(__dirname, '..', '..', '..', '..', 'dist', 'libs', 'prediction-core', 'src', 'hot-path', 'rnn-worker.js');

describe('the RNN in a worker thread', () => {
  it('given a trained network, when a worker scores histories, then its rows are the network’s own most likely actions', async () => {
    expect(existsSync(WORKER)).toBe(true); // npm run build first
    await initBackend({ log: () => undefined });
    const sessions = Array.from({ length: 200 }, (_, i) => Array.from({ length: 2 + (i % 5) }, (_, k) => 1 + ((i + k) % 5)));
    const { model } = await trainRnn(packSessions(sessions), { vocabularySize: 6, historyLength: 4, hiddenUnits: 8, epochs: 1, batchSize: 32 });
    const bytes = await saveRnnArtifact(model);
    const remote = await WorkerRnn.load(bytes, WORKER);
    try {
      expect([remote.window, remote.vocabularySize]).toEqual([4, 6]);
      const histories = [[1], [1, 2], [3, 4, 5, 1, 2]];
      const rows = await remote.scoreRows(histories, 3);
      const dense = model.predictBatch(histories.map((h) => ({ seq: h, len: h.length })));
      rows.forEach((row, i) => {
        const mine = Array.from(dense.subarray(i * 6, (i + 1) * 6)).map((p, a) => ({ a, p }));
        mine.sort((x, y) => y.p - x.p || x.a - y.a);
        expect(Array.from(row.actions)).toEqual(mine.slice(0, 3).map((m) => m.a));
        row.probs.forEach((p, j) => expect(p).toBeCloseTo(mine[j]!.p, 5));
      });
    } finally {
      remote.dispose();
      model.dispose();
    }
  });

  it('given bytes that are not a network, when a worker loads them, then it refuses with ARTIFACT_CORRUPT', async () => {
    await expect(WorkerRnn.load(Uint8Array.from([1, 2, 3]), WORKER)).rejects.toMatchObject({ code: 'PREDICTION.ARTIFACT_CORRUPT' });
  });
});
