import type { INestMicroservice } from '@nestjs/common';
import { loadConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, subjects, tokenSubjects, type TokenCommands } from '@foresight/contracts';
import { callRpc, ensureStream } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool } from '@foresight/persistence';
import { CONFIG, serveRpcControllers } from '@foresight/platform';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { systemClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { tokenRuntimeParts } from '../../apps/token/src/app.module';
import { TokenRpcController } from '../../apps/token/src/rpc/tokens.rpc';
import { TokenRuntime } from '../../apps/token/src/token.runtime';
import { quietLogger } from './token-harness';

async function failure(promise: Promise<unknown>): Promise<ForesightError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ForesightError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The token service as its composition root builds it, without the HTTP app: start, its API over NATS, stop. */
describe('token runtime without Nest: start, the request/reply API, stop', () => {
  let nc: NatsConnection;
  let pool: Pool;
  let metrics: Registry;
  let runtime: TokenRuntime;
  let host: INestMicroservice;
  const namespace = uniqueName('tokrt');
  const t = tokenSubjects(namespace);
  const call = <K extends keyof TokenCommands>(subject: string, op: string, body: unknown) =>
    callRpc<TokenCommands[K]['reply']>(nc, subject, op, body, { timeoutMs: 10_000 });

  beforeAll(async () => {
    const url = await createTestDatabase('tokrt');
    nc = await connect({ servers: testInfra().natsUrl });
    const s = subjects(namespace);
    await ensureStream(nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 });
    const config = loadConfig('token', { DATABASE_URL: url, FORESIGHT_NAMESPACE: namespace });
    pool = createPool(url, 4, 'token-runtime-test');
    metrics = createMetricsRegistry('token');
    runtime = new TokenRuntime({ config, pool, nc, logger: quietLogger, clock: systemClock, metrics });
    host = await serveRpcControllers(
      runtime.rpc,
      [TokenRpcController],
      [{ provide: TokenRuntime, useValue: runtime }, ...tokenRuntimeParts, { provide: CONFIG, useValue: config }],
    );
  }, 60_000);

  afterAll(async () => {
    await runtime.stop();
    await host.close();
    await pool.end();
    await nc.drain();
  });

  it('takes no request before start(); after it, serves the JWKS of the key it created', async () => {
    expect((await failure(call(t.tokenRpc('jwks'), 'jwks', {}))).code).toBe(ErrorCodes.UNAVAILABLE);
    await runtime.start();
    const jwks = await call<'jwks'>(t.tokenRpc('jwks'), 'jwks', {});
    expect(jwks.keys.map((k) => k.kid)).toEqual([runtime.keys.ring().current!.kid]);
    await eventually(() => (runtime.consumer.state().status === 'running' ? true : undefined), 10_000, 'the session-activity consumer');
  }, 60_000);

  it('serves an op on its own subject only, checks bodies against the schemas, and mints only for issued sessions', async () => {
    const onWrongSubject = await failure(call(t.tokenRpc('jwks'), 'issue', { sessionId: 's', userId: 'u' }));
    expect(onWrongSubject.code).toBe(ErrorCodes.UNKNOWN_OPERATION);
    expect(onWrongSubject.message).toBe(`Operation "issue" is served on ${t.tokenRpc('issue')} only.`);
    expect((await failure(call(`${namespace}.rpc.token.nope`, 'nope', {}))).code).toBe(ErrorCodes.UNKNOWN_OPERATION);
    expect((await failure(call(t.tokenRpc('refresh'), 'refresh', { refreshToken: 5 }))).code).toBe(ErrorCodes.VALIDATION);
    expect((await failure(call(t.tokenRpc('issue'), 'issue', { sessionId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', userId: 'u' }))).code).toBe(
      ErrorCodes.SESSION_NOT_FOUND,
    );
    expect((await failure(call(t.tokenRpc('refresh'), 'refresh', { refreshToken: 'not-a-token' }))).code).toBe(ErrorCodes.TOKEN_MALFORMED);
  });

  it('answers stats with its measured load per scheduler bucket, beside the forecast, for the dashboard', async () => {
    const empty = await call<'stats'>(t.tokenRpc('stats'), 'stats', {});
    expect(empty).toMatchObject({ bucketMs: 10_000, baseTtlMs: 15 * 60_000, maxTtlMs: 30 * 60_000, extendedTokens: 0 });
    // The sampler closes a bucket on its own timer; close one now with a known reading instead of waiting.
    runtime.load.countMint('scheduled');
    runtime.load.sample(Date.now(), { cpuMicros: 2000, eventLoopDelayP99Ms: 1 });
    const stats = await call<'stats'>(t.tokenRpc('stats'), 'stats', {});
    const last = stats.points[stats.points.length - 1]!;
    expect(last).toMatchObject({ scheduledRefreshes: 1, issued: 0, clientRefreshes: 0 });
    expect(last.utilisation).toBeGreaterThan(0);
    expect((await failure(call(t.tokenRpc('jwks'), 'stats', {}))).code).toBe(ErrorCodes.UNKNOWN_OPERATION);
  });

  it('times every request in foresight_token_rpc_seconds, by op and outcome', async () => {
    const values = (await metrics.getSingleMetric('foresight_token_rpc_seconds')!.get()).values;
    const count = (op: string, ok: string) =>
      values.find((v) => (v as { metricName?: string }).metricName === 'foresight_token_rpc_seconds_count' && v.labels.op === op && v.labels.ok === ok)
        ?.value ?? 0;
    expect(count('jwks', 'true')).toBeGreaterThanOrEqual(1);
    expect(count('issue', 'false')).toBe(2);
  });

  it('stops taking requests on stop()', async () => {
    await runtime.stop();
    expect((await failure(call(t.tokenRpc('jwks'), 'jwks', {}))).code).toBe(ErrorCodes.UNAVAILABLE);
    expect(runtime.consumer.state().status).toBe('stopped');
  });
});
