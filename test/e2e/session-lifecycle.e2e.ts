import type { NatsConnection } from 'nats';
import { decode } from '@foresight/messaging';
import { subjects } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, natsAs, startTestStack } from './support';

/** Kept small here so the idle test is quick; at least L1_TOUCH_FLUSH_MS (1 s). */
const IDLE_GRACE_MS = 1500;

describe('session lifecycle through the gateway (gateway, metadata, shard as processes)', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let nc: NatsConnection;

  beforeAll(async () => {
    stack = await startTestStack('lifecycle', { shardNodes: 1, env: { SESSION_SWEEP_MS: '200', SESSION_IDLE_GRACE_MS: String(IDLE_GRACE_MS) } });
    client = api(stack);
    // A back end reading the event streams: the read-only subscriber user.
    nc = await natsAs(stack, { role: 'subscriber' });
  }, 120_000);

  afterAll(async () => {
    await nc?.drain();
    await stack?.stop();
  }, 60_000);

  it('creates, writes, patches, reads by group, deletes and ends a session', async () => {
    const created = await client.create({ userId: 'user-1', data: { cart: { items: [] }, auth: { role: 'buyer' } } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await client.put(id, 'cart', 'items', [{ sku: 'A', qty: 1 }])).body).toEqual({ version: 2 });
    const patched = await client.call('PATCH', `/v1/sessions/${id}/vars/settings/prefs`, { patch: { theme: 'dark', lang: 'en' } });
    expect(patched.body).toEqual({ value: { theme: 'dark', lang: 'en' }, version: 3 });
    const onlyCart = await client.get(id, 'cart');
    expect(onlyCart.body.groups).toEqual({ cart: { items: [{ sku: 'A', qty: 1 }] } });
    const all = await client.get(id);
    expect(Object.keys(all.body.groups as object).sort()).toEqual(['auth', 'cart', 'settings']);
    expect((await client.call('DELETE', `/v1/sessions/${id}/vars/auth/role`)).body).toEqual({ version: 4 });
    expect(errorCode(await client.getVar(id, 'auth', 'role'))).toBe('SESSION.VARIABLE_NOT_FOUND');
    const owner = await client.call('GET', `/v1/sessions/${id}/owner`);
    expect(owner.body).toMatchObject({ sessionId: id, nodeId: 'shard-1' });
    expect((await client.call('DELETE', `/v1/sessions/${id}`)).status).toBe(200);
    const after = await client.get(id);
    expect([after.status, errorCode(after)]).toEqual([410, 'SESSION.ENDED']);
  });

  it('records user actions as events in the session stream (updateProfile)', async () => {
    const id = (await client.create({ userId: 'u-7' })).body.id;
    for (const action of ['home', 'view_product:42', 'add_to_cart']) {
      expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
    }
    for (const bad of [{ action: '' }, { action: 'x'.repeat(200) }, { action: 42 }, { action: 'has space' }, {}]) {
      const r = await client.call('POST', `/v1/sessions/${id}/actions`, bad);
      expect([r.status, errorCode(r)]).toEqual([400, 'REQUEST.INVALID']);
    }
    expect((await client.get(id)).body.version).toBe(4);
  });

  it('publishes every committed event on JetStream, in order, with the correlation id', async () => {
    const s = subjects(stack.namespace);
    const jsm = await nc.jetstreamManager();
    const id = (await client.create({})).body.id;
    await client.call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 1 }, { 'x-correlation-id': 'corr-e2e-1' });
    await client.call('DELETE', `/v1/sessions/${id}`);
    const events = await eventually(
      async () => {
        const consumer = await jsm.consumers.add(s.sessionStream, {
          filter_subject: s.sessionEventsWildcard,
          ack_policy: 'none' as never,
          deliver_policy: 'all' as never,
        });
        const c = await nc.jetstream().consumers.get(s.sessionStream, consumer.name);
        const mine: { type: string; streamVersion: number; correlationId: string }[] = [];
        const batch = await c.fetch({ max_messages: 1000, expires: 1000 });
        for await (const m of batch) {
          const e = decode<{ sessionId: string; type: string; streamVersion: number; correlationId: string }>(m.data);
          if (e.sessionId === id) mine.push(e);
        }
        return mine.length === 3 ? mine : undefined;
      },
      15_000,
      'three events on the stream',
    );
    expect(events.map((e) => [e.type, e.streamVersion])).toEqual([
      ['session.created', 1],
      ['session.variable_set', 2],
      ['session.ended', 3],
    ]);
    expect(events[1].correlationId).toBe('corr-e2e-1');
  });

  it('never loses an update between concurrent writers of the same variable', async () => {
    const id = (await client.create({ data: { cart: { count: 0 } } })).body.id;
    const writers = 12;
    let conflicts = 0;
    // Each writer increments with optimistic concurrency, re-reading after a 409.
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (;;) {
          const current = await client.getVar(id, 'cart', 'count');
          const r = await client.put(id, 'cart', 'count', (current.body.value as number) + 1, current.body.version);
          if (r.status === 200) return;
          expect([r.status, errorCode(r)]).toEqual([409, 'SESSION.VERSION_CONFLICT']);
          conflicts++;
        }
      }),
    );
    expect((await client.getVar(id, 'cart', 'count')).body.value).toBe(writers);
    expect(conflicts).toBeGreaterThan(0);
  });

  it('applies a write retried with the same Idempotency-Key once, and refuses a malformed key', async () => {
    const id = (await client.create({ data: { cart: { n: 0 } } })).body.id;
    const key = { 'idempotency-key': `put-${id}` };
    const first = await client.call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 1 }, key);
    const retry = await client.call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 1 }, key);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.body).toEqual(first.body); // same version: not applied twice
    // A key identifies one request: reused for another variable or value it is refused, not silently dropped.
    for (const [path, body] of [
      [`/v1/sessions/${id}/vars/cart/other`, { value: 1 }],
      [`/v1/sessions/${id}/vars/cart/n`, { value: 2 }],
    ] as const) {
      const reused = await client.call('PUT', path, body, key);
      expect([reused.status, errorCode(reused)]).toEqual([422, 'REQUEST.IDEMPOTENCY_KEY_REUSED']);
      expect((reused.body as { error: { message: string } }).error.message).toMatch(/a key identifies one request/);
    }
    expect(errorCode(await client.getVar(id, 'cart', 'other'))).toBe('SESSION.VARIABLE_NOT_FOUND');
    expect((await client.call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 1 }, key)).body).toEqual(first.body);
    const action = { 'idempotency-key': `act-${id}` };
    const a1 = await client.call('POST', `/v1/sessions/${id}/actions`, { action: 'checkout' }, action);
    const a2 = await client.call('POST', `/v1/sessions/${id}/actions`, { action: 'checkout' }, action);
    expect(a2.body).toEqual(a1.body);
    // Without a key, two identical writes are two writes.
    const p1 = await client.put(id, 'cart', 'n', 2);
    const p2 = await client.put(id, 'cart', 'n', 2);
    expect((p2.body as { version: number }).version).toBe((p1.body as { version: number }).version + 1);
    for (const bad of ['has space', 'x'.repeat(129)]) {
      const r = await client.call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 3 }, { 'idempotency-key': bad });
      expect([r.status, errorCode(r)]).toEqual([400, 'REQUEST.INVALID']);
    }
    const { Client } = await import('pg');
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const rows = await db.query<{ type: string }>(`SELECT type FROM events WHERE session_id = $1 ORDER BY stream_version`, [id]);
      expect(rows.rows.map((row) => row.type)).toEqual([
        'session.created',
        'session.variable_set',
        'session.action_recorded',
        'session.variable_set',
        'session.variable_set',
      ]);
    } finally {
      await db.end();
    }
  });

  it('ends idle sessions by itself and records why', async () => {
    const idle = (await client.create({ idleTimeoutMs: 1000 })).body.id;
    const busy = (await client.create({ idleTimeoutMs: 1000, data: { cart: { n: 1 } } })).body.id;
    // Reads of one variable are served from the gateway's edge cache; its batched activity reports keep the session alive.
    // The edge reports them once per L1_TOUCH_FLUSH_MS (1 s); the owner waits SESSION_IDLE_GRACE_MS for a late report.
    const busyReads: number[] = [];
    const keepAlive = setInterval(() => void client.getVar(busy, 'cart', 'n').then((r) => busyReads.push(r.status)), 200);
    const { Client } = await import('pg');
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const eventsOf = async (id: string) =>
      (await db.query<{ type: string; at: Date }>(`SELECT type, occurred_at AS at FROM events WHERE session_id = $1 ORDER BY stream_version`, [id])).rows;
    try {
      // Watched in Postgres: reading the idle session would itself keep it alive.
      const ended = await eventually(
        async () => {
          const rows = await eventsOf(idle);
          return rows.length === 2 ? rows : undefined;
        },
        15_000,
        'the idle session to end',
      );
      expect(ended.map((row) => row.type)).toEqual(['session.created', 'session.ended']);
      expect(ended[1]!.at.getTime() - ended[0]!.at.getTime()).toBeGreaterThanOrEqual(1000 + IDLE_GRACE_MS);
      const r = await client.get(idle);
      expect([r.status, errorCode(r)]).toEqual([410, 'SESSION.ENDED']);
      // Read all along through the edge cache, the other one did not end.
      expect(busyReads.length).toBeGreaterThan(10);
      expect(busyReads.every((status) => status === 200)).toBe(true);
      expect((await client.get(busy)).status).toBe(200);
      expect((await eventsOf(busy)).map((row) => row.type)).toEqual(['session.created']);
    } finally {
      clearInterval(keepAlive);
      await db.end();
    }
  }, 30_000);

  it('keeps edge caches exact: a write through one gateway reaches reads through another', async () => {
    const second = api({ ...stack, gatewayUrl: (await stack.startService('gateway', 'gateway-2')).httpUrl });
    const id = (await client.create({ data: { cart: { n: 0 } } })).body.id;
    expect((await client.getVar(id, 'cart', 'n')).body).toEqual({ value: 0, version: 1 });
    expect((await client.getVar(id, 'cart', 'n')).body).toEqual({ value: 0, version: 1 }); // now from gateway 1's L1
    for (let i = 1; i <= 5; i++) {
      expect((await second.put(id, 'cart', 'n', i)).status).toBe(200);
      // Strong read through gateway 1 sees it at once; the cached read converges as the event arrives.
      expect((await client.call('GET', `/v1/sessions/${id}/vars/cart/n?consistent=true`)).body).toEqual({ value: i, version: i + 1 });
      await eventually(async () => ((await client.getVar(id, 'cart', 'n')).body.value === i ? true : undefined), 2000, `gateway 1 sees n=${i}`);
    }
    // Read-your-writes on one gateway, including deletes.
    expect((await client.put(id, 'cart', 'n', 42)).status).toBe(200);
    expect((await client.getVar(id, 'cart', 'n')).body.value).toBe(42);
    expect((await client.call('DELETE', `/v1/sessions/${id}/vars/cart/n`)).status).toBe(200);
    expect(errorCode(await client.getVar(id, 'cart', 'n'))).toBe('SESSION.VARIABLE_NOT_FOUND');
  }, 60_000);

  it('answers bad input with a clear 4xx and a stable code, and keeps serving', async () => {
    const id = (await client.create({})).body.id;
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string][] = [
      ['malformed JSON', client.call('PUT', `/v1/sessions/${id}/vars/cart/x`, '{"value":'), 400, 'REQUEST.INVALID'],
      ['missing value', client.call('PUT', `/v1/sessions/${id}/vars/cart/x`, { valeu: 1 }), 400, 'REQUEST.INVALID'],
      ['unknown group', client.put(id, 'nope', 'x', 1), 400, 'SESSION.UNKNOWN_GROUP'],
      ['bad variable name', client.put(id, 'cart', 'a%20b', 1), 400, 'REQUEST.INVALID'],
      ['forged session id', client.put('A'.repeat(32), 'cart', 'x', 1), 404, 'SESSION.NOT_FOUND'],
      ['garbage session id', client.get('../../etc/passwd'), 404, 'REQUEST.ROUTE_NOT_FOUND'],
      ['oversized variable', client.put(id, 'cart', 'big', 'x'.repeat(300 * 1024)), 413, 'SESSION.VARIABLE_TOO_LARGE'],
      ['wrong type for expectedVersion', client.call('PUT', `/v1/sessions/${id}/vars/cart/x`, { value: 1, expectedVersion: 'two' }), 400, 'REQUEST.INVALID'],
      ['body that is not an object', client.call('PUT', `/v1/sessions/${id}/vars/cart/x`, '[1,2]'), 400, 'REQUEST.INVALID'],
      ['missing API key', client.call('GET', `/v1/sessions/${id}`, undefined, { 'x-api-key': 'wrong' }), 401, 'AUTH.UNAUTHENTICATED'],
      ['stale expected version', client.put(id, 'cart', 'x', 1, 99), 409, 'SESSION.VERSION_CONFLICT'],
    ];
    for (const [what, pending, status, code] of cases) {
      const r = await pending;
      expect([what, r.status, errorCode(r as never)]).toEqual([what, status, code]);
      expect(((r.body as { error: { message: string } }).error.message ?? '').length).toBeGreaterThan(10);
    }
    // The session limit (4 MiB by default) is enforced across variables: 16 × 250 KiB fit, a 17th does not.
    for (let i = 0; i < 16; i++) expect((await client.put(id, 'app', `chunk${i}`, 'y'.repeat(250 * 1024))).status).toBe(200);
    const over = await client.put(id, 'app', 'chunk16', 'y'.repeat(250 * 1024));
    expect([over.status, errorCode(over)]).toEqual([413, 'SESSION.TOO_LARGE']);
    expect((await client.get(id, 'cart')).status).toBe(200);
  });

  it('rejects garbage on its NATS subjects with an error reply and does not crash', async () => {
    const s = subjects(stack.namespace);
    const { headers } = await import('nats');
    // Each sent by a user allowed to publish there: the gateway's, and the node's own for its heartbeat.
    const gateway = await natsAs(stack, { role: 'gateway' });
    const node = await natsAs(stack, { role: 'shard', nodeId: 'shard-1' });
    try {
      for (const [from, subject, op, payload] of [
        [gateway, s.shardRpc('shard-1'), 'var.put', new TextEncoder().encode('not msgpack at all \u0000\u0001')],
        [gateway, s.shardRpc('shard-1'), 'no.such.op', new Uint8Array([0x80])],
        [node, s.membershipRpc('shard-1', 'heartbeat'), 'heartbeat', new Uint8Array([0xc1])],
        [gateway, s.metadataRpc('owner'), 'owner', new Uint8Array([0x81, 0xa9])],
      ] as const) {
        const h = headers();
        h.set('Fs-Op', op);
        const reply = decode<{ ok: boolean; error: { code: string } }>((await from.request(subject, payload, { timeout: 2000, headers: h })).data);
        expect(reply.ok).toBe(false);
        expect(['MESSAGE.MALFORMED', 'RPC.UNKNOWN_OPERATION', 'REQUEST.INVALID']).toContain(reply.error.code);
      }
    } finally {
      await Promise.all([gateway.close(), node.close()]);
    }
    expect((await client.create({})).status).toBe(201);
  });
});
