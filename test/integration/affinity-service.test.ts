import type { INestMicroservice } from '@nestjs/common';
import { loadConfig } from '@foresight/config';
import { affinitySubjects, ErrorCodes, ForesightError, type AffinityEvent, type AgentReportBody } from '@foresight/contracts';
import { callRpc, tryDecode } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool } from '@foresight/persistence';
import { CONFIG, serveRpcControllers } from '@foresight/platform';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { systemClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import type { Pool } from 'pg';
import { affinityRuntimeParts } from '../../apps/affinity/src/app.module';
import { AffinityRpcController } from '../../apps/affinity/src/affinity.rpc';
import { AffinityRuntime } from '../../apps/affinity/src/affinity.runtime';
import { AffinityClient } from '../../apps/gateway/src/edges/affinity-client';
import { AffinityView } from '../../apps/gateway/src/edges/affinity-view';
import { EdgeMembership } from '../../apps/gateway/src/edges/edge-membership';
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

const report = (clientId: string, gateway: string, requests: number, errors: number, rttMs: number): AgentReportBody => ({
  clientId,
  sdk: 'test/1',
  windowMs: 30_000,
  gateways: [{ gateway, requests, errors, throughputRps: requests / 30, rttMs: { mean: rttMs, p50: rttMs, p90: rttMs, p99: rttMs } }],
});

/** The affinity service over a real Postgres and nats-server, with the gateway's edge classes as its clients. */
describe('affinity service: edge registry, records, weights, routing', () => {
  const LEASE_MS = 800;
  const namespace = uniqueName('aff');
  const a = affinitySubjects(namespace);
  let nc: NatsConnection;
  let pool: Pool;
  let runtime: AffinityRuntime;
  let host: INestMicroservice;
  let client: AffinityClient;
  const events: AffinityEvent[] = [];
  const members: EdgeMembership[] = [];

  /** An edge that registers and heartbeats like a gateway does. */
  const edge = (edgeId: string, zone: string) => {
    const m = new EdgeMembership(client, { edgeId, url: `http://${edgeId}.test:3000`, zone, heartbeatMs: 100 }, quietLogger);
    members.push(m);
    m.start();
    return m;
  };

  beforeAll(async () => {
    const url = await createTestDatabase('aff');
    nc = await connect({ servers: testInfra().natsUrl });
    const config = loadConfig('affinity', {
      DATABASE_URL: url,
      FORESIGHT_NAMESPACE: namespace,
      EDGE_LEASE_MS: String(LEASE_MS),
      AFFINITY_POLICY: 'predictive',
    });
    pool = createPool(url, 4, 'affinity-test');
    runtime = new AffinityRuntime({ config, pool, nc, logger: quietLogger, clock: systemClock, metrics: createMetricsRegistry('affinity') });
    host = await serveRpcControllers(
      runtime.rpc,
      [AffinityRpcController],
      [{ provide: AffinityRuntime, useValue: runtime }, ...affinityRuntimeParts, { provide: CONFIG, useValue: config }],
    );
    await runtime.start();
    nc.subscribe(a.affinityEventsWildcard, { callback: (_e, msg) => events.push(tryDecode(msg.data) as AffinityEvent) });
    client = new AffinityClient(nc, namespace, 5000);
  }, 60_000);

  afterAll(async () => {
    for (const m of members) await m.stop();
    await runtime.stop();
    await host.close();
    await pool.end();
    await nc.drain();
  });

  it('registers edges and lists them healthy, and keeps a session on its edge', async () => {
    edge('eu-1', 'eu');
    edge('us-1', 'us');
    await eventually(async () => ((await client.call('view', {})).edges.filter((e) => e.healthy).length === 2 ? true : undefined), 5000, 'two edges');
    // A client in "eu" goes to the edge in its zone (the us edge scores e^-5 as much).
    const first = await client.call('route', { sessionId: 'sess-eu-a', clientId: 'client-1', hints: { zone: 'eu' } });
    expect(first).toMatchObject({ edgeId: 'eu-1', url: 'http://eu-1.test:3000', recordVersion: 1 });
    expect(first.weight).toBe(60);
    const again = await client.call('route', { sessionId: 'sess-eu-a' });
    expect(again).toMatchObject({ edgeId: 'eu-1', recordVersion: 1 });
    const routed = await eventually(() => events.find((e) => e.type === 'affinity.session_routed' && e.sessionId === 'sess-eu-a'));
    expect(routed.data).toMatchObject({ edgeId: 'eu-1', recordVersion: 1, reason: 'new', clientId: 'client-1' });
    // Kept on the stream too (message id = event id), for edges that were not listening.
    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(a.affinityStream, { last_by_subj: a.affinityEvent('affinity.session_routed') });
    const last = tryDecode(stored.data) as AffinityEvent;
    expect(last).toMatchObject({ type: 'affinity.session_routed', version: 1, sessionId: 'sess-eu-a' });
    expect(stored.header.get('Nats-Msg-Id')).toBe(last.id);
  });

  it('moves a session whose agent reports its edge failing, and publishes the new version', async () => {
    await client.call('route', { sessionId: 'sess-eu-b', clientId: 'client-2', hints: { zone: 'eu' } });
    const r = await client.call('report', { viaEdgeId: 'eu-1', report: report('client-2', 'http://eu-1.test:3000', 100, 80, 30) });
    expect(r.sessionsUpdated).toBe(1);
    const moved = await client.call('route', { sessionId: 'sess-eu-b' });
    expect(moved.edgeId).toBe('us-1');
    expect(moved.recordVersion).toBeGreaterThan(1);
    await eventually(() => events.find((e) => e.type === 'affinity.session_routed' && e.sessionId === 'sess-eu-b' && e.data.reason === 'low-weight'));
  });

  it('notices a silent edge within its lease and re-routes its sessions to healthy ones', async () => {
    const dying = edge('eu-2', 'eu');
    await eventually(async () => ((await client.call('view', {})).edges.some((e) => e.edgeId === 'eu-2' && e.healthy) ? true : undefined), 5000, 'eu-2 up');
    // Sessions pinned to eu-2 (weight set high, so only its failure moves them).
    const ids = ['sess-d-1', 'sess-d-2', 'sess-d-3'];
    for (const sessionId of ids) {
      let rec = await client.call('route', { sessionId, hints: { zone: 'eu' } });
      for (let i = 0; rec.edgeId !== 'eu-2' && i < 3; i++) {
        await runtime.records.write(
          { sessionId, clientId: null, userId: null, clientZone: 'eu', edgeId: 'eu-2', weight: 100, stickiness: null },
          rec.recordVersion,
          60_000,
        );
        rec = await client.call('route', { sessionId });
      }
      expect(rec.edgeId).toBe('eu-2');
    }
    // The edge stops heartbeating without leaving (as a killed process would).
    (dying as unknown as { stopped: boolean }).stopped = true;
    const dead = await eventually(
      () => events.find((e) => e.type === 'affinity.edge_changed' && e.data.edgeId === 'eu-2' && e.data.status === 'dead'),
      5000,
      'eu-2 dead',
    );
    expect(dead).toBeDefined();
    for (const sessionId of ids) {
      const rec = await eventually(async () => {
        const r = await client.call('route', { sessionId });
        return r.edgeId !== 'eu-2' ? r : undefined;
      }, 5000);
      expect(['eu-1', 'us-1']).toContain(rec.edgeId);
    }
  });

  it('refuses bad input with stable codes', async () => {
    const raw = (subject: string, op: string, body: unknown) => failure(callRpc(nc, subject, op, body, { timeoutMs: 5000 }));
    expect((await raw(`${namespace}.rpc.affinity.edge.bad$id.register`, 'register', { incarnation: 'x', url: 'http://a', zone: 'z' })).code).toBe(
      ErrorCodes.VALIDATION,
    );
    expect((await failure(client.membership('nobody', 'heartbeat', { incarnation: 'x' }))).code).toBe(ErrorCodes.EDGE_NOT_FOUND);
    expect((await failure(client.membership('eu-3', 'register', { incarnation: 'x', url: 'ftp://nope', zone: 'eu' }))).code).toBe(ErrorCodes.VALIDATION);
    expect((await failure(client.call('weight', { sessionId: 'sess-eu-a', weight: 101 }))).code).toBe(ErrorCodes.VALIDATION);
    expect((await failure(client.call('weight', { sessionId: 'sess-eu-a', weight: -1 }))).code).toBe(ErrorCodes.VALIDATION);
    expect((await failure(client.call('weight', { sessionId: 'no-such-session', weight: 10 }))).code).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect((await failure(client.call('report', { viaEdgeId: 'nowhere', report: report('c', 'http://x', 1, 0, 1) }))).code).toBe(ErrorCodes.EDGE_NOT_FOUND);
    expect((await failure(client.call('report', { viaEdgeId: 'eu-1', report: { clientId: 'c' } as never }))).code).toBe(ErrorCodes.VALIDATION);
    expect((await raw(a.affinityRpc('route'), 'view', {})).code).toBe(ErrorCodes.UNKNOWN_OPERATION);
    // Garbage bytes on a request subject: an answer, not a crash.
    const reply = await nc.request(a.affinityRpc('route'), new Uint8Array([0xc1, 0xff, 0x00]), { timeout: 5000 });
    expect(tryDecode(reply.data)).toMatchObject({ ok: false });
    expect((await client.call('weight', { sessionId: 'sess-eu-a', weight: 90 })).weight).toBe(90);
  });

  it("gives an edge's view the record, and routes on its own when the affinity service is gone", async () => {
    const view = new AffinityView(
      nc,
      client,
      { namespace, edgeId: 'eu-1', url: 'http://eu-1.test:3000', cacheTtlMs: 60_000, refreshMs: 200, maxSessions: 100 },
      systemClock,
      quietLogger,
      createMetricsRegistry('gateway'),
    );
    view.start();
    try {
      await eventually(() => (view.list().length > 0 ? true : undefined));
      expect(view.preferredEdge('sess-view-1', { hints: { zone: 'us' } }).source).toBe('fallback');
      const known = await eventually(() => {
        const p = view.preferredEdge('sess-view-1');
        return p.source === 'record' ? p : undefined;
      });
      expect(known.url).toBe('http://us-1.test:3000');
      // Without an affinity service (another namespace): answers from its own view, never throws.
      const lonely = new AffinityView(
        nc,
        new AffinityClient(nc, uniqueName('none'), 200),
        { namespace: uniqueName('none'), edgeId: 'x', url: 'http://x.test', cacheTtlMs: 1000, refreshMs: 200, maxSessions: 10 },
        systemClock,
        quietLogger,
        createMetricsRegistry('gateway'),
      );
      expect(lonely.preferredEdge('sess-1')).toEqual({ url: 'http://x.test', source: 'fallback' });
      await eventually(() => (lonely.isDegraded ? true : undefined));
      expect(lonely.preferredEdge('sess-1').url).toBe('http://x.test');
      lonely.stop();
    } finally {
      view.stop();
    }
  });
});

/**
 * The affinity service restarted after more than EDGE_LEASE_MS, placing sessions by user: a second
 * runtime over the same database and namespace takes over while the edges keep heartbeating.
 */
describe('affinity service: a restart past the edge lease, and sessions placed by user', () => {
  const LEASE_MS = 1500;
  const namespace = uniqueName('affr');
  const a = affinitySubjects(namespace);
  let url: string;
  let nc: NatsConnection;
  let pool: Pool;
  let client: AffinityClient;
  let service: { runtime: AffinityRuntime; host: INestMicroservice } | undefined;
  const events: AffinityEvent[] = [];
  const members: EdgeMembership[] = [];
  const config = () =>
    loadConfig('affinity', { DATABASE_URL: url, FORESIGHT_NAMESPACE: namespace, EDGE_LEASE_MS: String(LEASE_MS), AFFINITY_HASH_BY_USER: 'true' });

  async function startService(): Promise<void> {
    const c = config();
    const runtime = new AffinityRuntime({ config: c, pool, nc, logger: quietLogger, clock: systemClock, metrics: createMetricsRegistry('affinity') });
    const host = await serveRpcControllers(
      runtime.rpc,
      [AffinityRpcController],
      [{ provide: AffinityRuntime, useValue: runtime }, ...affinityRuntimeParts, { provide: CONFIG, useValue: c }],
    );
    await runtime.start();
    service = { runtime, host };
  }

  async function stopService(): Promise<void> {
    await service?.runtime.stop();
    await service?.host.close();
    service = undefined;
  }

  const edge = (edgeId: string) => {
    // The default pace (EDGE_HEARTBEAT_MS = a quarter lease): as often as the sweeper runs.
    const m = new EdgeMembership(client, { edgeId, url: `http://${edgeId}.test:3000`, zone: 'eu', heartbeatMs: LEASE_MS / 4 }, quietLogger);
    members.push(m);
    m.start();
    return m;
  };

  beforeAll(async () => {
    url = await createTestDatabase('affr');
    nc = await connect({ servers: testInfra().natsUrl });
    pool = createPool(url, 4, 'affinity-restart-test');
    nc.subscribe(a.affinityEventsWildcard, { callback: (_e, msg) => events.push(tryDecode(msg.data) as AffinityEvent) });
    client = new AffinityClient(nc, namespace, 5000);
    await startService();
  }, 60_000);

  afterAll(async () => {
    for (const m of members) await m.stop();
    await stopService();
    await pool.end();
    await nc.drain();
  });

  it('declares no heartbeating edge dead after a restart past the lease, and a silent one dead after the grace', async () => {
    edge('live-1');
    edge('live-2');
    const gone = edge('gone-1');
    await eventually(async () => ((await client.call('view', {})).edges.filter((e) => e.healthy).length === 3 ? true : undefined), 5000, 'three edges');

    await stopService();
    (gone as unknown as { stopped: boolean }).stopped = true;
    // Down until every lease in Postgres has run out (the live edges' heartbeats find no responder meanwhile).
    await eventually(
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM edges WHERE lease_expires_at >= now()`)).rows[0]!.n === 0 ? true : undefined,
      10_000,
      'every lease run out',
    );
    const from = events.length;
    await startService();
    const dead = () =>
      events
        .slice(from)
        .filter((e) => e.type === 'affinity.edge_changed' && e.data.status === 'dead')
        .map((e) => e.data.edgeId);
    await eventually(() => (dead().includes('gone-1') ? true : undefined), 10_000, 'gone-1 declared dead');
    expect(dead()).toEqual(['gone-1']);
    const view = await client.call('view', {});
    expect(view.edges.map((e) => [e.edgeId, e.healthy])).toEqual([
      ['gone-1', false],
      ['live-1', true],
      ['live-2', true],
    ]);
  }, 60_000);

  it('places a session routed without its user by the user in the session index', async () => {
    const indexed = async (sessionId: string, userId: string | null) =>
      pool.query(
        `INSERT INTO session_index (session_id, shard, user_id, created_at, last_activity_at, idle_timeout_ms, absolute_expires_at)
         VALUES ($1, 0, $2, now(), now(), 3600000, now() + interval '1 day')`,
        [sessionId, userId],
      );
    const named = await client.call('route', { sessionId: 'by-user-0', userId: 'user-x' });
    const edges = new Set<string>();
    for (let i = 1; i <= 8; i++) {
      await indexed(`by-user-${i}`, 'user-x');
      // The edge asking does not know the user (the one that created the session could not ask then).
      const r = await client.call('route', { sessionId: `by-user-${i}` });
      edges.add(r.edgeId);
    }
    expect([...edges]).toEqual([named.edgeId]);
    // Without a user anywhere, by the session id: a user-less session's placement does not fail.
    await indexed('no-user-1', null);
    expect(['live-1', 'live-2']).toContain((await client.call('route', { sessionId: 'no-user-1' })).edgeId);
  }, 30_000);
});
