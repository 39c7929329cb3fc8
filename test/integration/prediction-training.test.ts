import { ErrorCodes, predictionSubjects, type ModelChunk, type PredictionModelUpdatedV1, type PredictionResult } from '@foresight/contracts';
import { callRpc, decode, publishEvent } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import { AFTER_DECAY_CANDIDATES, decodeBundle, decodeKnn, encodeBundle, loadRnnArtifact, SessionKnnPredictor, Vocabulary } from '@foresight/prediction-core';
import { seededRng, type Rng } from '@foresight/random';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { createHash, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ActionWriter, predictionRuntime } from './prediction-harness';

/**
 * Sessions with a pattern an order-3 Markov model cannot see: the last action repeats the first
 * (mode_a → end_a, mode_b → end_b) after four random steps. A recurrent model that reads the whole
 * session can learn it; chance is 1 in 6 actions.
 */
function patternSession(rng: Rng): string[] {
  const mode = rng() < 0.5 ? 'a' : 'b';
  const steps = Array.from({ length: 4 }, () => (rng() < 0.5 ? 'step_x' : 'step_y'));
  return [`mode_${mode}`, ...steps, `end_${mode}`];
}

const SESSIONS = 400;
// Tiny network, few epochs: seconds on the shared machine.
const ENV = {
  // One round as soon as every session is in (checked twice a second), then none for ten minutes.
  PREDICTION_RETRAIN_INTERVAL_MS: '600000',
  PREDICTION_RETRAIN_CHECK_MS: '500',
  PREDICTION_RETRAIN_MIN_SESSIONS: String(SESSIONS),
  PREDICTION_HISTORY_LENGTH: '8',
  PREDICTION_RNN_HIDDEN_UNITS: '16',
  PREDICTION_RNN_EPOCHS: '6',
  PREDICTION_RNN_BATCH_SIZE: '32',
  PREDICTION_RNN_LEARNING_RATE: '0.03',
  PREDICTION_SEED: '7',
};

describe('prediction service against real NATS and Postgres: retraining, stored models, hot swap', () => {
  let nc: NatsConnection;
  let pool: Pool;
  let url: string;
  let writer: ActionWriter;
  let service: Awaited<ReturnType<typeof predictionRuntime>>;
  let announcements: Subscription;
  const announced: PredictionModelUpdatedV1[] = [];
  const namespace = uniqueName('predtrain');
  const s = predictionSubjects(namespace);

  const predict = (sessionId: string, n = 3) => callRpc<PredictionResult>(nc, s.predictionRpc('predict'), 'predict', { sessionId, n }, { timeoutMs: 10_000 });

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('predtrain');
    pool = createPool(url, 4, 'prediction-writer');
    service = await predictionRuntime(url, nc, namespace, ENV);
    writer = new ActionWriter(pool, nc, namespace, service.config.session.idSecret);
    await writer.init();
    announcements = nc.subscribe(s.predictionEvent('prediction.model_updated'), { callback: (_e, msg) => announced.push(decode(msg.data)) });
    // Half the history is in Postgres before the service starts (rebuild), half arrives on the stream (consumer).
    const rng = seededRng(2024);
    const sessions = Array.from({ length: SESSIONS }, () => patternSession(rng));
    // Twenty sessions at a time: the event store commits concurrent appends together.
    const write = async (from: number, to: number, publish: boolean) => {
      for (let i = from; i < to; i += 20) await Promise.all(sessions.slice(i, Math.min(to, i + 20)).map((a) => writer.session(a, { publish })));
    };
    await write(0, SESSIONS / 2, false);
    await service.runtime.start();
    await write(SESSIONS / 2, SESSIONS, true);
  }, 120_000);

  afterAll(async () => {
    announcements?.unsubscribe();
    await service?.stop();
    await writer.close();
    await pool.end();
    await nc.drain();
  });

  it('trains a small RNN in a worker thread until its held-out loss stops improving, keeps the mixture that beats Markov held out, says which, stores and announces it', async () => {
    await eventually(() => (service.runtime.registry.current.version !== 'markov-live' ? true : undefined), 150_000, 'a trained model');
    const row = (await service.runtime.models.active())!;
    type Scores = { hit1: number; mrr20: number; nll: number };
    const m = row.metrics as {
      decision: string;
      fit: string;
      sessions: { train: number };
      candidates: Record<string, Scores>;
      rnn: { epochs: number; bestEpoch: number; stopReason: string };
      knn: { afterDecay: number; heldOut: Record<string, Scores> };
    };
    expect(m.sessions.train).toBe(SESSIONS * 0.8);
    expect(Object.keys(m.candidates)).toEqual(expect.arrayContaining(['markov', 'markov+knn', 'markov+rnn', 'markov+knn+rnn', 'markov+knn+rnn (rank fit)']));
    // A mixture wins, and beats Markov on the held-out sessions (the pattern is beyond an order-3 Markov model).
    expect(m.decision).not.toBe('markov');
    const chosen = m.candidates[m.fit === 'rank' ? `${m.decision} (rank fit)` : m.decision]!;
    expect(chosen.mrr20).toBeGreaterThan(m.candidates['markov']!.mrr20);
    expect(chosen.hit1).toBeGreaterThan(m.candidates['markov']!.hit1);
    // The RNN alone sees the pattern too: mixed with Markov it beats chance (1 in 6) by far.
    expect(m.candidates['markov+rnn']!.hit1).toBeGreaterThan(2 / 6);
    // How the kNN's neighbours vote was chosen held out among the candidates, and recorded.
    expect(Object.keys(m.knn.heldOut)).toEqual(AFTER_DECAY_CANDIDATES.map(String));
    expect(AFTER_DECAY_CANDIDATES).toContain(m.knn.afterDecay);
    expect(m.rnn.bestEpoch).toBeLessThanOrEqual(m.rnn.epochs);
    expect(['patience', 'max-epochs']).toContain(m.rnn.stopReason);
    expect(row.kind).toBe('ensemble');
    expect(service.runtime.registry.current).toMatchObject({ version: `v${row.version}`, kind: 'ensemble', name: m.decision });
    expect(service.lines.some((l) => l.msg === 'retraining progress')).toBe(true);
    expect(service.lines.some((l) => l.msg.startsWith(`kept ${m.decision}: it beat markov`))).toBe(true);
    await eventually(() => (announced.some((e) => e.data.modelVersion === `v${row.version}`) ? true : undefined), 10_000, 'model_updated event');
  }, 180_000);

  it('serves the ensemble: the next action Markov cannot see is predicted first', async () => {
    for (const mode of ['a', 'b']) {
      const id = await writer.session([`mode_${mode}`, 'step_x', 'step_y', 'step_y', 'step_x']);
      await eventually(async () => ((await predict(id)).historyLength === 5 ? true : undefined), 10_000, 'actions learned');
      const r = await predict(id);
      expect(r).toMatchObject({ model: service.runtime.registry.current.name, modelVersion: service.runtime.registry.current.version });
      expect(r.model).toMatch(/^markov\+/);
      expect(r.predictions[0]!.action).toBe(`end_${mode}`);
    }
  });

  it('lets a cache node pull the active model in chunks, check it and predict locally', async () => {
    const first = await callRpc<ModelChunk>(nc, s.predictionRpc('model'), 'model', {}, { timeoutMs: 10_000 });
    const parts = [first.data];
    for (let c = 1; c < first.chunks; c++) {
      parts.push(
        (await callRpc<ModelChunk>(nc, s.predictionRpc('model'), 'model', { modelVersion: first.modelVersion, chunk: c }, { timeoutMs: 10_000 })).data,
      );
    }
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBe(first.totalBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);
    const bundle = decodeBundle(bytes);
    expect(bundle.kind).toBe('ensemble');
    const vocabulary = Vocabulary.fromJSON(bundle.vocabulary);
    expect(first.vocabulary).toEqual(bundle.vocabulary.actions);
    const history = ['mode_b', 'step_y', 'step_y', 'step_x', 'step_x'].map((a) => vocabulary.lookup(a));
    // Each part the mixture names is in the bundle, and predicts locally what Markov cannot.
    expect(bundle.mixture!.components.join('+')).toBe(first.metrics['decision']);
    expect(bundle.knn !== null).toBe(bundle.mixture!.components.includes('knn'));
    expect(bundle.rnn !== null).toBe(bundle.mixture!.components.includes('rnn'));
    if (bundle.knn) {
      const { index, calibration } = decodeKnn(bundle.knn);
      expect(index.sessions).toBeGreaterThan(SESSIONS / 2);
      expect(calibration.afterDecay).toBe((first.metrics['knn'] as { afterDecay: number }).afterDecay);
      expect(vocabulary.decode(new SessionKnnPredictor(index, null, calibration).predict(history, 1)[0]!.action)).toBe('end_b');
    }
    if (bundle.rnn) {
      const rnn = await loadRnnArtifact(bundle.rnn);
      try {
        expect(vocabulary.decode(rnn.predict(history, 1)[0]!.action)).toBe('end_b');
      } finally {
        rnn.dispose();
      }
    }
    await expect(callRpc(nc, s.predictionRpc('model'), 'model', { modelVersion: 'v999', chunk: 0 }, { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: ErrorCodes.PREDICTION_MODEL_NOT_FOUND,
    });
  });

  it('hot-swaps a retrained model while predictions keep being answered', async () => {
    const id = await writer.session(['mode_a', 'step_x', 'step_x', 'step_x', 'step_x']);
    const before = service.runtime.registry.current.version;
    const versions = new Set<string>();
    const failures: unknown[] = [];
    let answered = 0;
    let stop = false;
    const clients = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const r = await predict(id, 2);
          versions.add(r.modelVersion);
          answered++;
        } catch (error) {
          failures.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    const round = await service.runtime.trainer.runRound({ force: true });
    const afterSwap = answered;
    await eventually(() => (answered > afterSwap + 20 ? true : undefined), 20_000, 'answers after the swap');
    stop = true;
    await Promise.all(clients);
    expect(round.status).toBe('stored');
    expect(failures).toEqual([]);
    const after = service.runtime.registry.current.version;
    expect(after).not.toBe(before);
    expect([...versions]).toEqual(expect.arrayContaining([before, after]));
  }, 180_000);

  it('refuses a corrupt or incompatible stored model, logs why, and keeps serving the previous one', async () => {
    const serving = service.runtime.registry.current.version;
    const id = await writer.session(['mode_b', 'step_x', 'step_y', 'step_x', 'step_y']);
    const good = (await service.runtime.models.active())!;
    const bundle = decodeBundle(good.artifact);
    const damaged = (bytes: Uint8Array): Buffer => {
      const copy = Buffer.from(bytes);
      copy[copy.length - 10]! ^= 0xff;
      return copy;
    };
    const renumbered = new Vocabulary({ actions: [...bundle.vocabulary.actions.slice(1)].reverse() }).toJSON();
    const bad = [
      { why: 'garbage bytes', bytes: Buffer.from('definitely not a model'), code: 'PREDICTION.ARTIFACT_CORRUPT' },
      { why: 'a vocabulary numbered differently', bytes: encodeBundle({ ...bundle, vocabulary: renumbered }), code: 'PREDICTION.ARTIFACT_INCOMPATIBLE' },
      { why: 'a mixture naming a part the bundle lacks', bytes: encodeBundle({ ...bundle, knn: null, rnn: null }), code: 'PREDICTION.ARTIFACT_CORRUPT' },
      ...(bundle.rnn
        ? [{ why: 'a damaged RNN artifact', bytes: encodeBundle({ ...bundle, rnn: damaged(bundle.rnn) }), code: 'PREDICTION.ARTIFACT_CORRUPT' }]
        : []),
      ...(bundle.knn
        ? [{ why: 'a damaged kNN snapshot', bytes: encodeBundle({ ...bundle, knn: bundle.knn.subarray(0, 12) }), code: 'PREDICTION.SNAPSHOT_CORRUPT' }]
        : []),
    ];
    for (const b of bad) {
      const row = await service.runtime.models.storeActive('ensemble', b.bytes, { why: b.why }, new Date(), 10);
      // Announced as another instance would: this one loads it from Postgres, checks it, refuses it.
      await announce(row.version);
      const refusal = await eventually(
        () => service.lines.find((l) => l.msg === 'refused a stored model; keeping the current one' && l.obj.version === `v${row.version}`),
        30_000,
        `refusal of ${b.why}`,
      );
      expect(refusal.obj).toMatchObject({ code: b.code, keeping: serving });
      expect(service.runtime.registry.current.version).toBe(serving);
      const r = await predict(id);
      expect(r.modelVersion).toBe(serving);
      expect(r.predictions[0]!.action).toBe('end_b');
    }

    // Restarted while the active row is corrupt: the service starts, says why, and predicts with Markov.
    await service.stop();
    service = await predictionRuntime(url, nc, namespace, { ...ENV, PREDICTION_RETRAIN_INTERVAL_MS: '0' });
    await service.runtime.start();
    expect(service.runtime.registry.current.version).toBe('markov-live');
    expect(service.lines.some((l) => l.msg === 'refused a stored model; keeping the current one')).toBe(true);
    expect((await predict(id)).model).toBe('markov');
  }, 120_000);

  async function announce(version: number): Promise<void> {
    const event: PredictionModelUpdatedV1 = {
      id: randomUUID(),
      type: 'prediction.model_updated',
      version: 1,
      sessionId: '',
      occurredAt: new Date().toISOString(),
      correlationId: 'test',
      causationId: 'test',
      data: { modelVersion: `v${version}`, kind: 'ensemble', createdAt: new Date().toISOString(), totalBytes: 0, sha256: '', metrics: {} },
    };
    await publishEvent(nc.jetstream(), s.predictionEvent(event.type), event);
  }
});
