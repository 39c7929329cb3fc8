import { Headers, subjects, type AssignmentView, type RpcReply } from '@foresight/contracts';
import { shardOf } from '@foresight/hashing';
import { decode, encode } from '@foresight/messaging';
import { EventStore } from '@foresight/persistence';
import { generateSessionId, replay, type SessionState } from '@foresight/session-domain';
import { createTestDatabase, testInfra, uniqueName } from '@foresight/testing';
import { connect, headers, type NatsConnection, type Subscription } from 'nats';
import { coreOf } from '../../apps/shard/src/transfer/transfer-message';
import { metric, startMetadata, type TestMetadata } from './metadata-harness';
import { clusterHelpers } from './cluster-helpers';
import { ctx, shardNode } from './shard-harness';

const SHARDS = 8;
const BIG = 'x'.repeat(30_000);

/**
 * Lazy groups of moved sessions, fetched on first use from the old owner's memory while it keeps
 * them, with real components (metadata service, shard nodes, nats-server, Postgres): a hit on the
 * old owner reads nothing from Postgres; an old owner that no longer answers, and one that answers
 * at the wrong version or with values that do not match the session's core, leave the new owner
 * reading Postgres. Bad requests on the old owner's control subject are refused with a code.
 */
describe('lazy fetch from the old owner (metadata, real NATS and Postgres)', () => {
  let nc: NatsConnection;
  let url: string;
  let meta: TestMetadata;
  let store: EventStore;
  const ns = uniqueName('lazyfetch');
  const nodes = new Map<string, ReturnType<typeof shardNode>>();
  const node = (id: string) => nodes.get(id)!;
  const truth = async (id: string): Promise<SessionState> => replay((await store.readStream(id)).map((r) => r.event))!;
  // Leases long enough that a busy test machine does not take shards away mid-test.
  const leases = { LEASE_MS: '15000', SUSPECT_AFTER_MS: '12000' };
  // A generous fetch timeout: the machine running the tests is busy.
  const env = { SHARD_COUNT: String(SHARDS), REPLICATION: 'off', TRANSFER_TIMEOUT_MS: '2000', TRANSFER_FETCH_TIMEOUT_MS: '3000', ...leases };
  let moved: string[] = [];
  let view: AssignmentView;

  async function start(id: string) {
    const n = shardNode(nc, url, ns, { NODE_ID: id, ...env });
    nodes.set(id, n);
    await n.runtime.start();
    return n;
  }

  const { settled, ownerOf, onOwner } = clusterHelpers(() => nc, ns, SHARDS, nodes, { settleMs: 90_000, ownerAttempts: 50, ownerRetryMs: 200 });

  /** The old owner of a moved session: the node that keeps it for tr-c. */
  const oldOwner = (id: string) => ['tr-a', 'tr-b'].find((n) => node(n).runtime.transfer.retains(id));
  const lazy = (source: string) => metric(node('tr-c').metrics, 'foresight_transfer_lazy_fetches_total', { source });
  const lazyRows = () => metric(node('tr-c').metrics, 'foresight_session_load_rows_total', { scope: 'lazy' });

  const fetchFrom = async (to: string, from: string, body: Uint8Array, op = 'transfer.fetch') => {
    const h = headers();
    h.set(Headers.op, op);
    const msg = await nc.request(subjects(ns).transfer(to, from), body, { timeout: 5000, headers: h });
    return decode<RpcReply<unknown>>(msg.data);
  };

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('lazyfetch');
    meta = await startMetadata(
      nc,
      // No draining of nodes slow on a busy machine: only the moves the test makes.
      { DATABASE_URL: url, FORESIGHT_NAMESPACE: ns, SHARD_COUNT: String(SHARDS), REBALANCE_MS: '50', DEGRADED_P99_MS: '0', ...leases },
      'lazyfetch-metadata',
    );
    store = new EventStore(meta.pool, 'reader');
    await start('tr-a');
    await start('tr-b');
    await settled(['tr-a', 'tr-b']);
    const secret = node('tr-a').config.session.idSecret;
    const ids = Array.from({ length: 32 }, () => generateSessionId(secret));
    for (const id of ids) {
      const create = { sessionId: id, userId: 'u', groups: { auth: { token: `t-${id.slice(0, 6)}` }, cart: { items: BIG }, profile: { name: 'n' } } };
      await onOwner(id, (n) => n.runtime.sessionOps.create(create, { op: 'session.create', subject: 'test', ...ctx(`idem:create-${id}`) }));
      for (let i = 0; i < 2; i++) await onOwner(id, (n) => n.runtime.sessionOps.get({ sessionId: id, groups: ['auth', 'profile'] }));
    }
    await start('tr-c');
    view = await settled(['tr-a', 'tr-b', 'tr-c']);
    // Moved, pushed to tr-c and kept by their old owner (a shard moved twice while the node joined arrives empty).
    moved = ids.filter((id) => ownerOf(view, id) === 'tr-c' && oldOwner(id) !== undefined);
  }, 300_000);

  afterAll(async () => {
    for (const n of nodes.values()) {
      await n.runtime.stop().catch(() => undefined);
      await n.pool.end();
    }
    await store.close();
    await meta.stop();
    await nc.drain();
  }, 120_000);

  it('serves a lazy group from the old owner, reading nothing from Postgres, and writes on from it', async () => {
    expect(moved.length).toBeGreaterThanOrEqual(3);
    const [first] = moved;
    const peer = oldOwner(first!)!;
    const c = node('tr-c');
    const rows = await lazyRows();
    const allRows = await metric(c.metrics, 'foresight_session_load_rows_total');
    // The first access reads the whole session: the pushed core and auth, the cart from the old owner.
    expect((await c.runtime.sessions.read(first!)).groups).toEqual((await truth(first!)).groups);
    expect(await metric(c.metrics, 'foresight_transfer_first_access_total', { outcome: 'pushed' })).toBe(1);
    expect(await lazy('peer')).toBe(1);
    expect(await lazy('postgres')).toBe(0);
    expect(await lazyRows()).toBe(rows);
    expect(await metric(c.metrics, 'foresight_session_load_rows_total')).toBe(allRows);
    expect(await metric(node(peer).metrics, 'foresight_transfer_fetches_served_total', { outcome: 'served' })).toBe(1);
    // Writes go on from there, to the log.
    const put = await c.runtime.sessionOps.varPut(
      { sessionId: first!, group: 'cart', name: 'items', value: ['after'] },
      { op: 'var.put', subject: 'test', ...ctx() },
    );
    expect(put).toEqual({ version: 2 });
    expect((await truth(first!)).groups.cart).toEqual({ items: ['after'] });
  }, 60_000);

  it('refuses bad fetches on the old owner with a code, and counts them', async () => {
    const [, second] = moved;
    const peer = oldOwner(second!)!;
    const refused = (reason: string) => metric(node(peer).metrics, 'foresight_transfer_refused_total', { reason });
    const malformed = await refused('malformed');
    expect(await fetchFrom(peer, 'tr-c', new Uint8Array([0xc1, 0xff]))).toMatchObject({ ok: false, error: { code: 'MESSAGE.MALFORMED' } });
    expect(await fetchFrom(peer, 'tr-c', encode({ sessionId: second, version: 'one', groups: 'cart' }))).toMatchObject({
      ok: false,
      error: { code: 'MESSAGE.MALFORMED' },
    });
    expect(await refused('malformed')).toBe(malformed + 2);
    // Another node than the one it was handed to, and an unknown session: not kept for it.
    const ask = { sessionId: second, version: 1, head: 1, groups: ['cart'] };
    expect(await fetchFrom(peer, 'tr-x', encode(ask))).toMatchObject({ ok: false, error: { code: 'SESSION.NOT_FOUND' } });
    expect(await fetchFrom(peer, 'tr-c', encode({ ...ask, sessionId: 'nobody' }))).toMatchObject({ ok: false, error: { code: 'SESSION.NOT_FOUND' } });
    // A version it did not hand over, or a head below it: refused, never an older value.
    expect(await fetchFrom(peer, 'tr-c', encode({ ...ask, version: 7, head: 7 }))).toMatchObject({ ok: false, error: { code: 'SESSION.VERSION_CONFLICT' } });
    expect(await fetchFrom(peer, 'tr-c', encode({ ...ask, version: 1, head: 0 }))).toMatchObject({ ok: false, error: { code: 'MESSAGE.MALFORMED' } });
    expect(await refused('stale_fetch')).toBe(1);
    // The right request is served.
    expect(await fetchFrom(peer, 'tr-c', encode(ask))).toEqual({ ok: true, result: { version: 1, values: { cart: { items: BIG } } } });
  }, 60_000);

  it('reads Postgres when the old owner no longer answers', async () => {
    const [, , third] = moved;
    const peer = oldOwner(third!)!;
    const c = node('tr-c');
    const before = await lazy('postgres');
    // Its control subscription closed, as when its process has gone.
    node(peer).runtime.transfer.stop();
    try {
      expect((await c.runtime.sessions.read(third!, ['auth'])).groups).toEqual({ auth: (await truth(third!)).groups.auth });
      expect((await c.runtime.sessions.read(third!)).groups).toEqual((await truth(third!)).groups);
    } finally {
      node(peer).runtime.transfer.start();
    }
    expect(await lazy('postgres')).toBe(before + 1);
    const timed = (await c.metrics.getSingleMetric('foresight_transfer_lazy_fetch_seconds')!.get()).values as {
      metricName?: string;
      labels: Record<string, unknown>;
      value: number;
    }[];
    expect(timed.find((v) => v.metricName === 'foresight_transfer_lazy_fetch_seconds_count' && v.labels.source === 'postgres')?.value).toBeGreaterThanOrEqual(
      1,
    );
  }, 60_000);

  describe('an old owner answering with stale values', () => {
    let fake: Subscription | undefined;
    afterEach(() => fake?.unsubscribe());

    /** A session of tr-c written twice (the cart grows), dropped from its memory, then pushed by node `from` at its head. */
    async function pushedBy(from: string): Promise<{ id: string; head: SessionState }> {
      const c = node('tr-c');
      const owned = new Set(c.runtime.membership.ownedShards());
      let id = generateSessionId(c.config.session.idSecret);
      expect(owned.size).toBeGreaterThan(0);
      for (let i = 0; i < 10_000 && !owned.has(shardOf(id, SHARDS)); i++) id = generateSessionId(c.config.session.idSecret);
      await c.runtime.sessionOps.create(
        { sessionId: id, userId: null, groups: { auth: { t: 1 }, cart: { items: 'v1' } } },
        { op: 'session.create', subject: 'test', ...ctx() },
      );
      await c.runtime.sessionOps.varPut({ sessionId: id, group: 'cart', name: 'items', value: 'v2-longer' }, { op: 'var.put', subject: 'test', ...ctx() });
      const head = await truth(id);
      const shard = shardOf(id, SHARDS);
      c.runtime.sessions.dropShards(new Set([shard]));
      const entry = {
        core: coreOf(head),
        plan: { auth: { mode: 'immediate', reason: 'always', bytes: 4, p: 1 }, cart: { mode: 'lazy', reason: 'large_rare', bytes: 11, p: 0 } },
        values: { auth: head.groups.auth },
      };
      const h = headers();
      h.set(Headers.op, 'transfer.propose');
      const body = encode({ planId: `p-${id.slice(0, 8)}`, shards: [{ shard, epoch: c.runtime.membership.ownedEpoch(shard)! }], sessions: [entry] });
      const reply = decode<RpcReply<{ accepted: string[] }>>((await nc.request(subjects(ns).transfer('tr-c', from), body, { timeout: 5000, headers: h })).data);
      expect(reply).toMatchObject({ ok: true, result: { accepted: [id] } });
      return { id, head };
    }

    /** Answers every lazy fetch sent to node `as` with `answer`. */
    function fakePeer(as: string, answer: (asked: { version: number; head: number }) => unknown): void {
      fake = nc.subscribe(subjects(ns).transfer(as, 'tr-c'), {
        callback: (_err, msg) => msg.respond(encode({ ok: true, result: answer(decode(msg.data)) })),
      });
    }

    it.each([
      ['an older version', 'tr-y', () => ({ version: 1, values: { cart: { items: 'v1' } } })],
      [
        'the pushed version but values the core does not record',
        'tr-z',
        (a: { version: number }) => ({ version: a.version, values: { cart: { items: 'v1' } } }),
      ],
      ['a group it was not asked for', 'tr-w', (a: { version: number }) => ({ version: a.version, values: { auth: { t: 1 }, cart: { items: 'v2-longer' } } })],
    ])(
      'rejects %s and reads Postgres',
      async (_what, as, answer) => {
        const c = node('tr-c');
        const { id, head } = await pushedBy(as);
        fakePeer(as, answer);
        const bad = await metric(c.metrics, 'foresight_transfer_refused_total', { reason: 'bad_fetch' });
        const fromPostgres = await lazy('postgres');
        const peerHits = await lazy('peer');
        expect(await c.runtime.sessions.read(id)).toMatchObject({ version: 2, groups: head.groups });
        expect(await metric(c.metrics, 'foresight_transfer_refused_total', { reason: 'bad_fetch' })).toBe(bad + 1);
        expect(await lazy('postgres')).toBe(fromPostgres + 1);
        expect(await lazy('peer')).toBe(peerHits);
      },
      60_000,
    );

    it('uses a matching answer at the pushed version', async () => {
      const c = node('tr-c');
      const { id, head } = await pushedBy('tr-v');
      const asked: { version: number; head: number }[] = [];
      fakePeer('tr-v', (a) => {
        asked.push(a);
        return { version: a.version, values: { cart: { items: 'v2-longer' } } };
      });
      const peerHits = await lazy('peer');
      const fromPostgres = await lazy('postgres');
      expect(await c.runtime.sessions.read(id)).toMatchObject({ version: 2, groups: head.groups });
      // A whole read asks for every group it lacks; what the old owner does not give comes from Postgres.
      expect(asked).toEqual([{ sessionId: id, version: 2, head: 2, groups: ['profile', 'cart', 'settings', 'app'] }]);
      expect(await lazy('peer')).toBe(peerHits + 1);
      expect(await lazy('postgres')).toBe(fromPostgres + 1);
    }, 60_000);
  });
});
