import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@foresight/config';
import { cacheSubjects, ErrorCodes, ForesightError, subjects } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import { connectRpcTransport, METRICS } from '@foresight/platform';
import { generateSessionId } from '@foresight/session-domain';
import { createTestDatabase, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ShardModule } from '../../apps/shard/src/app.module';
import { ShardRuntime } from '../../apps/shard/src/shard.runtime';
import { FakeMetadata } from './shard-harness';

/**
 * The shard node's Nest edge: the module builds the runtime, the `@RpcOp` controllers answer on the
 * node's subject and on the requirements queue group, errors keep their codes on the wire, and every
 * request on the node's subject is timed in `foresight_shard_rpc_seconds`.
 */
describe('shard node through its Nest edge (controllers over the transport)', () => {
  let nc: NatsConnection;
  let pool: Pool;
  let app: NestFastifyApplication;
  let metadata: FakeMetadata;
  const ns = uniqueName('shardn');
  const nodeId = 'shard-n1';
  let secret: string;
  const call = <T>(op: string, body: unknown, subject = subjects(ns).shardRpc(nodeId)) => callRpc<T>(nc, subject, op, body, { timeoutMs: 5000 });

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    const url = await createTestDatabase('shardn');
    pool = createPool(url, 2, 'edge-test');
    metadata = new FakeMetadata(nc, pool, ns, 8);
    await metadata.start();
    const config = loadConfig('shard', {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      NATS_URL: testInfra().natsUrl,
      FORESIGHT_NAMESPACE: ns,
      NODE_ID: nodeId,
      SHARD_COUNT: '8',
      CACHE_MODEL_POLL_MS: '3600000',
      CACHE_LEARNED_SAVE_MS: '0',
    });
    secret = config.session.idSecret;
    app = await NestFactory.create<NestFastifyApplication>(ShardModule.register(config), new FastifyAdapter(), { logger: false });
    await connectRpcTransport(app, app.get(ShardRuntime).transport);
    await app.init();
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    metadata?.stop();
    await pool?.end();
    await nc?.drain();
  });

  it('serves session and variable ops on the node subject', async () => {
    const id = generateSessionId(secret);
    await expect(call('session.create', { sessionId: id, userId: null, groups: {} })).resolves.toMatchObject({ id, version: 1, owner: { nodeId } });
    await expect(call('var.put', { sessionId: id, group: 'cart', name: 'items', value: [1] })).resolves.toEqual({ version: 2 });
    await expect(call('var.get', { sessionId: id, group: 'cart', name: 'items' })).resolves.toEqual({ value: [1], version: 2 });
    await expect(call('data.stats', { sessionId: id })).resolves.toMatchObject({ sessionId: id, live: false });
    await expect(call('cache.stats', {})).resolves.toMatchObject({ nodeId });
  });

  it('keeps stable error codes on the wire', async () => {
    const id = generateSessionId(secret);
    await expect(call('var.put', { sessionId: id, group: 'cart' })).rejects.toMatchObject({ code: ErrorCodes.VALIDATION });
    await expect(call('var.get', { sessionId: id, group: 'cart', name: 'items' })).rejects.toMatchObject({ code: ErrorCodes.SESSION_NOT_FOUND });
    await expect(call('no.such.op', {})).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_OPERATION });
    const error = await call('data.get', { sessionId: 'x'.repeat(32), key: 'k:1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForesightError);
  });

  it('answers data requirements on the shared queue-group endpoint', async () => {
    const requirements = cacheSubjects(ns).requirementsRpc;
    await expect(call('put', { pattern: 'view:{id}', keys: ['doc:{id}'] }, requirements)).resolves.toMatchObject({
      declaration: { pattern: 'view:{id}' },
      removed: false,
    });
    await expect(call('list', {}, requirements)).resolves.toEqual({ declarations: [{ pattern: 'view:{id}', keys: ['doc:{id}'] }] });
  });

  it('times every request on the node subject in foresight_shard_rpc_seconds', async () => {
    const metrics = app.get<Registry>(METRICS);
    const text = await metrics.metrics();
    expect(text).toMatch(/foresight_shard_rpc_seconds_count\{[^}]*op="var\.put"[^}]*ok="true"[^}]*\} [1-9]/);
    expect(text).toMatch(/foresight_shard_rpc_seconds_count\{[^}]*op="var\.put"[^}]*ok="false"[^}]*\} [1-9]/);
  });
});
