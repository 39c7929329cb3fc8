import { isCacheError, ResilientOrigin, type OriginFetch } from '@foresight/cache-core';
import { loadOriginExampleConfig, parseOrigins, type OriginSpec } from '@foresight/config';
import { encode } from '@foresight/messaging';
import { testInfra, uniqueName } from '@foresight/testing';
import { systemTime } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import { OriginServer } from '../../apps/origin-example/src/origin-server';
import { httpOriginFetch } from '../../apps/shard/src/cache/origins/http-origin';
import { OriginKeyPattern } from '../../apps/shard/src/cache/origins/key-template';
import { natsOriginFetch } from '../../apps/shard/src/cache/origins/nats-origin';

/** The shard node's origin adapters against the real example origin (HTTP and NATS) and a real nats-server. */
describe('origin adapters against the example origin and real NATS', () => {
  let nc: NatsConnection;
  let server: OriginServer;
  let base: string;
  const subject = `${uniqueName('origin')}.items`;

  const spec = (over: Partial<OriginSpec> & Pick<OriginSpec, 'pattern'>): OriginSpec => {
    const problems: string[] = [];
    const [s] = parseOrigins(JSON.stringify([{ id: 'o', kind: 'http', url: `${base}/items/{key}`, ...over }]), 'test', 2000, problems);
    expect(problems).toEqual([]);
    return s!;
  };
  const resilient = (s: OriginSpec, fetch: OriginFetch<unknown>) =>
    new ResilientOrigin<unknown>(
      { id: s.id, fetch, timeoutMs: s.timeoutMs, retries: s.retries, breaker: s.breaker, backoff: { baseMs: 10, maxMs: 20 } },
      { clock: systemTime, timers: systemTime, rng: Math.random },
    );
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isCacheError(e) ? e.code : String(e)),
    );

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    server = new OriginServer(loadOriginExampleConfig({}, ['--port', '0', '--latency-ms', '5', '--payload-bytes', '300']));
    base = `http://127.0.0.1:${await server.listen()}`;
    server.serveNats(nc, subject);
    await fetch(`${base}/admin/rules`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rules: [
          { prefix: 'p:fail', status: 503 },
          { prefix: 'p:missing', status: 404 },
          { prefix: 'p:forbidden', status: 403 },
          { prefix: 'p:junk', garbage: true },
          { prefix: 'p:big', payloadBytes: 5000 },
          { prefix: 'p:slow', latencyMs: 400 },
        ],
      }),
    });
  });

  afterAll(async () => {
    await server.close();
    await nc.drain();
  });

  it('HTTP: fills the URL template, returns parsed JSON and its size', async () => {
    const s = spec({ pattern: 'p:{id}', url: `${base}/items/{key}?id={id}` });
    const r = await resilient(s, httpOriginFetch(s, new OriginKeyPattern(s.pattern), 1024)).load('p:42', 'demand');
    expect(r.value).toMatchObject({ key: 'p:42', version: 1 });
    expect(r.size).toBe(300);
  });

  it('HTTP: 5xx is retried then ORIGIN.FAILED, 404 is DATA.NOT_FOUND, 4xx/garbage/oversized are ORIGIN.BAD_RESPONSE at once, slow is ORIGIN.TIMEOUT', async () => {
    const s = spec({ pattern: 'p:*', timeoutMs: 200, retries: 1, breaker: { failureThreshold: 100, openMs: 1000 } });
    const origin = resilient(s, httpOriginFetch(s, new OriginKeyPattern(s.pattern), 1024));
    const before = server.stats.keys['p:fail'] ?? 0;
    expect(await codeOf(origin.load('p:fail', 'demand'))).toBe('ORIGIN.FAILED');
    expect(server.stats.keys['p:fail']! - before).toBe(2);
    const missing = server.stats.keys['p:missing'] ?? 0;
    expect(await codeOf(origin.load('p:missing', 'demand'))).toBe('DATA.NOT_FOUND');
    expect(server.stats.keys['p:missing']! - missing).toBe(1); // not retried
    expect(await codeOf(origin.load('p:forbidden', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    expect(await codeOf(origin.load('p:junk', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    expect(await codeOf(origin.load('p:big', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    expect(await codeOf(origin.load('p:slow', 'demand'))).toBe('ORIGIN.TIMEOUT');
  });

  it('HTTP: an unreachable origin is ORIGIN.FAILED, and the breaker then opens', async () => {
    const s = spec({ pattern: 'p:*', url: 'http://127.0.0.1:1/items/{key}', retries: 0, breaker: { failureThreshold: 2, openMs: 10_000 } });
    const origin = resilient(s, httpOriginFetch(s, new OriginKeyPattern(s.pattern), 1024));
    expect(await codeOf(origin.load('p:1', 'demand'))).toBe('ORIGIN.FAILED');
    expect(await codeOf(origin.load('p:2', 'demand'))).toBe('ORIGIN.FAILED');
    expect(await codeOf(origin.load('p:3', 'demand'))).toBe('ORIGIN.CIRCUIT_OPEN');
  });

  it('NATS: request/reply with the example origin; no responders, error replies and garbage are refused with codes', async () => {
    const s = spec({ pattern: 'p:*', kind: 'nats', subject, url: undefined, retries: 0 });
    const ok = await resilient(s, natsOriginFetch(s, nc, 4096)).load('p:7', 'demand');
    expect(ok.value).toMatchObject({ key: 'p:7' });
    expect(await codeOf(resilient(s, natsOriginFetch(s, nc, 4096)).load('p:fail', 'demand'))).toBe('ORIGIN.FAILED');
    expect(await codeOf(resilient(s, natsOriginFetch(s, nc, 4096)).load('p:missing', 'demand'))).toBe('DATA.NOT_FOUND');
    expect(await codeOf(resilient(s, natsOriginFetch(s, nc, 4096)).load('p:junk', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    expect(await codeOf(resilient(s, natsOriginFetch(s, nc, 100)).load('p:7', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    const nobody = { ...s, subject: `${subject}.nobody` };
    expect(await codeOf(resilient(nobody, natsOriginFetch(nobody, nc, 4096)).load('p:1', 'demand'))).toBe('ORIGIN.FAILED');
    // A reply without "value" is garbage too.
    const shapeless = `${subject}.shapeless`;
    const sub = nc.subscribe(shapeless, { callback: (_e, m) => m.respond(encode({ something: 'else' })) });
    const other = { ...s, subject: shapeless };
    expect(await codeOf(resilient(other, natsOriginFetch(other, nc, 4096)).load('p:1', 'demand'))).toBe('ORIGIN.BAD_RESPONSE');
    sub.unsubscribe();
  });
});
