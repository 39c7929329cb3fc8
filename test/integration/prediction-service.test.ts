import { ErrorCodes, Headers, ForesightError, predictionSubjects, subjects, type PredictionResult } from '@foresight/contracts';
import { callRpc, decode, encode } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, headers, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { ActionsRepository } from '../../apps/prediction/src/learning/actions.repository';
import { ActionWriter, predictionConfig, predictionRuntime } from './prediction-harness';

const FLOW = ['login', 'browse', 'cart', 'checkout'];

describe('prediction service against real NATS and Postgres: online learning and predict', () => {
  let nc: NatsConnection;
  let pool: Pool;
  let url: string;
  let writer: ActionWriter;
  const namespace = uniqueName('pred');
  let service: Awaited<ReturnType<typeof predictionRuntime>> | null = null;

  const predict = (sessionId: string, n?: number) =>
    callRpc<PredictionResult>(nc, predictionSubjects(namespace).predictionRpc('predict'), 'predict', { sessionId, n }, { timeoutMs: 5000 });
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => (e instanceof ForesightError ? e.code : String(e)),
    );

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('prediction');
    pool = createPool(url, 4, 'prediction-writer');
    writer = new ActionWriter(pool, nc, namespace, predictionConfig(url, namespace).session.idSecret);
    await writer.init();
  });
  afterAll(async () => {
    await service?.stop();
    await writer.close();
    await pool.end();
    await nc.drain();
  });

  it('rebuilds from Postgres, skips what it rebuilt when the stream redelivers it, and learns new actions online', async () => {
    // Before the service runs: five sessions committed and published, and two actions committed but not yet published.
    for (let s = 0; s < 5; s++) await writer.session(FLOW);
    const late = await writer.session(['login', 'browse'], { publish: false });
    service = await predictionRuntime(url, nc, namespace);
    await service.runtime.start();
    const { model } = service.runtime;
    // Every action is one observation (the first of a session is learned from the start-of-session context).
    expect(model.global.observations).toBe(5 * 4 + 2);
    expect([...service.runtime.rebuilt!.horizon.values()]).toEqual([expect.any(Number)]);
    expect([...service.runtime.rebuilt!.horizon.values()][0]).toBeGreaterThan(0);

    // The stream redelivers the rebuilt events, and the late ones arrive now: none is counted twice.
    await writer.publishHeldBack();
    await eventually(async () => ((await counter(service!, 'below-horizon')) >= 5 * 4 + 2 ? true : undefined), 10_000, 'redelivered events skipped');
    expect(model.global.observations).toBe(22);

    // New actions are learned online.
    const live = await writer.createSession('u1');
    await writer.record(live, 'login');
    await writer.record(live, 'browse');
    await eventually(() => (model.global.observations === 24 ? true : undefined), 10_000, 'live actions learned');
    const r = await predict(live, 3);
    expect(r).toMatchObject({ sessionId: live, modelVersion: 'markov-live', model: 'markov', historyLength: 2 });
    expect(r.predictions[0]!.action).toBe('cart');
    expect(r.predictions.length).toBe(3);
    expect(r.predictions[0]!.p).toBeGreaterThan(0.5);
    // The late session continues from its history too (login, browse → cart).
    expect((await predict(late, 1)).predictions[0]!.action).toBe('cart');
  });

  it('comes back after a restart with the same counts (rebuild from Postgres, durable consumer resumes)', async () => {
    const before = service!.runtime.model.global.observations;
    await service!.stop();
    const held = await writer.session(['login'], { publish: false });
    service = await predictionRuntime(url, nc, namespace);
    await service.runtime.start();
    expect(service.runtime.model.global.observations).toBe(before + 1);
    await writer.publishHeldBack();
    await writer.record(held, 'browse');
    await eventually(() => (service!.runtime.model.global.observations === before + 2 ? true : undefined), 10_000, 'new action after restart');
    expect((await predict(held, 1)).predictions[0]!.action).toBe('cart');
  });

  it('answers a session with no action yet from the start-of-session distribution', async () => {
    const fresh = await writer.createSession('someone');
    const r = await predict(fresh);
    expect(r.historyLength).toBe(0);
    // Every known action (four), never the catch-all bucket.
    expect(r.predictions.map((p) => p.action).sort()).toEqual(['browse', 'cart', 'checkout', 'login']);
    expect(r.predictions[0]!.action).toBe('login');
  });

  it('turns bad input into error replies with stable codes and keeps serving', async () => {
    const s = predictionSubjects(namespace);
    expect(await codeOf(predict('not-issued-by-us'))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect(await codeOf(predict(generateSessionId(service!.config.session.idSecret)))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect(await codeOf(predict('x', 0))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(predict('x', 51))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(callRpc(nc, s.predictionRpc('predict'), 'predict', 'a string', { timeoutMs: 5000 }))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(callRpc(nc, s.predictionRpc('model'), 'model', {}, { timeoutMs: 5000 }))).toBe(ErrorCodes.PREDICTION_MODEL_NOT_FOUND);
    // Raw garbage bytes, with and without the op header.
    for (const h of [undefined, headers()]) {
      h?.set(Headers.op, 'predict');
      const reply = decode<{ ok: boolean; error: { code: string } }>(
        (await nc.request(s.predictionRpc('predict'), new Uint8Array([0xc1, 0x00, 0xff]), { timeout: 5000, headers: h })).data,
      );
      expect(reply).toMatchObject({ ok: false, error: { code: ErrorCodes.MALFORMED_MESSAGE } });
    }
    // Garbage on the action subject is terminated by the consumer, not learned.
    const observations = service!.runtime.model.global.observations;
    const js = nc.jetstream();
    await js.publish(subjects(namespace).sessionEvent('session.action_recorded'), new TextEncoder().encode('garbage'));
    await js.publish(subjects(namespace).sessionEvent('session.action_recorded'), new Uint8Array([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa1, 0x78]));
    const id = await writer.session(['login', 'browse']);
    await eventually(() => (service!.runtime.model.global.observations === observations + 2 ? true : undefined), 10_000, 'learning after garbage');
    expect((await predict(id, 1)).predictions[0]!.action).toBe('cart');
  });

  // Last: it writes rows the earlier tests' counts do not expect.
  it('waits for commits that hold lower positions before trusting the horizon (no gap between rebuild and stream)', async () => {
    const insert = (client: { query: Pool['query'] }, sessionId: string) =>
      client.query(
        `INSERT INTO events (session_id, stream_version, shard, epoch, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data)
         VALUES ($1, 1, 0, 1, gen_random_uuid(), 'session.action_recorded', 1, now(), 'c', 'c', $2) RETURNING position`,
        [sessionId, Buffer.from(encode({ action: 'slow', userId: null }))],
      );
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      const low = Number((await insert(slow, uniqueName('slow'))).rows[0]!.position);
      const high = Number((await insert(pool, uniqueName('fast'))).rows[0]!.position);
      expect(high).toBeGreaterThan(low);
      const repo = new ActionsRepository(pool);
      const horizon = repo.stableHorizon();
      setTimeout(() => void slow.query('COMMIT'), 300);
      const { positions } = await horizon;
      const [label] = repo.partitionLabels;
      expect(positions.get(label!)).toBeGreaterThanOrEqual(high);
      const seen: number[] = [];
      for await (const page of repo.scan(positions, new Map([[label!, low - 1]]))) seen.push(...page.map((a) => a.position));
      expect(seen).toEqual(expect.arrayContaining([low, high]));
    } finally {
      slow.release();
    }
  });
});

async function counter(service: Awaited<ReturnType<typeof predictionRuntime>>, outcome: 'learned' | 'duplicate' | 'below-horizon'): Promise<number> {
  return service.runtime.consumed[outcome];
}
