import { headers, type NatsConnection } from 'nats';
import { decode, encode } from '@foresight/messaging';
import { subjects } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import { Client } from 'pg';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, natsAs, startTestStack } from './support';

/** Object.prototype members: as variable names they must be ordinary names. */
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;

describe('data integrity at the edges: unstorable strings, prototype member names (gateway, metadata, shard as processes)', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let nc: NatsConnection;
  let db: Client;

  beforeAll(async () => {
    // Snapshots every 3 events: a reload below reads a snapshot and the events after it.
    stack = await startTestStack('integrity', { shardNodes: 1, env: { SNAPSHOT_EVERY: '3' } });
    client = api(stack);
    // A NATS caller allowed to call shard nodes (the gateway's user) bypasses the gateway's HTTP checks.
    nc = await natsAs(stack, { role: 'gateway' });
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await nc?.drain();
    await stack?.stop();
  }, 60_000);

  const getVar = (id: string, name: string, consistent = false) =>
    client.call<{ value: unknown; version: number }>('GET', `/v1/sessions/${id}/vars/cart/${name}${consistent ? '?consistent=true' : ''}`);

  it("refuses a user id with NUL with 400, and other clients' concurrent writes all succeed", async () => {
    const sessions = await Promise.all(Array.from({ length: 16 }, async () => (await client.create({})).body.id));
    let writing = true;
    const bad: number[] = [];
    const badClients = Array.from({ length: 4 }, async () => {
      while (writing) {
        const r = await client.call('POST', '/v1/sessions', '{"userId":"x\\u0000"}');
        bad.push(r.status);
        expect([r.status, errorCode(r)]).toEqual([400, 'REQUEST.INVALID']);
      }
    });
    const puts: number[] = [];
    await Promise.all(
      sessions.map(async (id) => {
        for (let i = 0; i < 20; i++) puts.push((await client.put(id, 'cart', 'n', i)).status);
      }),
    );
    writing = false;
    await Promise.all(badClients);
    expect(bad.length).toBeGreaterThan(0);
    expect(puts.filter((s) => s !== 200)).toEqual([]);
    expect(puts).toHaveLength(320);
    const r = await client.call('POST', '/v1/sessions', '{"userId":"x\\u0000"}');
    expect((r.body as { error: { message: string } }).error.message).toMatch(/"userId" contains a character that cannot be stored/);
  }, 60_000);

  it('refuses unpaired surrogates, keeps NUL inside values, and refuses NUL in the ids NATS callers send', async () => {
    const id = (await client.create({})).body.id;
    for (const [what, method, path, body] of [
      ['lone surrogate in a value', 'PUT', `/v1/sessions/${id}/vars/cart/s`, '{"value":{"k":"\\ud800"}}'],
      ['lone surrogate in a key', 'PUT', `/v1/sessions/${id}/vars/cart/s`, '{"value":{"\\udc00":1}}'],
      ['lone surrogate in a patch', 'PATCH', `/v1/sessions/${id}/vars/cart/s`, '{"patch":"\\ud83d"}'],
      ['lone surrogate in a user id', 'POST', '/v1/sessions', '{"userId":"u\\ud800"}'],
      ['lone surrogate in initial data', 'POST', '/v1/sessions', '{"data":{"cart":{"x":"\\udfff"}}}'],
      ['NUL in a token user id', 'POST', `/v1/sessions/${id}/tokens`, '{"userId":"\\u0000"}'],
    ] as const) {
      const r = await client.call(method, path, body);
      expect([what, r.status, errorCode(r)]).toEqual([what, 400, 'REQUEST.INVALID']);
    }
    // NUL inside a value is data (stored as MessagePack bytes): it round-trips.
    expect((await client.call('PUT', `/v1/sessions/${id}/vars/cart/nul`, '{"value":{"a\\u0000":"b\\u0000c"}}')).status).toBe(200);
    expect((await getVar(id, 'nul')).body.value).toEqual({ 'a\u0000': 'b\u0000c' });
    expect((await getVar(id, 'nul', true)).body.value).toEqual({ 'a\u0000': 'b\u0000c' });
    // A NATS caller bypasses the gateway: its header ids reach Postgres text columns. A correlation id
    // with NUL is not one (not visible ASCII): the owner replaces it, and nothing with NUL is stored.
    const h = headers();
    h.set('Fs-Op', 'var.put');
    h.set('Fs-Correlation-Id', 'corr\u0000');
    const reply = decode<{ ok: boolean; error?: { code: string; message: string } }>(
      (
        await nc.request(subjects(stack.namespace).shardRpc('shard-1'), encode({ sessionId: id, group: 'cart', name: 'x', value: 1 }), {
          timeout: 5000,
          headers: h,
        })
      ).data,
    );
    expect(reply.ok).toBe(true);
    const stored = await db.query<{ correlation_id: string }>(`SELECT correlation_id FROM events WHERE session_id = $1 ORDER BY stream_version DESC LIMIT 1`, [
      id,
    ]);
    expect(stored.rows[0]!.correlation_id).not.toContain('corr');
    expect(stored.rows[0]!.correlation_id).toMatch(/^[\x21-\x7e]{1,128}$/);
    const create = headers();
    create.set('Fs-Op', 'session.create');
    const created = decode<{ ok: boolean; error?: { code: string } }>(
      (await nc.request(subjects(stack.namespace).shardRpc('shard-1'), encode({ sessionId: id, userId: 'x\u0000' }), { timeout: 5000, headers: create })).data,
    );
    expect([created.ok, created.error?.code]).toEqual([false, 'REQUEST.INVALID']);
    expect((await client.get(id)).body.version).toBe(3);
  }, 60_000);

  it('treats __proto__, constructor, toString and hasOwnProperty as ordinary variable names, also after a reload from Postgres', async () => {
    const id = (await client.create({})).body.id;
    for (const name of NAMES) {
      // Never set: nothing is inherited.
      expect([name, errorCode(await getVar(id, name))]).toEqual([name, 'SESSION.VARIABLE_NOT_FOUND']);
      expect([name, errorCode(await getVar(id, name, true))]).toEqual([name, 'SESSION.VARIABLE_NOT_FOUND']);
      const del = await client.call('DELETE', `/v1/sessions/${id}/vars/cart/${name}`);
      expect([name, del.status, errorCode(del)]).toEqual([name, 404, 'SESSION.VARIABLE_NOT_FOUND']);
    }
    expect((await client.get(id)).body.version).toBe(1); // no event for the refused deletes
    // A "__proto__" key inside a JSON body is refused by the HTTP parser, with a sentence that says so.
    const poisoned = await client.call('PUT', `/v1/sessions/${id}/vars/cart/v`, '{"value":{"__proto__":{"x":1}}}');
    expect([poisoned.status, errorCode(poisoned)]).toEqual([400, 'REQUEST.INVALID']);
    expect((poisoned.body as { error: { message: string } }).error.message).toMatch(/__proto__/);
    let version = 1;
    for (const name of NAMES) {
      expect((await client.put(id, 'cart', name, name === '__proto__' ? 5 : { name })).body).toEqual({ version: ++version });
    }
    const patched = await client.call('PATCH', `/v1/sessions/${id}/vars/cart/constructor`, { patch: { more: true } });
    expect(patched.body).toEqual({ value: { name: 'constructor', more: true }, version: ++version });
    const expected = new Map<string, unknown>([
      ['__proto__', 5],
      ['constructor', { name: 'constructor', more: true }],
      ['toString', { name: 'toString' }],
      ['hasOwnProperty', { name: 'hasOwnProperty' }],
    ]);
    const check = async (when: string) => {
      for (const name of NAMES) {
        const want = expected.get(name);
        expect([when, name, (await getVar(id, name)).body.value]).toEqual([when, name, want]); // the first read fills the edge cache
        expect([when, name, (await getVar(id, name)).body.value]).toEqual([when, name, want]); // from the edge cache
        expect([when, name, (await getVar(id, name, true)).body]).toEqual([when, name, { value: want, version }]);
      }
      // The whole group, as JSON: every name is an own member with its value.
      const whole = await client.call('GET', `/v1/sessions/${id}?groups=cart`);
      expect(JSON.stringify((whole.body.groups as Record<string, unknown>).cart)).toBe(JSON.stringify(Object.fromEntries(expected)));
    };
    await check('in memory');
    // One more write after the snapshot at version 6: a reload reads the snapshot and that event.
    expected.set('hasOwnProperty', [1, 2]);
    expect((await client.put(id, 'cart', 'hasOwnProperty', [1, 2])).body).toEqual({ version: ++version });
    await eventually(
      async () => {
        const r = await db.query<{ v: number }>('SELECT stream_version AS v FROM snapshots WHERE session_id = $1', [id]);
        return r.rows[0]?.v === 6 ? true : undefined;
      },
      15_000,
      'the snapshot at version 6',
    );
    // The owner restarts: the session is rebuilt from Postgres (snapshot + events).
    await stack.kill('shard-1');
    await stack.startService('shard', 'shard-1');
    await stack.waitForAssignment(['shard-1'], { exact: true });
    await check('after a reload');
    expect((await client.call('DELETE', `/v1/sessions/${id}/vars/cart/toString`)).body).toEqual({ version: version + 1 });
    expect(errorCode(await getVar(id, 'toString', true))).toBe('SESSION.VARIABLE_NOT_FOUND');
  }, 120_000);
});
