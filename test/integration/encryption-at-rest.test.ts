import type { SessionEvent } from '@foresight/contracts';
import { createPool, EventStore, SensitiveValues, type DataKey } from '@foresight/persistence';
import { decide, replay, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { createTestDatabase } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

/**
 * Values of sensitive groups are encrypted in Postgres (events and snapshots), read back in plain,
 * and survive a key rotation; the raw rows hold no plaintext of them.
 */
const policy: SessionPolicy = {
  groups: ['auth', 'profile', 'cart'],
  maxVariableBytes: 4096,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};
const ctx = () => ({ now: Date.now(), correlationId: 'c', causationId: randomUUID(), newEventId: randomUUID });
const K1: DataKey = { id: 'k1', secret: 'first-secret-of-at-least-32-characters!!' };
const K2: DataKey = { id: 'k2', secret: 'second-secret-of-at-least-32-characters!' };
const SENSITIVE = ['auth', 'profile'];

const EMAIL = 'alice.plaintext@example.org';
const TOKEN = 'oauth-refresh-PLAINTEXT-0123';
const CARD = 'card-4111-PLAINTEXT';
const NOTE = 'not-secret-cart-note';

describe('encryption at rest of sensitive groups (real Postgres)', () => {
  let pool: Pool;
  const stores: EventStore[] = [];
  const storeWith = (keys: DataKey[], sensitiveGroups = SENSITIVE) => {
    const s = new EventStore(pool, 'node-a', 512, new SensitiveValues({ sensitiveGroups, keys }));
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    pool = createPool(await createTestDatabase('encrypted'), 10, 'test');
    await pool.query(`INSERT INTO shards (shard, owner_node, epoch) SELECT s, 'node-a', 1 FROM generate_series(0, 3) s`);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await pool.end();
  });

  /** Appends the decisions one by one (single-event appends, the one-statement path) or all at once. */
  async function write(store: EventStore, id: string, commands: Parameters<typeof decide>[0][], oneAppend = false): Promise<SessionEvent[]> {
    const events: SessionEvent[] = [];
    let state: SessionState | undefined;
    const pending: SessionEvent[] = [];
    for (const command of commands) {
      const next = decide(command, state, policy, ctx());
      if (!oneAppend) await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: state?.version ?? 0, events: next });
      else pending.push(...next);
      events.push(...next);
      state = replay(events);
    }
    if (oneAppend) await store.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 0, events: pending });
    return events;
  }

  const raw = async (id: string) => {
    const rows = await pool.query<{ data: Buffer }>('SELECT data FROM events WHERE session_id = $1 ORDER BY stream_version', [id]);
    const snap = await pool.query<{ state: Buffer }>('SELECT state FROM snapshots WHERE session_id = $1', [id]);
    return Buffer.concat([...rows.rows.map((r) => r.data), ...snap.rows.map((r) => r.state)]);
  };

  const commands = (id: string): Parameters<typeof decide>[0][] => [
    { kind: 'create', sessionId: id, shard: 1, userId: 'u1', groups: { auth: { token: TOKEN }, cart: { note: NOTE } } },
    { kind: 'put', group: 'profile', name: 'email', value: EMAIL },
    { kind: 'put', group: 'profile', name: 'card', value: { number: CARD, exp: '12/30' } },
    { kind: 'patch', group: 'profile', name: 'card', patch: { exp: '01/31' } },
    { kind: 'put', group: 'cart', name: 'items', value: [NOTE] },
  ];

  it.each([
    ['one event per append', false],
    ['one transaction for many events', true],
  ])('stores no plaintext of sensitive values (%s); reads return them', async (_, oneAppend) => {
    const store = storeWith([K1]);
    const id = randomUUID();
    const events = await write(store, id, commands(id), oneAppend);
    await store.saveSnapshot(id, 3, replay(events.slice(0, 3)));
    const bytes = await raw(id);
    for (const secret of [EMAIL, TOKEN, CARD, '12/30', '01/31']) expect([secret, bytes.includes(secret)]).toEqual([secret, false]);
    // Non-sensitive groups, and the names of variables, stay readable.
    expect(bytes.includes(NOTE)).toBe(true);
    expect(bytes.includes('email')).toBe(true);
    // Through the store: everything as written.
    expect((await store.readStream(id)).map((e) => e.event)).toEqual(events);
    const loaded = await store.load(id);
    expect(
      replay(
        loaded.events.map((e) => e.event),
        loaded.snapshot!.state as SessionState,
      ),
    ).toEqual(replay(events));
    expect((loaded.snapshot!.state as SessionState).groups.auth).toEqual({ token: TOKEN });
  });

  it('rotates keys: new writes use the newest, old values still open, a removed key is named', async () => {
    const id = randomUUID();
    const before = await write(storeWith([K1]), id, commands(id).slice(0, 2));
    const rotated = storeWith([K1, K2]);
    const later = decide({ kind: 'put', group: 'auth', name: 'token', value: 'rotated-PLAINTEXT' }, replay(before), policy, ctx());
    await rotated.append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 2, events: later });
    const rows = await pool.query<{ data: Buffer }>('SELECT data FROM events WHERE session_id = $1 ORDER BY stream_version', [id]);
    // format byte, key-id length, key id: k1 for the old rows, k2 for the new one.
    const keyIdOf = (b: Buffer, marker: Buffer) => {
      const at = b.indexOf(marker);
      return b.subarray(at + 2, at + 4).toString();
    };
    expect(keyIdOf(rows.rows[1]!.data, Buffer.from([1, 2]))).toBe('k1');
    expect(keyIdOf(rows.rows[2]!.data, Buffer.from([1, 2]))).toBe('k2');
    expect((await rotated.readStream(id)).map((e) => e.event)).toEqual([...before, ...later]);
    await expect(storeWith([K2]).readStream(id)).rejects.toThrow(/encrypted with key "k1", which SESSION_ENCRYPTION_KEYS does not list/);
  });

  it('refuses a value copied into another variable or session (bound by the additional data)', async () => {
    const store = storeWith([K1]);
    const a = randomUUID();
    await write(store, a, commands(a).slice(0, 2));
    // Swap the sealed email into another session's row.
    const b = randomUUID();
    await write(store, b, [commands(b)[0]!, { kind: 'put', group: 'profile', name: 'email', value: 'someone-else' }]);
    await pool.query(
      `UPDATE events SET data = (SELECT data FROM events WHERE session_id = $1 AND stream_version = 2) WHERE session_id = $2 AND stream_version = 2`,
      [a, b],
    );
    await expect(store.readStream(b)).rejects.toThrow(/unable to authenticate|auth/i);
  });

  it('still reads values written before their group became sensitive, and sealed ones after it stopped being', async () => {
    const id = randomUUID();
    const plain = await write(storeWith([K1], []), id, commands(id).slice(0, 2));
    expect((await raw(id)).includes(EMAIL)).toBe(true);
    const sealed = decide({ kind: 'put', group: 'profile', name: 'phone', value: '+1-555-PLAINTEXT' }, replay(plain), policy, ctx());
    await storeWith([K1]).append({ sessionId: id, shard: 1, epoch: 1, expectedVersion: 2, events: sealed });
    expect((await raw(id)).includes('+1-555-PLAINTEXT')).toBe(false);
    expect((await storeWith([K1], []).readStream(id)).map((e) => e.event)).toEqual([...plain, ...sealed]);
  });
});
