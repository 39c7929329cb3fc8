import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, uniqueName } from '@foresight/testing';
import { Client } from 'pg';
import type { LocalStack } from '../../scripts/local-stack';
import { subjects } from '@foresight/contracts';
import { decode } from '@foresight/messaging';
import { errorCode, natsAs, startTestStack } from './support';

/**
 * The gateway as a browser and the open internet meet it, on real processes: security headers, the
 * CORS allow-list, client addresses behind trusted proxies only, rate limits with Retry-After on
 * every mutating route, API keys with scopes and tenants, access logs; and, behind it, the values of
 * sensitive groups encrypted in Postgres.
 */
const APP = 'https://app.example.test';
const READER = 'r'.repeat(24);
const WRITER = 'w'.repeat(24);
const ACME = 'a'.repeat(24);
const SCOPED = JSON.stringify([
  { id: 'reader', key: READER, scopes: ['read'] },
  { id: 'writer', key: WRITER, scopes: ['read', 'write'] },
  { id: 'acme', key: ACME, scopes: ['read', 'write'], userPrefix: 'acme:' },
]);

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.key ? { 'x-api-key': options.key } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('browser-safe gateway (gateway, metadata, shard, token as processes)', () => {
  let stack: LocalStack;
  let logs: string;
  /** A second gateway behind a "proxy" on loopback, with tight write limits and no access log. */
  let proxied: string;
  const key = () => stack.apiKey;

  beforeAll(async () => {
    logs = join(__dirname, '..', '..', '.data', 'test-logs', uniqueName('browser_safety'));
    stack = await startTestStack('browser_safety', {
      extraServices: ['token'],
      logs,
      env: {
        CORS_ALLOWED_ORIGINS: APP,
        FORESIGHT_SCOPED_API_KEYS: SCOPED,
        HTTP_WRITE_RATE_PER_IP: '0.01',
        HTTP_WRITE_BURST_PER_IP: '3',
        SESSION_SENSITIVE_GROUPS: 'auth',
        SESSION_ENCRYPTION_KEYS: `k1:${'s'.repeat(40)}`,
      },
    });
    proxied = (
      await stack.startService('gateway', 'gateway-2', {
        HTTP_TRUSTED_PROXIES: 'loopback',
        HTTP_ACCESS_LOG: 'off',
        HTTP_WRITE_RATE_PER_KEY: '0.01',
        HTTP_WRITE_BURST_PER_KEY: '4',
      })
    ).httpUrl;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('sends security headers on API answers, errors and the docs', async () => {
    for (const r of [
      await call(stack.gatewayUrl, 'GET', '/health'),
      await call(stack.gatewayUrl, 'GET', '/v1/sessions/nope', { key: key() }),
      await call(stack.gatewayUrl, 'GET', '/docs/openapi.json'),
    ]) {
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers CORS only for the allowed origin, without the API key header', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.gatewayUrl}/v1/sessions/x/vars/cart/items`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight(APP);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(allowed.headers.get('access-control-allow-headers')).not.toContain('x-api-key');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await preflight('https://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${stack.gatewayUrl}/health`, { headers: { origin: 'https://evil.example.test' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    const readAllowed = await fetch(`${stack.gatewayUrl}/health`, { headers: { origin: APP } });
    expect(readAllowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(readAllowed.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  it('limits writes per client address, believing X-Forwarded-For only from a trusted proxy', async () => {
    // Direct gateway: the peer is the client, whatever X-Forwarded-For claims.
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 5; i++) {
      last = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { body: {}, headers: { 'x-forwarded-for': `203.0.113.${i}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(errorCode(last!)).toBe('REQUEST.RATE_LIMITED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Behind the trusted proxy: each forwarded client has its own bucket; one client still runs dry.
    for (let i = 0; i < 5; i++)
      expect((await call(proxied, 'POST', '/v1/sessions', { body: {}, headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status).toBe(401);
    const one = [];
    for (let i = 0; i < 4; i++) one.push((await call(proxied, 'POST', '/v1/sessions', { body: {}, headers: { 'x-forwarded-for': '198.51.100.200' } })).status);
    expect(one).toEqual([401, 401, 401, 429]);
  });

  it('rate limits every mutating route with Retry-After, reads stay open', async () => {
    const created = await call(proxied, 'POST', '/v1/sessions', { key: key(), body: { userId: 'u1' } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    // Three more writes drain the key's burst of 4.
    for (let i = 0; i < 3; i++) expect((await call(proxied, 'PUT', `/v1/sessions/${id}/vars/cart/items`, { key: key(), body: { value: i } })).status).toBe(200);
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/sessions', {}],
      ['DELETE', `/v1/sessions/${id}`],
      ['POST', `/v1/sessions/${id}/actions`, { action: 'home' }],
      ['PUT', `/v1/sessions/${id}/vars/cart/items`, { value: 1 }],
      ['PATCH', `/v1/sessions/${id}/vars/cart/items`, { patch: 1 }],
      ['DELETE', `/v1/sessions/${id}/vars/cart/items`],
      ['POST', `/v1/sessions/${id}/tokens`, {}],
      ['DELETE', `/v1/sessions/${id}/tokens`],
      ['POST', `/v1/sessions/${id}/prefetch`, { action: 'home' }],
      ['PUT', '/v1/requirements', { pattern: 'home', keys: [] }],
      ['POST', '/v1/invalidate', { keys: ['k'] }],
    ];
    for (const [method, path, body] of routes) {
      const r = await call(proxied, method, path, { key: key(), body });
      expect([method, path, r.status, errorCode(r), Number(r.headers.get('retry-after')) >= 1]).toEqual([method, path, 429, 'REQUEST.RATE_LIMITED', true]);
    }
    expect((await call(proxied, 'GET', `/v1/sessions/${id}/vars/cart/items`, { key: key() })).status).toBe(200);
  });

  it('gives each API key its scopes: read, write, admin; a plain key has them all', async () => {
    const created = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: WRITER, body: { userId: 'u2' } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const put = (k: string) => call(stack.gatewayUrl, 'PUT', `/v1/sessions/${id}/vars/cart/items`, { key: k, body: { value: [1] } });
    expect((await put(WRITER)).status).toBe(200);
    const refused = await put(READER);
    expect([refused.status, errorCode(refused)]).toEqual([403, 'AUTH.FORBIDDEN']);
    expect(String((refused.body.error as { message: string }).message)).toMatch(/"write" scope/);
    expect((await call(stack.gatewayUrl, 'GET', `/v1/sessions/${id}/vars/cart/items`, { key: READER })).status).toBe(200);
    expect((await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: READER, body: {} })).status).toBe(403);
    expect((await call(stack.gatewayUrl, 'GET', '/v1/requirements', { key: WRITER })).status).toBe(403);
    expect((await call(stack.gatewayUrl, 'GET', '/v1/requirements', { key: key() })).status).toBe(200);
    expect((await put(key())).status).toBe(200);
    expect((await call(stack.gatewayUrl, 'GET', '/v1/requirements', { key: 'unknown-key' })).status).toBe(401);
  });

  it("keeps a tenant's key to its own users' sessions", async () => {
    const mine = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: ACME, body: { userId: 'acme:7', data: { cart: { n: 1 } } } });
    expect(mine.status).toBe(201);
    for (const body of [{ userId: 'globex:7' }, {}]) {
      const r = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: ACME, body });
      expect([r.status, errorCode(r)]).toEqual([403, 'AUTH.FORBIDDEN']);
    }
    const theirs = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: key(), body: { userId: 'globex:7', data: { cart: { n: 2 } } } });
    const own = String(mine.body.id);
    const other = String(theirs.body.id);
    expect((await call(stack.gatewayUrl, 'GET', `/v1/sessions/${own}/vars/cart/n`, { key: ACME })).body).toMatchObject({ value: 1 });
    expect((await call(stack.gatewayUrl, 'PUT', `/v1/sessions/${own}/vars/cart/n`, { key: ACME, body: { value: 3 } })).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', `/v1/sessions/${other}/vars/cart/n`],
      ['PUT', `/v1/sessions/${other}/vars/cart/n`, { value: 9 }],
      ['GET', `/v1/sessions/${other}`],
      ['POST', `/v1/sessions/${other}/tokens`, {}],
    ] as [string, string, unknown?][]) {
      const r = await call(stack.gatewayUrl, method, path, { key: ACME, body });
      expect([method, path, r.status, errorCode(r)]).toEqual([method, path, 403, 'AUTH.FORBIDDEN']);
    }
    expect((await call(stack.gatewayUrl, 'GET', `/v1/sessions/${other}/vars/cart/n`, { key: key() })).body).toMatchObject({ value: 2 });
    expect((await call(stack.gatewayUrl, 'POST', `/v1/sessions/${own}/tokens`, { key: ACME, body: {} })).status).toBe(201);
  });

  it('logs each request at info with correlation id, method, route, status and latency; off when configured', async () => {
    const correlationId = `access-log-${Date.now()}`;
    for (const base of [stack.gatewayUrl, proxied]) {
      expect((await call(base, 'GET', '/v1/sessions/nope', { key: key(), headers: { 'x-correlation-id': correlationId } })).status).toBe(404);
    }
    const line = await eventually(() =>
      readFileSync(join(logs, 'gateway.log'), 'utf8')
        .split('\n')
        .find((l) => l.includes(correlationId) && l.includes('http request')),
    );
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      correlationId,
      method: 'GET',
      route: '/v1/sessions/:id',
      status: 404,
      ms: expect.any(Number),
      client: '127.0.0.1',
      apiKey: 'key-1',
    });
    expect(readFileSync(join(logs, 'gateway-2.log'), 'utf8')).not.toContain('http request');
  });

  it('stores the values of sensitive groups encrypted in Postgres, and answers them in plain', async () => {
    const secret = `sensitive-PLAINTEXT-${Date.now()}`;
    const created = await call(stack.gatewayUrl, 'POST', '/v1/sessions', { key: key(), body: { data: { auth: { token: secret }, cart: { note: 'open' } } } });
    const id = String(created.body.id);
    expect((await call(stack.gatewayUrl, 'PUT', `/v1/sessions/${id}/vars/auth/email`, { key: key(), body: { value: secret } })).status).toBe(200);
    expect((await call(stack.gatewayUrl, 'GET', `/v1/sessions/${id}?consistent=true`, { key: key() })).body.groups).toEqual({
      auth: { token: secret, email: secret },
      cart: { note: 'open' },
    });
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ data: Buffer }>('SELECT data FROM events WHERE session_id = $1', [id]);
      expect(rows.rows).toHaveLength(2);
      const bytes = Buffer.concat(rows.rows.map((r) => r.data));
      expect([bytes.includes(secret), bytes.includes('open')]).toEqual([false, true]);
    } finally {
      await db.end();
    }

    // JetStream keeps the published events on disk: there too the values are sealed, the rest readable.
    const nc = await natsAs(stack, { role: 'operator' });
    try {
      const jsm = await nc.jetstreamManager();
      const stream = subjects(stack.namespace).sessionStream;
      const mine: { data: Uint8Array; event: { type: string; data: Record<string, unknown> } }[] = [];
      await eventually(
        async () => {
          mine.length = 0;
          const { state } = await jsm.streams.info(stream);
          for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
            const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
            if (m?.header.get('Fs-Session-Id') === id) mine.push({ data: m.data, event: decode(m.data) });
          }
          return mine.length >= 2 ? true : undefined;
        },
        15_000,
        "the session's events on the stream",
      );
      expect(mine.map((m) => [m.event.type, m.event.data.sealed])).toEqual([
        ['session.created', true],
        ['session.variable_set', true],
      ]);
      expect(mine.some((m) => Buffer.from(m.data).includes(secret))).toBe(false);
      expect(JSON.stringify(mine.map((m) => m.event))).toContain('open');
    } finally {
      await nc.drain();
    }

    // Another gateway's edge cache, which follows the events, never serves a sealed value.
    const read = async () => (await call(proxied, 'GET', `/v1/sessions/${id}/vars/auth/email`, { key: key() })).body.value;
    expect(await read()).toBe(secret);
    const next = `${secret}-2`;
    expect((await call(stack.gatewayUrl, 'PUT', `/v1/sessions/${id}/vars/auth/email`, { key: key(), body: { value: next } })).status).toBe(200);
    const seen: unknown[] = [];
    await eventually(
      async () => {
        seen.push(await read());
        return seen.at(-1) === next ? true : undefined;
      },
      10_000,
      'the new value through the other gateway',
    );
    // Until then only the old value: never the sealed form the event carried.
    expect(seen.filter((v) => v !== secret && v !== next)).toEqual([]);
  }, 60_000);
});
