import { subjects, type AssignmentView, type SessionEvent } from '@foresight/contracts';
import { assignShards, shardOf } from '@foresight/hashing';
import { callRpc, encode } from '@foresight/messaging';
import { EventStore } from '@foresight/persistence';
import { decide, generateSessionId, replay, type SessionState } from '@foresight/session-domain';
import type { JsonValue } from '@foresight/contracts';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { shadowCheck } from '../../apps/shard/src/replication/replica-message';
import { replicaTopology } from '../../apps/shard/src/replication/replica-topology';
import { metric, startMetadata, type TestMetadata } from './metadata-harness';
import { ctx, shardNode } from './shard-harness';

const SHARDS = 8;
const NODES = ['rep-a', 'rep-b', 'rep-c'];

/**
 * Warm secondaries with real components: the metadata service (rebalancer included), three shard
 * nodes, nats-server and Postgres. The primary pushes commits to the secondary of the shard; the
 * secondary validates them, repairs a forged or lost push from Postgres, and serves from its copy
 * when the primary's shards move to it.
 */
describe('warm secondaries (metadata, three shard nodes, real NATS and Postgres)', () => {
  let nc: NatsConnection;
  let url: string;
  let meta: TestMetadata;
  let store: EventStore;
  const ns = uniqueName('replica');
  const nodes = new Map<string, ReturnType<typeof shardNode>>();
  const node = (id: string) => nodes.get(id)!;
  /** The session as Postgres rebuilds it (the judge). */
  const truth = async (id: string): Promise<SessionState> => replay((await store.readStream(id)).map((r) => r.event))!;
  const comparable = (s: SessionState | undefined) => s && { ...s, lastActivityAt: 0 };

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    url = await createTestDatabase('replica');
    meta = await startMetadata(
      nc,
      { DATABASE_URL: url, FORESIGHT_NAMESPACE: ns, SHARD_COUNT: String(SHARDS), LEASE_MS: '2000', REBALANCE_MS: '50' },
      'replica-metadata',
    );
    store = new EventStore(meta.pool, 'reader');
    for (const id of NODES) {
      const n = shardNode(nc, url, ns, { NODE_ID: id, SHARD_COUNT: String(SHARDS) });
      nodes.set(id, n);
      await n.runtime.start();
    }
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes.values()) {
      await n.runtime.stop().catch(() => undefined);
      await n.pool.end();
    }
    await store.close();
    await meta.stop();
    await nc.drain();
  });

  /** The settled assignment: every node live, every shard where rendezvous puts it, seen by every node. */
  const settled = () =>
    eventually(
      async () => {
        const view = await callRpc<AssignmentView>(nc, subjects(ns).metadataRpc('assignment'), 'assignment', {}, { timeoutMs: 5000 });
        const live = view.nodes.filter((n) => n.status === 'active').map((n) => n.nodeId);
        if (live.length !== NODES.length || view.shards.some((s) => s.ready === false)) return undefined;
        // The rebalancer has moved every shard to its rendezvous target.
        const target = assignShards(SHARDS, live, node(NODES[0]!).config.cluster.loadFactor);
        if (view.shards.some((s) => s.nodeId !== target[s.shard])) return undefined;
        for (const id of NODES) {
          const owned = view.shards.filter((s) => s.nodeId === id).map((s) => s.shard);
          if (owned.sort().join() !== node(id).runtime.membership.ownedShards().sort().join()) return undefined;
        }
        return view;
      },
      30_000,
      'every node live and every node serving its shards',
    );

  it('pushes writes to the secondary, repairs a forged or lost push from Postgres, and serves the warm copy after takeover', async () => {
    const view = await settled();
    const primaryId = 'rep-a';
    const primary = node(primaryId);
    const topology = replicaTopology(view, primaryId, primary.config.cluster.loadFactor);
    // A session on a shard of the primary.
    let id = generateSessionId(primary.config.session.idSecret);
    while (!topology.secondaryOf.has(shardOf(id, SHARDS))) id = generateSessionId(primary.config.session.idSecret);
    const shard = shardOf(id, SHARDS);
    const secondaryId = topology.secondaryOf.get(shard)!;
    const secondary = node(secondaryId);
    const follower = secondary.runtime.replicaFollower;
    const ops = primary.runtime.sessionOps;
    const put = (value: unknown) =>
      ops.varPut({ sessionId: id, group: 'cart', name: 'items', value }, { op: 'var.put', subject: 'test', ...ctx() }) as Promise<{ version: number }>;

    // 1. Writes on the primary show up on the secondary, equal to Postgres.
    await ops.create({ sessionId: id, userId: 'u1', groups: { cart: { items: [] } } }, { op: 'session.create', subject: 'test', ...ctx() });
    await put([1]);
    expect(await put([1, 2])).toEqual({ version: 3 });
    await eventually(() => (follower.peek(id)?.version === 3 ? true : undefined), 10_000, 'the secondary at version 3');
    expect(comparable(follower.peek(id))).toEqual(comparable(await truth(id)));
    expect(await metric(secondary.metrics, 'foresight_replica_applied_events_total')).toBeGreaterThanOrEqual(3);
    expect(await metric(secondary.metrics, 'foresight_replica_lag_seconds')).toBeGreaterThan(0); // sum of observed lags
    // Nobody else keeps a copy.
    for (const other of NODES.filter((n) => n !== secondaryId)) expect(node(other).runtime.replicaFollower.peek(id)).toBeUndefined();

    const subject = subjects(ns).replica(secondaryId);
    const reloads = () => metric(secondary.metrics, 'foresight_replica_reloads_total', { outcome: 'loaded' });

    // 2. A forged push with a wrong version (a gap): detected, counted, reloaded.
    const copy = follower.peek(id)!;
    const { session } = primary.config;
    const policy = { ...session, groups: session.groups };
    const next = (value: JsonValue) =>
      decide({ kind: 'put', group: 'cart', name: 'items', value }, copy, policy, {
        now: Date.now(),
        correlationId: 'forged',
        causationId: 'forged',
        newEventId: randomUUID,
      });
    const honest = next(['honest']);
    const entry = (events: SessionEvent[], firstVersion: number, check: number) => ({ sessionId: id, firstVersion, events, committedAt: Date.now(), check });
    nc.publish(subject, encode({ from: primaryId, entries: [entry(honest, 9, shadowCheck(replay(honest, copy)!, honest))] }));
    await eventually(
      async () => ((await metric(secondary.metrics, 'foresight_replica_divergences_total', { reason: 'gap' })) >= 1 ? true : undefined),
      10_000,
      'gap counted',
    );
    await eventually(async () => ((await reloads()) >= 1 && follower.peek(id) ? true : undefined), 10_000, 'copy reloaded');
    expect(comparable(follower.peek(id))).toEqual(comparable(await truth(id)));

    // 3. A push whose content differs from what the primary committed (right version, wrong value).
    const forged = next(['forged']);
    nc.publish(subject, encode({ from: primaryId, entries: [entry(forged, 4, shadowCheck(replay(honest, copy)!, honest))] }));
    await eventually(
      async () => ((await metric(secondary.metrics, 'foresight_replica_divergences_total', { reason: 'content' })) >= 1 ? true : undefined),
      10_000,
      'content divergence counted',
    );
    await eventually(async () => ((await reloads()) >= 2 && follower.peek(id) ? true : undefined), 10_000, 'copy reloaded again');
    expect(follower.peek(id)!.version).toBe(3);
    expect(comparable(follower.peek(id))).toEqual(comparable(await truth(id)));

    // 4. Garbage on the subject is counted and dropped; the follower keeps following.
    nc.publish(subject, new Uint8Array([0xc1, 1, 2]));
    nc.publish(subject, encode({ from: primaryId, entries: [{ sessionId: id, nonsense: true }] }));
    expect(await put([1, 2, 3])).toEqual({ version: 4 });
    await eventually(() => (follower.peek(id)?.version === 4 ? true : undefined), 10_000, 'the secondary at version 4');
    expect(await metric(secondary.metrics, 'foresight_replica_rejected_total')).toBeGreaterThanOrEqual(2);
    expect(comparable(follower.peek(id))).toEqual(comparable(await truth(id)));

    // 5. A second session on a shard with the same secondary, whose last push is lost on the way.
    let lagging = generateSessionId(primary.config.session.idSecret);
    while (topology.secondaryOf.get(shardOf(lagging, SHARDS)) !== secondaryId) lagging = generateSessionId(primary.config.session.idSecret);
    const putOn = (sessionId: string, value: JsonValue) =>
      ops.varPut({ sessionId, group: 'cart', name: 'items', value }, { op: 'var.put', subject: 'test', ...ctx() }) as Promise<{ version: number }>;
    await ops.create({ sessionId: lagging, userId: null, groups: {} }, { op: 'session.create', subject: 'test', ...ctx() });
    await putOn(lagging, ['pushed']);
    await eventually(() => (follower.peek(lagging)?.version === 2 ? true : undefined), 10_000, 'the second session at version 2');
    const pushes = jest.spyOn(primary.runtime.replicaPublisher, 'committed').mockImplementation(() => undefined);
    expect(await putOn(lagging, ['never pushed'])).toEqual({ version: 3 });
    pushes.mockRestore();
    expect(follower.peek(lagging)?.version).toBe(2);

    // 6. The primary dies (no more heartbeats, no leave): when its lease runs out the rebalancer moves
    // its shards to their secondaries, and the first reads are served from the warm copies.
    await primary.runtime.membership.stop(false);
    await eventually(() => (secondary.runtime.membership.ownedShards().includes(shard) ? true : undefined), 20_000, 'the secondary owns the shard');
    const loadsBefore = await metric(secondary.metrics, 'foresight_session_loads_total');
    expect(await secondary.runtime.sessions.read(id)).toMatchObject({
      id,
      version: 4,
      groups: { cart: { items: [1, 2, 3] } },
      owner: { nodeId: secondaryId, shard },
    });
    expect(await metric(secondary.metrics, 'foresight_replica_promotions_total', { outcome: 'warm' })).toBe(1);
    // The copy that missed a push is caught up from the store: never older than the acknowledged write.
    expect(await secondary.runtime.sessions.read(lagging)).toMatchObject({ version: 3, groups: { cart: { items: ['never pushed'] } } });
    expect(await metric(secondary.metrics, 'foresight_replica_promotions_total', { outcome: 'caught_up' })).toBe(1);
    expect(await metric(secondary.metrics, 'foresight_replica_promotions_total', { outcome: 'cold' })).toBe(0);
    expect(await metric(secondary.metrics, 'foresight_session_loads_total')).toBe(loadsBefore); // neither rebuilt from snapshot + events
    // And the new owner writes on from there.
    expect(
      await secondary.runtime.sessionOps.varPut(
        { sessionId: id, group: 'cart', name: 'items', value: ['after'] },
        { op: 'var.put', subject: 'test', ...ctx() },
      ),
    ).toEqual({
      version: 5,
    });
    expect(comparable(await truth(id))).toMatchObject({ version: 5 });
  }, 90_000);
});
