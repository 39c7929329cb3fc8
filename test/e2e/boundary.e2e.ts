import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headers, type NatsConnection } from 'nats';
import { Client } from 'pg';
import { Headers, subjects } from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { eventually, uniqueName } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, natsAs, startTestStack, type ApiResponse } from './support';
import { counterSum, expectEnvelope, rawHttp } from './boundary-support';

/** Input limits and error envelopes at the gateway and on the bus, through real processes. */
describe('boundary: input limits and error envelopes (gateway, metadata, shard as processes)', () => {
  const logs = join(__dirname, '..', '..', '.data', 'test-logs', uniqueName('boundary'));
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  /** A caller of shard nodes (the gateway's NATS user), bypassing the gateway's HTTP checks. */
  let nc: NatsConnection;
  /** The one user allowed to announce assignments: a metadata instance gone wrong floods them. */
  let notices: NatsConnection;
  let pg: Client;
  let sessionId: string;
  const reroutes = () => counterSum(stack.gatewayUrl, 'foresight_gateway_reroutes_total');
  const put = (name: string, body: string, extra: Record<string, string> = {}) =>
    client.call('PUT', `/v1/sessions/${sessionId}/vars/cart/${name}`, body, extra);

  beforeAll(async () => {
    stack = await startTestStack('boundary', { shardNodes: 1, logs, env: { LOG_LEVEL: 'debug' } });
    client = api(stack);
    nc = await natsAs(stack, { role: 'gateway' });
    notices = await natsAs(stack, { role: 'metadata' });
    pg = new Client({ connectionString: stack.databaseUrl });
    await pg.connect();
    sessionId = (await client.create({})).body.id;
  }, 120_000);

  afterAll(async () => {
    await pg?.end();
    await nc?.drain();
    await notices?.drain();
    await stack?.stop();
  }, 60_000);

  it('answers a 10,000-deep JSON body with 400 at once: never sent on, never retried', async () => {
    const before = await reroutes();
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const cases: [string, Promise<ApiResponse>][] = [
      ['fast lane PUT', put('deep', `{"value":${deep}}`)],
      ['PATCH', client.call('PATCH', `/v1/sessions/${sessionId}/vars/cart/deep`, `{"patch":${deep}}`)],
      ['create', client.call('POST', '/v1/sessions', `{"data":{"cart":{"x":${deep}}}}`)],
    ];
    for (const [what, pending] of cases) {
      const r = await pending;
      expect([what, r.status, errorCode(r)]).toEqual([what, 400, 'REQUEST.INVALID']);
      expect((r.body as { error: { message: string } }).error.message).toMatch(/nested more than 64 levels/);
    }
    expect(await reroutes()).toBe(before);
  }, 60_000);

  it('refuses objects with too many keys (400) and bodies over the limit (413), without retrying', async () => {
    const before = await reroutes();
    const keys = (n: number) => `{"value":{${Array.from({ length: n }, (_, i) => `"${i.toString(36)}":0`).join(',')}}}`;
    const many = await put('wide', keys(100_000));
    expect([many.status, errorCode(many)]).toEqual([400, 'REQUEST.INVALID']);
    expect((many.body as { error: { message: string } }).error.message).toMatch(/more than 10000 keys/);
    expect((await put('fine', keys(1000))).status).toBe(200);
    // The gateway answers from the declared length and closes; a client still writing would only
    // see the connection reset (fetch does), so this one sends the body's start and reads the answer.
    const host = new URL(stack.gatewayUrl).host;
    for (const mb of [1, 2, 5]) {
      const body = `{"value":"${'x'.repeat(mb * 1_000_000)}"}`;
      const r = await rawHttp(
        stack.gatewayUrl,
        `PUT /v1/sessions/${sessionId}/vars/cart/huge HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${stack.apiKey}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        { body: body.slice(0, 64 * 1024) },
      );
      expectEnvelope(r, 413, 'REQUEST.TOO_LARGE');
    }
    expect(await reroutes()).toBe(before);
  }, 60_000);

  it('answers a body within the HTTP limit but too large for the bus with 413 REQUEST.TOO_LARGE, without retrying', async () => {
    const before = await reroutes();
    // ~900 KB of JSON that MessagePack encodes as ~2 MB (every 0.1 is a 9-byte double).
    const floats = `{"value":[${Array.from({ length: 225_000 }, () => '0.1').join(',')}]}`;
    expect(floats.length).toBeGreaterThan(880_000);
    const r = await put('floats', floats);
    expect([r.status, errorCode(r)]).toEqual([413, 'REQUEST.TOO_LARGE']);
    expect((r.body as { error: { message: string } }).error.message).toMatch(/message bus carries/);
    expect(await reroutes()).toBe(before);
  }, 60_000);

  it('answers a whole-session read larger than the bus with 413 at once; reading some groups still works', async () => {
    const id = (await client.create({ data: { cart: { n: 1 } } })).body.id;
    for (let i = 0; i < 5; i++) expect((await client.put(id, 'app', `chunk${i}`, 'y'.repeat(250 * 1024))).status).toBe(200);
    const before = await reroutes();
    const whole = await client.get(id);
    expect([whole.status, errorCode(whole)]).toEqual([413, 'REQUEST.TOO_LARGE']);
    expect((whole.body as { error: { message: string } }).error.message).toMatch(/\?groups=/);
    expect(await reroutes()).toBe(before);
    const some = await client.get(id, 'cart');
    expect([some.status, (some.body as { groups: unknown }).groups]).toEqual([200, { cart: { n: 1 } }]);
  }, 90_000);

  it('reaches variable names of 128 characters and data keys of 512, and refuses longer ones in the envelope', async () => {
    const name = 'n'.repeat(128);
    expect((await client.put(sessionId, 'cart', name, 42)).status).toBe(200);
    expect((await client.getVar(sessionId, 'cart', name)).body).toMatchObject({ value: 42 });
    expectEnvelope(await client.put(sessionId, 'cart', 'n'.repeat(129), 1), 400, 'REQUEST.INVALID');
    // No origin serves these keys: the shard answers ORIGIN.NOT_FOUND, so the request got through.
    for (const key of ['k'.repeat(512), encodeURIComponent('a/?#%'.repeat(102) + 'ab')]) {
      expectEnvelope(await client.call('GET', `/v1/sessions/${sessionId}/data/${key}`), 404, 'ORIGIN.NOT_FOUND');
    }
    expectEnvelope(await client.call('GET', `/v1/sessions/${sessionId}/data/${'k'.repeat(513)}`), 400, 'REQUEST.INVALID');
    expectEnvelope(await client.call('GET', `/v1/sessions/${sessionId}/data/${'k'.repeat(2000)}`), 414, 'REQUEST.URI_TOO_LONG');
  });

  it('answers bad URLs, oversized headers and malformed HTTP in the error envelope, echoing nothing', async () => {
    const badUrl = await client.call('GET', '/v1/sessions/%ZZ');
    expectEnvelope(badUrl, 400, 'REQUEST.INVALID');
    expect(JSON.stringify(badUrl.body)).not.toContain('%ZZ');
    const host = new URL(stack.gatewayUrl).host;
    const bigHeaders = await rawHttp(
      stack.gatewayUrl,
      `GET /v1/sessions/${sessionId} HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${stack.apiKey}\r\nx-big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expectEnvelope(bigHeaders, 431, 'REQUEST.HEADERS_TOO_LARGE');
    expect(bigHeaders.headers.get('x-correlation-id')).toBe((bigHeaders.body as { error: { correlationId: string } }).error.correlationId);
    const garbage = await rawHttp(stack.gatewayUrl, 'NOT HTTP AT ALL\r\n\r\n');
    expectEnvelope(garbage, 400, 'REQUEST.INVALID');
    const notFound = await client.call('GET', '/v1/nothing-here');
    expectEnvelope(notFound, 404, 'REQUEST.ROUTE_NOT_FOUND');
    expect((await client.create({})).status).toBe(201);
  });

  it('answers form-encoded and plain-text bodies on JSON routes with 415', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/xml']) {
      const fast = await put('typed', 'value=1', { 'content-type': type });
      expectEnvelope(fast, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      expectEnvelope(await client.call('POST', '/v1/sessions', 'userId=u', { 'content-type': type }), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
    }
    expectEnvelope(await client.getVar(sessionId, 'cart', 'typed'), 404, 'SESSION.VARIABLE_NOT_FOUND');
  });

  it('keeps no over-long correlation id, whether it comes over HTTP or over NATS', async () => {
    const id = (await client.create({})).body.id;
    const viaHttp = await fetch(`${stack.gatewayUrl}/v1/sessions/${id}/vars/cart/a`, {
      method: 'PUT',
      headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json', 'x-correlation-id': 'c'.repeat(15_000) },
      body: JSON.stringify({ value: 1 }),
    });
    expect(viaHttp.status).toBe(200);
    const used = viaHttp.headers.get('x-correlation-id')!;
    expect(used).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await client.call('PUT', `/v1/sessions/${id}/vars/cart/b`, { value: 2 }, { 'x-correlation-id': 'corr-kept-1' });
    expect(kept.status).toBe(200);
    const h = headers();
    h.set(Headers.op, 'var.put');
    h.set(Headers.correlationId, 'n'.repeat(15_000));
    h.set(Headers.causationId, 'k'.repeat(15_000));
    const reply = decode<{ ok: boolean }>(
      (
        await nc.request(subjects(stack.namespace).shardRpc('shard-1'), encode({ sessionId: id, group: 'cart', name: 'c', value: 3 }), {
          timeout: 10_000,
          headers: h,
        })
      ).data,
    );
    expect(reply.ok).toBe(true);
    const rows = (
      await pg.query<{ correlation_id: string; causation_id: string }>(
        `SELECT correlation_id, causation_id FROM events WHERE session_id = $1 AND type = 'session.variable_set' ORDER BY stream_version`,
        [id],
      )
    ).rows;
    // a, b, c in that order.
    expect(rows).toHaveLength(3);
    expect(rows[0]!.correlation_id).toBe(used);
    expect(rows[1]!.correlation_id).toBe('corr-kept-1');
    for (const r of rows) {
      expect(r.correlation_id.length).toBeLessThanOrEqual(128);
      expect(r.causation_id.length).toBeLessThanOrEqual(128);
    }
  });

  it('logs an aborted upload at debug, not as an error', async () => {
    const gatewayLog = join(logs, 'gateway.log');
    const host = new URL(stack.gatewayUrl).host;
    await eventually(
      async () => {
        // Expect: 100-continue lets the client know the gateway is reading the body before it hangs up.
        await rawHttp(
          stack.gatewayUrl,
          `PUT /v1/sessions/${sessionId}/vars/cart/upload HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${stack.apiKey}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\nexpect: 100-continue\r\n\r\n`,
          { afterContinue: '{"value":"' + 'u'.repeat(1000), abort: true },
        );
        return /"level":"debug".*"the client closed the connection before its request body arrived"/.test(readFileSync(gatewayLog, 'utf8')) || undefined;
      },
      30_000,
      'a debug line for the aborted upload',
    );
    const errors = readFileSync(gatewayLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":"error"'));
    expect(errors).toEqual([]);
  }, 60_000);

  it('coalesces assignment notices: 10,000 of them cause a handful of refreshes', async () => {
    const s = subjects(stack.namespace);
    const shard = stack.services.get('shard-1')!.httpUrl;
    const version = Number((await pg.query<{ v: string }>('SELECT assignment_version AS v FROM cluster_state WHERE id = 1')).rows[0]!.v);
    const counts = async () => ({
      gatewayNotices: await counterSum(stack.gatewayUrl, 'foresight_gateway_assignment_notices_total'),
      gatewayRefreshes: await counterSum(stack.gatewayUrl, 'foresight_gateway_assignment_refreshes_total'),
      shardNotices: await counterSum(shard, 'foresight_assignment_notices_total'),
      shardRefreshes: await counterSum(shard, 'foresight_assignment_refreshes_total'),
    });
    // 100 batches of 100, each received by both services before the next is sent: a flood that lasts,
    // so refreshing per notice (or per batch) would show as dozens of refreshes.
    const flood = async (version: (i: number) => number) => {
      const start = await counts();
      let end = start;
      for (let batch = 1; batch <= 100; batch++) {
        for (let i = 0; i < 100; i++) notices.publish(s.assignmentChanged, encode({ version: version(batch * 100 + i) }));
        await notices.flush();
        end = await eventually(
          async () => {
            const c = await counts();
            return c.gatewayNotices - start.gatewayNotices >= batch * 100 && c.shardNotices - start.shardNotices >= batch * 100 ? c : undefined;
          },
          30_000,
          `notice batch ${batch} received`,
        );
      }
      return { gateway: end.gatewayRefreshes - start.gatewayRefreshes, shard: end.shardRefreshes - start.shardRefreshes };
    };
    // Stale notices (versions already applied): nothing to learn from them.
    const stale = await flood((i) => Math.max(0, version - 1 - (i % 3)));
    // Notices claiming a version that does not exist: the first refresh shows it false.
    const forged = await flood(() => version + 1000);
    // The gateway also refreshes on its 5 s timer, a few times while the floods last.
    expect(stale.gateway).toBeLessThanOrEqual(5);
    expect(stale.shard).toBeLessThanOrEqual(2);
    expect(forged.gateway).toBeLessThanOrEqual(6);
    expect(forged.shard).toBeLessThanOrEqual(3);
    // Routing still works.
    expect((await client.put(sessionId, 'cart', 'after', 1)).status).toBe(200);
  }, 150_000);
});
