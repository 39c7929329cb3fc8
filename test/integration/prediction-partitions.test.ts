import { predictionSubjects, type PredictionResult } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { callRpc } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { ActionWriter, predictionConfig, predictionRuntime } from './prediction-harness';

const SHARDS = 64;
const FLOW_A = ['login', 'browse', 'cart', 'checkout'];
const FLOW_B = ['home', 'search', 'item', 'buy'];

/**
 * Two databases stand for two Postgres servers of a partitioned event store: shards 0-31 on the
 * primary, 32-63 on the second. The prediction service must learn from, and read the histories of,
 * the sessions of both; each server numbers its events from 1, so positions collide across them.
 */
describe('prediction service over a partitioned event store (two real databases)', () => {
  let nc: NatsConnection;
  let primaryUrl: string;
  let primary: Pool;
  let second: Pool;
  let onPrimary: ActionWriter;
  let onSecond: ActionWriter;
  const namespace = uniqueName('predpart');
  let env: Record<string, string>;
  let service: Awaited<ReturnType<typeof predictionRuntime>> | null = null;

  const predict = (sessionId: string) =>
    callRpc<PredictionResult>(nc, predictionSubjects(namespace).predictionRpc('predict'), 'predict', { sessionId, n: 1 }, { timeoutMs: 10_000 });

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    primaryUrl = await createTestDatabase('predpart_a');
    const secondUrl = await createTestDatabase('predpart_b');
    env = { SHARD_COUNT: String(SHARDS), EVENT_STORE_PARTITIONS: `0-31=primary,32-63=${secondUrl}` };
    const idSecret = predictionConfig(primaryUrl, namespace, env).session.idSecret;
    primary = createPool(primaryUrl, 4, 'prediction-writer-a');
    second = createPool(secondUrl, 4, 'prediction-writer-b');
    onPrimary = new ActionWriter(primary, nc, namespace, idSecret, (id) => shardOf(id, SHARDS) < 32);
    onSecond = new ActionWriter(second, nc, namespace, idSecret, (id) => shardOf(id, SHARDS) >= 32);
    await onPrimary.init();
    await onSecond.init();
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await onPrimary.close();
    await onSecond.close();
    await primary.end();
    await second.end();
    await nc.drain();
  });

  it('rebuilds from every partition, skips only what each one rebuilt, and learns the new actions of both', async () => {
    // More events on the primary, so the second server's next positions are below the primary's horizon.
    for (let s = 0; s < 6; s++) await onPrimary.session(FLOW_A);
    for (let s = 0; s < 2; s++) await onSecond.session(FLOW_B);
    service = await predictionRuntime(primaryUrl, nc, namespace, env);
    await service.runtime.start();
    const { runtime } = service;
    expect(runtime.model.global.observations).toBe(6 * 4 + 2 * 4);
    expect([...runtime.rebuilt!.horizon.keys()]).toEqual(['0-31', '32-63']);
    const [a, b] = [...runtime.rebuilt!.horizon.values()];
    expect(b).toBeLessThan(a!);

    // The stream redelivers every rebuilt event: each is skipped by its own server's horizon.
    await eventually(() => (runtime.consumed['below-horizon'] >= 32 ? true : undefined), 20_000, 'redelivered events skipped');
    expect(runtime.model.global.observations).toBe(32);

    // A new session on the second server: its positions are below the primary's horizon, and it is learned.
    const live = await onSecond.session(FLOW_B);
    await eventually(() => (runtime.model.windows.get(live)?.actions.length === 4 ? true : undefined), 20_000, 'new actions learned');
    expect(runtime.model.global.observations).toBe(36);
    expect(runtime.model.applied.get('32-63')).toBeGreaterThan(b!);
  }, 60_000);

  it("predicts a session from its own server's history and index when it is not in memory", async () => {
    // Committed but not published: the service knows it only from the second server.
    const unseen = await onSecond.session(['home', 'search'], { publish: false });
    expect((await predict(unseen)).predictions[0]!.action).toBe('item');
    const fresh = await onSecond.session([], { publish: false });
    expect((await predict(fresh)).historyLength).toBe(0);
  }, 30_000);

  it('trains on the sessions of every partition', async () => {
    const { runtime } = service!;
    const sessions = await runtime.actions.trainingSessions(new Map(runtime.model.applied), 100);
    const flows = sessions.map((s) => s.actions.join(' '));
    expect(flows.filter((f) => f === FLOW_A.join(' '))).toHaveLength(6);
    expect(flows.filter((f) => f === FLOW_B.join(' '))).toHaveLength(3);
  }, 30_000);
});
