import {
  cacheSubjects,
  predictionSubjects,
  type DataGetReply,
  type NodeCacheStats,
  type PredictionModelUpdatedV1,
  type SessionCacheStats,
} from '@foresight/contracts';
import { encode, publishEvent } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import {
  decodeBundle,
  decodeMarkov,
  encodeBundle,
  encodeKnn,
  encodeMarkov,
  MIXTURE_SHAPE,
  SessionKnn,
  VariableOrderMarkov,
  Vocabulary,
  type MixtureWeights,
} from '@foresight/prediction-core';
import { eventually, uniqueName } from '@foresight/testing';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { ModelsRepository } from '../../apps/prediction/src/models/models.repository';
import { versionName } from '../../apps/prediction/src/models/serving-model';
import type { LocalStack } from '../../scripts/local-stack';
import { freePort } from '../../scripts/infra/ports';
import { api, natsAs, startTestStack, type ApiResponse } from './support';

const errorCode = (r: ApiResponse<unknown>) => (r.body as { error?: { code?: string } }).error?.code;

/**
 * The predictive cache end to end: two shard nodes, the prediction service and the example origin
 * as processes, through the gateway.
 *
 * Over 300 lines on purpose: every scenario shares one stack of five processes, started once.
 */
describe('predictive cache through the gateway (2 shard nodes, prediction service, example origin)', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  /** As another prediction instance would connect (it announces models). */
  let nc: NatsConnection;
  /** As a data origin would connect (it announces changed keys). */
  let originNc: NatsConnection;
  const namespace = uniqueName('t');

  const origin = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${stack.originUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await r.json()) as T;
  };
  const served = async (key: string) => (await origin<{ keys: Record<string, number> }>('GET', '/admin/stats')).keys[key] ?? 0;
  const data = (id: string, key: string) => client.call<DataGetReply>('GET', `/v1/sessions/${id}/data/${encodeURIComponent(key)}`);
  const record = async (id: string, action: string) => expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
  const nodeStats = async () => (await client.call<{ nodes: NodeCacheStats[] }>('GET', '/v1/cache/stats')).body.nodes;
  /** A session owned by `nodeId` (or by any node when omitted). */
  /** The model the service serves after the test that published a Markov + kNN ensemble. */
  let ensembleVersion = 'v1';
  const announce = async (version: number, kind: 'markov' | 'ensemble', createdAt: Date, totalBytes: number): Promise<void> => {
    const event: PredictionModelUpdatedV1 = {
      id: randomUUID(),
      type: 'prediction.model_updated',
      version: 1,
      sessionId: '',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      data: { modelVersion: versionName(version), kind, createdAt: createdAt.toISOString(), totalBytes, sha256: '', metrics: {} },
    };
    await publishEvent(nc.jetstream(), predictionSubjects(namespace).predictionEvent(event.type), event);
  };
  const sessionOn = async (nodeId?: string): Promise<string> => {
    for (let i = 0; i < 50; i++) {
      const r = await client.create({ userId: `u${i}` });
      if (!nodeId || r.body.owner.nodeId === nodeId) return r.body.id;
    }
    throw new Error(`no session landed on ${nodeId}`);
  };

  beforeAll(async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/items/{key}`;
    const origins = [
      { id: 'catalog', pattern: 'product:{id}', kind: 'http', url, timeoutMs: 300, retries: 1 },
      { id: 'reviews', pattern: 'reviews:*', kind: 'nats', subject: `${namespace}.origin.items`, timeoutMs: 300 },
      { id: 'docs', pattern: 'doc:*', kind: 'http', url },
      { id: 'flaky', pattern: 'flaky:*', kind: 'http', url, timeoutMs: 300, retries: 1, breaker: { failureThreshold: 3, openMs: 30_000 } },
      { id: 'slow', pattern: 'slow:*', kind: 'http', url, timeoutMs: 300, retries: 0 },
      { id: 'junk', pattern: 'junk:*', kind: 'http', url },
    ];
    stack = await startTestStack('cache', {
      shardNodes: 2,
      extraServices: ['prediction'],
      originExample: { port, env: { ORIGIN_LATENCY_MS: '20', ORIGIN_PAYLOAD_BYTES: '512', ORIGIN_NATS_SUBJECT: `${namespace}.origin.items` } },
      env: {
        FORESIGHT_NAMESPACE: namespace,
        FORESIGHT_ORIGINS: JSON.stringify(origins),
        CACHE_LEARN_MIN_SUPPORT: '3',
        CACHE_MAX_VALUE_BYTES: '65536',
        CACHE_LEARNED_SAVE_MS: '300',
      },
    });
    client = api(stack);
    nc = await natsAs(stack, { role: 'prediction' });
    originNc = await natsAs(stack, { role: 'origin' });
  }, 180_000);

  afterAll(async () => {
    await nc?.drain();
    await originNc?.drain();
    await stack?.stop();
  }, 60_000);

  // First, while the prediction service's live vocabulary is still empty, so the stored model extends it.
  it('loads the model bundle the prediction service serves and prefetches the keys of a predicted, undeclared action (learned requirement)', async () => {
    const vocabulary = new Vocabulary();
    const markov = new VariableOrderMarkov({ maxOrder: 2 });
    // The long flow goes on past the taught steps, so no prediction (nor its second hop) ever falls
    // back to the popularity of open:2 before the test records open:1.
    const flows = [
      ['open:1', 'open:2'],
      ['open:10', 'open:11', 'open:12', 'open:13', 'open:14', 'open:15', 'open:16', 'open:17'],
    ];
    for (let i = 0; i < 20; i++) for (const f of flows) markov.observeSession(f.map((a) => vocabulary.encode(a)));
    markov.growVocabulary(vocabulary.size);
    const pool = createPool(stack.databaseUrl, 2, 'cache-e2e');
    const row = await new ModelsRepository(pool)
      .storeActive(
        'markov',
        encodeBundle({ kind: 'markov', vocabulary: vocabulary.toJSON(), markov: encodeMarkov(markov), knn: null, rnn: null, mixture: null }),
        { test: true },
        new Date(),
        5,
      )
      .finally(() => pool.end());
    const event: PredictionModelUpdatedV1 = {
      id: randomUUID(),
      type: 'prediction.model_updated',
      version: 1,
      sessionId: '',
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      data: {
        modelVersion: versionName(row.version),
        kind: 'markov',
        createdAt: row.createdAt.toISOString(),
        totalBytes: row.artifact.length,
        sha256: '',
        metrics: {},
      },
    };
    // As if another prediction instance had trained it: the service loads it from Postgres, the shard nodes from the service.
    await publishEvent(nc.jetstream(), predictionSubjects(namespace).predictionEvent(event.type), event);
    await eventually(
      async () => ((await nodeStats()).every((n) => n.modelVersion === versionName(row.version)) ? true : undefined),
      30_000,
      'both nodes on the new model',
    );

    // Teach one node what open:<n> reads (nobody declared it): doc:<n>.
    const id = await sessionOn();
    for (const n of [10, 11, 12, 13]) {
      await record(id, `open:${n}`);
      expect((await data(id, `doc:${n}`)).status).toBe(200);
    }
    await record(id, 'open:14');
    expect(await served('doc:2')).toBe(0);

    // The model predicts open:2 after open:1; the learned requirement turns it into doc:2.
    await record(id, 'open:1');
    await eventually(async () => ((await served('doc:2')) > 0 ? true : undefined), 10_000, 'doc:2 prefetched');
    await new Promise((r) => setTimeout(r, 200));
    const r = await data(id, 'doc:2');
    expect(r.status).toBe(200);
    expect(r.body.source).toBe('prefetched');
    expect(r.body.waitedMs).toBe(0);
    expect(await served('doc:2')).toBe(1);
  });

  // Second: the live vocabulary is still the first model's, which this one extends.
  it('a node predicts with the ensemble the service chose: the kNN part makes it prefetch what Markov alone never predicts', async () => {
    const pool = createPool(stack.databaseUrl, 2, 'cache-e2e');
    const models = new ModelsRepository(pool);
    try {
      const current = decodeBundle((await models.active())!.artifact);
      const vocabulary = Vocabulary.fromJSON(current.vocabulary);
      const [k1, k2] = [vocabulary.encode('knn:1'), vocabulary.encode('knn:2')];
      // The same Markov part as the model in use (later scenarios rely on its flows).
      const markov = decodeMarkov(current.markov);
      markov.growVocabulary(vocabulary.size);
      // Markov has never seen knn:1, so it backs off to popularity: knn:2 is nowhere near a prefetch.
      expect(markov.predict([k1], 10).find((p) => p.action === k2)?.p ?? 0).toBeLessThan(0.05);
      const knn = new SessionKnn({ maxSessions: 100 });
      for (let i = 0; i < 5; i++) knn.observeSession([k1, k2]);
      const buckets = MIXTURE_SHAPE.lengthBuckets * MIXTURE_SHAPE.evidenceBuckets;
      const mixture: MixtureWeights = {
        version: 2,
        components: ['markov', 'knn'],
        ...MIXTURE_SHAPE,
        weights: Array.from({ length: buckets }, () => [0.2, 0.8]).flat(),
        repeat: [1, 1],
      };
      const bytes = encodeBundle({ kind: 'ensemble', vocabulary: vocabulary.toJSON(), markov: encodeMarkov(markov), knn: encodeKnn(knn), rnn: null, mixture });
      const row = await models.storeActive('ensemble', bytes, { test: true }, new Date(), 5);
      ensembleVersion = versionName(row.version);
      await announce(row.version, 'ensemble', row.createdAt, row.artifact.length);
    } finally {
      await pool.end();
    }
    await eventually(
      async () => ((await nodeStats()).every((n) => n.modelVersion === ensembleVersion) ? true : undefined),
      30_000,
      'both nodes on the ensemble',
    );
    for (const node of ['shard-1', 'shard-2']) {
      const text = await (await fetch(`${stack.services.get(node)!.httpUrl}/metrics`)).text();
      expect(text).toMatch(/foresight_cache_model_served\{[^}]*model="markov\+knn"[^}]*\} 1/);
      expect(text).toMatch(/foresight_cache_model_served\{[^}]*model="markov"[^}]*\} 0/);
    }

    expect((await client.call('PUT', '/v1/requirements', { pattern: 'knn:{id}', keys: ['doc:k{id}'] })).status).toBe(200);
    const id = await sessionOn();
    await record(id, 'knn:1');
    await eventually(async () => ((await served('doc:k2')) > 0 ? true : undefined), 10_000, 'doc:k2 prefetched');
    await new Promise((r) => setTimeout(r, 200));
    const read = await data(id, 'doc:k2');
    expect(read.status).toBe(200);
    expect(read.body.source).toBe('prefetched');
    expect(await served('doc:k2')).toBe(1);
  }, 60_000);

  it('prefetches declared requirements when an action is recorded (HTTP and NATS origins), so the read is a hit', async () => {
    expect((await client.call('PUT', '/v1/requirements', { pattern: 'view_product:{id}', keys: ['product:{id}', 'reviews:{id}'] })).status).toBe(200);
    expect(errorCode(await client.call('PUT', '/v1/requirements', { pattern: 'view product', keys: ['x'] }))).toBe('CACHE.INVALID_PATTERN');
    expect(errorCode(await client.call('PUT', '/v1/requirements', { pattern: 'view:{id}', keys: ['product:{id'] }))).toBe('REQUIREMENT.INVALID_TEMPLATE');
    const listed = await client.call<{ declarations: { pattern: string }[] }>('GET', '/v1/requirements');
    expect(listed.body.declarations.map((d) => d.pattern)).toContain('view_product:{id}');

    // Every node heard the declaration (a session on each).
    const nodes = (await nodeStats()).map((n) => n.nodeId);
    expect(nodes).toHaveLength(2);
    for (const [i, node] of nodes.entries()) {
      const id = await sessionOn(node);
      const pid = 700 + i;
      await record(id, `view_product:${pid}`);
      await eventually(
        async () => ((await served(`product:${pid}`)) > 0 && (await served(`reviews:${pid}`)) > 0 ? true : undefined),
        10_000,
        'both keys fetched',
      );
      await new Promise((r) => setTimeout(r, 200));
      const product = await data(id, `product:${pid}`);
      expect(product.status).toBe(200);
      expect(product.body).toMatchObject({ key: `product:${pid}`, source: 'prefetched', waitedMs: 0 });
      expect((product.body.value as { key: string }).key).toBe(`product:${pid}`);
      expect((await data(id, `reviews:${pid}`)).body.source).toBe('prefetched');
      expect((await data(id, `product:${pid}`)).body.source).toBe('cache');
      const stats = await client.call<SessionCacheStats>('GET', `/v1/sessions/${id}/cache-stats`);
      expect(stats.body).toMatchObject({ live: true, nodeId: node, requests: 3, hits: 3, prefetchUsed: 2 });
    }

    const id = await sessionOn();
    expect(errorCode(await data(id, 'has*star'))).toBe('REQUEST.INVALID');
    expect(errorCode(await data(id, 'unknown:1'))).toBe('ORIGIN.NOT_FOUND');
    expect((await client.call('POST', `/v1/sessions/${id}/prefetch`, { action: 'view_product:9' })).body).toMatchObject({
      action: 'view_product:9',
      queued: ['product:9', 'reviews:9'],
    });
    expect(errorCode(await client.call('POST', `/v1/sessions/${id}/prefetch`, { action: 'no spaces' }))).toBe('REQUEST.INVALID');
  });

  it('invalidation reaches every node; garbage on the subject is counted, never fatal', async () => {
    const nodes = (await nodeStats()).map((n) => n.nodeId);
    const ids = [await sessionOn(nodes[0]), await sessionOn(nodes[1])];
    const key = 'product:1000';
    for (const id of ids) {
      expect((await data(id, key)).body.source).toMatch(/origin|inflight|cache/);
      expect((await data(id, key)).body.source).toBe('cache');
    }
    await origin('POST', '/admin/bump', { key });
    originNc.publish(cacheSubjects(namespace).invalidate, new Uint8Array([0xc1, 0x01]));
    originNc.publish(cacheSubjects(namespace).invalidate, encode({ keys: 'not-a-list' }));
    expect((await client.call('POST', '/v1/invalidate', { keys: [key] })).status).toBe(202);
    expect(errorCode(await client.call('POST', '/v1/invalidate', { keys: ['a b'] }))).toBe('REQUEST.INVALID');
    for (const id of ids) {
      const r = await eventually(
        async () => {
          const res = await data(id, key);
          return res.body.source !== 'cache' ? res : undefined;
        },
        5000,
        'the key dropped on every node',
      );
      expect((r.body.value as { version: number }).version).toBe(2);
    }

    // A load in flight when the invalidation arrives carries the old value: it is dropped when it lands.
    await origin('PUT', '/admin/rules', { rules: [{ prefix: 'doc:5000', latencyMs: 300 }] });
    const slowRead = data(ids[0]!, 'doc:5000');
    await new Promise((r) => setTimeout(r, 100));
    await origin('POST', '/admin/bump', { key: 'doc:5000' });
    expect((await client.call('POST', '/v1/invalidate', { keys: ['doc:5000'] })).status).toBe(202);
    expect(((await slowRead).body.value as { version: number }).version).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    const fresh = await data(ids[0]!, 'doc:5000');
    expect(fresh.body.source).toBe('origin');
    expect((fresh.body.value as { version: number }).version).toBe(2);
    await origin('PUT', '/admin/rules', { rules: [] });

    const stats = await nodeStats();
    for (const n of stats) {
      expect(n.invalidations).toBeGreaterThanOrEqual(1);
      expect(n.invalidMessages).toBeGreaterThanOrEqual(2);
    }
    expect((await fetch(`${stack.services.get('shard-1')!.httpUrl}/health`)).status).toBe(200);
  });

  it('a failing, slow or garbage origin gives 502/504/503 with codes and opens its breaker; another origin stays fast', async () => {
    await origin('PUT', '/admin/rules', {
      rules: [
        { prefix: 'flaky:', status: 500 },
        { prefix: 'slow:', latencyMs: 2000 },
        { prefix: 'junk:', garbage: true },
        { prefix: 'junk:big', garbage: false, payloadBytes: 100_000 },
        { prefix: 'doc:gone', status: 404 },
      ],
    });
    const id = await sessionOn();
    // A key the origin does not have: 404 with a code, remembered (the second read does not ask again).
    for (let i = 0; i < 2; i++) {
      const gone = await data(id, 'doc:gone1');
      expect([gone.status, errorCode(gone)]).toEqual([404, 'DATA.NOT_FOUND']);
    }
    expect(await served('doc:gone1')).toBe(1);
    const failed = await data(id, 'flaky:1');
    expect(failed.status).toBe(502);
    expect(errorCode(failed)).toBe('ORIGIN.FAILED');
    // Two attempts per read (1 retry) and a threshold of 3: the second read opens the circuit.
    await data(id, 'flaky:2');
    const open = await data(id, 'flaky:3');
    expect(open.status).toBe(503);
    expect(errorCode(open)).toBe('ORIGIN.CIRCUIT_OPEN');
    const before = await served('flaky:4');
    expect(errorCode(await data(id, 'flaky:4'))).toBe('ORIGIN.CIRCUIT_OPEN');
    expect(await served('flaky:4')).toBe(before);

    const junk = await data(id, 'junk:1');
    expect(junk.status).toBe(502);
    expect(errorCode(junk)).toBe('ORIGIN.BAD_RESPONSE');
    const big = await data(id, 'junk:big');
    expect(big.status).toBe(502);
    expect((big.body as unknown as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'ORIGIN.BAD_RESPONSE',
      message: expect.stringMatching(/CACHE_MAX_VALUE_BYTES/),
    });

    // While slow reads wait out their timeouts, reads of another origin are not delayed.
    const slow = [1, 2, 3].map((n) => data(id, `slow:${n}`));
    const started = Date.now();
    for (let n = 0; n < 5; n++) expect((await data(id, `product:${2000 + n}`)).status).toBe(200);
    const healthyMs = (Date.now() - started) / 5;
    for (const r of await Promise.all(slow)) {
      expect(r.status).toBe(504);
      expect(errorCode(r)).toBe('ORIGIN.TIMEOUT');
    }
    expect(healthyMs).toBeLessThan(250);

    const owner = (await client.call<{ nodeId: string }>('GET', `/v1/sessions/${id}/owner`)).body.nodeId;
    const node = (await nodeStats()).find((n) => n.nodeId === owner)!;
    const byId = Object.fromEntries(node.origins.map((o) => [o.id, o]));
    expect(byId.flaky!.breaker).toBe('open');
    expect(byId.catalog!.breaker).toBe('closed');
    expect(byId.docs!.breaker).toBe('closed');
    expect(byId.slow!.errors['ORIGIN.TIMEOUT']).toBeGreaterThanOrEqual(3);
    // Prometheus gauges are refreshed once a second.
    const breakerOpen = /foresight_cache_origin_breaker_state\{[^}]*origin="flaky"[^}]*\} 2/;
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(`${stack.services.get(owner)!.httpUrl}/metrics`)).text();
        return breakerOpen.test(text) ? text : undefined;
      },
      5000,
      'the breaker state in /metrics',
    );
    expect(metrics).toMatch(/foresight_cache_hits_total\{[^}]*\} [1-9]/);
  });

  it('a node that joins later loads the stored requirements, the current model and the learned requirements at start', async () => {
    await stack.startService('shard', 'shard-3');
    const joined = await eventually(
      async () => (await nodeStats()).find((n) => n.nodeId === 'shard-3' && n.modelVersion !== null),
      20_000,
      'shard-3 with a model',
    );
    expect(joined.modelVersion).toBe(ensembleVersion);
    expect(joined.declaredRequirements).toBeGreaterThanOrEqual(1);
    await stack.waitForAssignment(['shard-1', 'shard-2', 'shard-3']);
    const id = await sessionOn('shard-3');
    await record(id, 'view_product:3000');
    await eventually(async () => ((await served('product:3000')) > 0 ? true : undefined), 10_000, 'prefetch on the new node');

    // open:<n> → doc:<n> was learned on another node (first test); the new node starts from the saved
    // evidence, so the model's next action (open:17 after open:16) is turned into doc:17 here too, and
    // the read finds it prefetched. Without the saved evidence nothing would map open:17 to a key.
    expect((await nodeStats()).find((n) => n.nodeId === 'shard-3')!.learnedShapes).toBeGreaterThanOrEqual(1);
    await record(id, 'open:16');
    await eventually(
      async () => ((await nodeStats()).find((n) => n.nodeId === 'shard-3')!.prefetchCompleted > 0 ? true : undefined),
      10_000,
      'prefetches on the new node',
    );
    await new Promise((r) => setTimeout(r, 200));
    const learned = await data(id, 'doc:17');
    expect(learned.status).toBe(200);
    expect(['prefetched', 'inflight']).toContain(learned.body.source);
  }, 60_000);
});
