import { loadConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, RequestIds, subjects, type AssignmentView, type ErrorCode } from '@foresight/contracts';
import { encode, serveRpc, type RpcMeta } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection, type Subscription } from 'nats';
import type { Registry } from 'prom-client';
import { OwnerDirectory } from '../../apps/gateway/src/routing/owner-directory.service';
import { ShardClient } from '../../apps/gateway/src/routing/shard-client.service';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const SHARDS = 8;
const ctx = { correlationId: 'corr-routing', causationId: 'corr-routing' };

/** What a stand-in shard node does with one request (throw a ForesightError to answer with its code). */
type NodeBehaviour = (op: string, body: unknown, meta: RpcMeta) => Promise<unknown>;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ForesightError) return error.code;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/**
 * The gateway's routing (owner table + shard client) built without Nest, against stand-ins on a real
 * nats-server, answering with the real request/reply code: a metadata service that serves
 * `assignment` from a table the test changes, and shard nodes whose answers the test scripts.
 */
describe('gateway routing without Nest: ShardClient and OwnerDirectory against stand-in services', () => {
  let nc: NatsConnection;
  const namespace = uniqueName('route');
  const s = subjects(namespace);
  const subs: Subscription[] = [];
  /** The stand-in metadata service's table: every shard on `owner`. */
  const table = { owner: 'node-a' as string | null, version: 1 };
  let assignmentReads = 0;
  /** While set, the stand-in metadata service holds its answers until it resolves. */
  let assignmentGate: Promise<void> | null = null;
  /** Called on every read of the table, before it is answered (to change it as a move would). */
  let onAssignmentRead: ((reads: number) => void) | null = null;
  const seen: { node: string; op: string; requestId?: string }[] = [];
  const behaviour = new Map<string, NodeBehaviour>();
  const answer: NodeBehaviour = async (op, body) => ({ op, body });

  function view(): AssignmentView {
    return {
      shardCount: SHARDS,
      version: table.version,
      shards: Array.from({ length: SHARDS }, (_, shard) => ({ shard, nodeId: table.owner, epoch: table.version })),
      // node-gone is in the table but nothing listens on its subject.
      nodes: ['node-a', 'node-b', 'node-silent', 'node-gone'].map((nodeId) => ({ nodeId, status: 'active', rpcSubject: s.shardRpc(nodeId) })),
    };
  }

  /** A fresh owner directory and shard client (own metrics registry), as the gateway's runtime builds them. */
  function routing(env: Record<string, string> = {}) {
    const config = loadConfig('gateway', { FORESIGHT_NAMESPACE: namespace, SHARD_COUNT: String(SHARDS), GATEWAY_MAX_ATTEMPTS: '4', ...env });
    const metrics = createMetricsRegistry('gateway');
    const directory = new OwnerDirectory({ nc, config, logger: quiet, metrics });
    const client = new ShardClient({ directory, nc, config, metrics });
    return { config, metrics, directory, client };
  }

  const metric = async (metrics: Registry, name: string): Promise<number> =>
    ((await metrics.getSingleMetric(name)?.get())?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  const callsTo = (node: string) => seen.filter((r) => r.node === node);

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    subs.push(
      serveRpc(
        nc,
        s.metadataRpc('assignment'),
        {
          assignment: async () => {
            assignmentReads++;
            onAssignmentRead?.(assignmentReads);
            if (assignmentGate) await assignmentGate;
            return view();
          },
        },
        { queue: 'metadata', logger: quiet },
      ),
    );
    for (const node of ['node-a', 'node-b', 'node-silent']) {
      const handler = async (body: unknown, meta: RpcMeta) => {
        seen.push({ node, op: meta.op, ...(meta.requestId ? { requestId: meta.requestId } : {}) });
        // A silent node takes requests and never answers: its callers time out.
        if (node === 'node-silent') return new Promise<never>(() => undefined);
        return (behaviour.get(node) ?? answer)(meta.op, body, meta);
      };
      subs.push(serveRpc(nc, s.shardRpc(node), { 'session.get': handler, 'session.create': handler, 'var.put': handler }, { logger: quiet }));
    }
    await nc.flush();
  }, 30_000);

  beforeEach(() => {
    table.owner = 'node-a';
    table.version = 1;
    assignmentReads = 0;
    assignmentGate = null;
    onAssignmentRead = null;
    seen.length = 0;
    behaviour.clear();
  }, 30_000);

  afterAll(async () => {
    for (const sub of subs) sub.unsubscribe();
    await nc.drain();
  }, 30_000);

  it('follows a session to its new owner after NOT_OWNER, re-reading the owner table, with one Fs-Request-Id on every attempt', async () => {
    const { client, metrics } = routing();
    behaviour.set('node-a', async () => {
      table.owner = 'node-b';
      table.version = 2;
      throw new ForesightError(ErrorCodes.NOT_OWNER, 'The session moved.');
    });
    const reply = await client.call('sess-1', 'var.put', { sessionId: 'sess-1', group: 'g', name: 'n', value: 1 }, ctx);
    expect(reply).toMatchObject({ op: 'var.put' });
    expect(seen.map((r) => r.node)).toEqual(['node-a', 'node-b']);
    expect(RequestIds.is(seen[0]!.requestId ?? '')).toBe(true);
    expect(seen[1]!.requestId).toBe(seen[0]!.requestId);
    expect(assignmentReads).toBe(2); // the first route, and the refresh after NOT_OWNER
    expect(await metric(metrics, 'foresight_gateway_reroutes_total')).toBe(1);
  }, 30_000);

  it("keeps the caller's idempotency key on every attempt, and sends none with a read", async () => {
    const { client } = routing();
    let failures = 2;
    behaviour.set('node-a', async (op) => {
      if (failures-- > 0) throw new ForesightError(ErrorCodes.STALE_EPOCH, 'Fenced.');
      return { op };
    });
    const requestId = RequestIds.fromClient('client-key-1');
    await client.call('sess-2', 'var.put', { sessionId: 'sess-2', group: 'g', name: 'n', value: 2 }, { ...ctx, requestId });
    expect(seen.map((r) => r.requestId)).toEqual([requestId, requestId, requestId]);

    seen.length = 0;
    failures = 1;
    await client.call('sess-2', 'session.get', { sessionId: 'sess-2' }, ctx);
    expect(seen).toEqual([
      { node: 'node-a', op: 'session.get' },
      { node: 'node-a', op: 'session.get' },
    ]);
  }, 30_000);

  it.each([
    ['SHARD.NOT_OWNER', ErrorCodes.NOT_OWNER],
    ['SHARD.STALE_EPOCH', ErrorCodes.STALE_EPOCH],
    ['SERVICE.UNAVAILABLE (answered)', ErrorCodes.UNAVAILABLE],
  ] as const)(
    'gives up with %s after the attempt budget, every attempt carrying the same request id',
    async (_name, code: ErrorCode) => {
      const { client } = routing();
      behaviour.set('node-a', async () => {
        throw new ForesightError(code, 'Not here.');
      });
      expect(await codeOf(client.call('sess-3', 'var.put', { sessionId: 'sess-3', group: 'g', name: 'n', value: 3 }, ctx))).toBe(code);
      expect(callsTo('node-a')).toHaveLength(4);
      expect(new Set(seen.map((r) => r.requestId)).size).toBe(1);
      expect(assignmentReads).toBe(4); // the first route, then a refresh before each of the 3 retries
    },
    30_000,
  );

  it('gives up with SERVICE.TIMEOUT when the owner never answers, after the attempt budget', async () => {
    const { client } = routing({ NATS_REQUEST_TIMEOUT_MS: '250' });
    table.owner = 'node-silent';
    expect(await codeOf(client.call('sess-4', 'var.put', { sessionId: 'sess-4', group: 'g', name: 'n', value: 4 }, ctx))).toBe(ErrorCodes.TIMEOUT);
    expect(callsTo('node-silent')).toHaveLength(4);
    expect(new Set(seen.map((r) => r.requestId)).size).toBe(1);
  }, 30_000);

  it("stops retrying a write once its caller has gone, so an abandoned attempt never races the caller's own retry", async () => {
    const { client, metrics } = routing({ NATS_REQUEST_TIMEOUT_MS: '300' });
    table.owner = 'node-silent';
    const caller = new AbortController();
    const call = client.call('sess-4b', 'var.put', { sessionId: 'sess-4b', group: 'g', name: 'n', value: 4 }, { ...ctx, signal: caller.signal });
    // The caller gives up while the first attempt waits for the silent owner.
    await eventually(async () => (callsTo('node-silent').length === 1 ? true : undefined), 5_000, 'the first attempt');
    caller.abort();
    expect(await codeOf(call)).toBe(ErrorCodes.CANCELLED);
    expect(callsTo('node-silent')).toHaveLength(1);
    expect(await metric(metrics, 'foresight_gateway_abandoned_calls_total')).toBe(1);

    // Gone while the owner table is re-read after a failed attempt: no pause, no further attempt.
    seen.length = 0;
    assignmentReads = 0;
    table.owner = 'node-gone';
    const second = new AbortController();
    onAssignmentRead = (reads) => {
      if (reads === 2) second.abort(); // the first route, then the refresh after UNAVAILABLE
    };
    const fresh = routing();
    const pausing = fresh.client.call('sess-4c', 'var.put', { sessionId: 'sess-4c', group: 'g', name: 'n', value: 4 }, { ...ctx, signal: second.signal });
    expect(await codeOf(pausing)).toBe(ErrorCodes.CANCELLED);
    expect(assignmentReads).toBe(2);
    expect(await metric(fresh.metrics, 'foresight_gateway_abandoned_calls_total')).toBe(1);
  }, 30_000);

  it('gives up with SERVICE.UNAVAILABLE when nothing listens on the owner, and with SHARD.NO_OWNER when the shard has none', async () => {
    const { client } = routing();
    table.owner = 'node-gone';
    expect(await codeOf(client.call('sess-5', 'session.get', { sessionId: 'sess-5' }, ctx))).toBe(ErrorCodes.UNAVAILABLE);
    expect(assignmentReads).toBe(4);

    assignmentReads = 0;
    table.owner = null;
    const second = routing();
    expect(await codeOf(second.client.call('sess-5', 'session.get', { sessionId: 'sess-5' }, ctx))).toBe(ErrorCodes.NO_OWNER);
    expect(assignmentReads).toBe(4);
    expect(seen).toEqual([]);
  }, 30_000);

  it('polls the owner table no more once stopped, even when stopped while a read of it was in flight', async () => {
    const { directory } = routing();
    directory.start();
    await eventually(async () => (directory.assignment !== null ? true : undefined), 10_000, 'the first read of the table');
    // Hold the next read: the periodic poll's (every 5 s).
    let release: () => void = () => undefined;
    assignmentGate = new Promise<void>((resolve) => (release = resolve));
    const reads = assignmentReads;
    await eventually(async () => (assignmentReads > reads ? true : undefined), 20_000, 'the periodic read');
    directory.stop();
    const version = table.version;
    table.version++;
    release();
    assignmentGate = null;
    // The read in flight at stop() ends now; before the fix it armed the next poll.
    await eventually(async () => (directory.assignment!.version > version ? true : undefined), 10_000, 'the read in flight to end');
    await new Promise((resolve) => setImmediate(resolve));
    expect(Reflect.get(directory, 'timer')).toBeNull();
  }, 30_000);

  it('reaches an owner that appears while it retries', async () => {
    const { client } = routing();
    table.owner = null;
    // The shard gets an owner by the third read of the table.
    onAssignmentRead = (reads) => {
      if (reads === 3) table.owner = 'node-b';
    };
    await expect(client.call('sess-6', 'session.get', { sessionId: 'sess-6' }, ctx)).resolves.toMatchObject({ op: 'session.get' });
    expect(callsTo('node-b')).toHaveLength(1);
    expect(assignmentReads).toBe(3);
  }, 30_000);

  it('never retries what the caller got wrong: REQUEST.INVALID and REQUEST.TOO_LARGE are answered at once', async () => {
    const { client, metrics } = routing();
    behaviour.set('node-a', async () => {
      throw new ForesightError(ErrorCodes.VALIDATION, '"value" is not valid.');
    });
    expect(await codeOf(client.call('sess-7', 'var.put', { sessionId: 'sess-7', group: 'g', name: 'n', value: 7 }, ctx))).toBe(ErrorCodes.VALIDATION);
    expect(callsTo('node-a')).toHaveLength(1);

    behaviour.set('node-a', async () => {
      throw new ForesightError(ErrorCodes.PAYLOAD_TOO_LARGE, 'The reply would be too large.');
    });
    expect(await codeOf(client.call('sess-7', 'session.get', { sessionId: 'sess-7' }, ctx))).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
    expect(callsTo('node-a')).toHaveLength(2);

    // Refused before it is sent: more than the bus carries, or nested deeper than the encoder goes.
    const huge = 'x'.repeat((nc.info?.max_payload ?? 1 << 20) + 1);
    expect(await codeOf(client.call('sess-7', 'var.put', { sessionId: 'sess-7', group: 'g', name: 'n', value: huge }, ctx))).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(await codeOf(client.call('sess-7', 'var.put', { sessionId: 'sess-7', group: 'g', name: 'n', value: deep as never }, ctx))).toBe(
      ErrorCodes.VALIDATION,
    );
    expect(callsTo('node-a')).toHaveLength(2);
    expect(assignmentReads).toBe(1);
    expect(await metric(metrics, 'foresight_gateway_reroutes_total')).toBe(0);
  }, 30_000);

  it('answers a create retried after a timeout whose first attempt committed with the session, not VERSION_CONFLICT', async () => {
    const { client } = routing({ NATS_REQUEST_TIMEOUT_MS: '1000' });
    let creates = 0;
    behaviour.set('node-a', async (op) => {
      if (op === 'session.get') return { sessionId: 'sess-8', status: 'active' };
      // The first attempt commits but answers too late; its retry finds the session already there.
      if (creates++ === 0) return new Promise((resolve) => setTimeout(() => resolve({ late: true }), 3000));
      throw new ForesightError(ErrorCodes.SESSION_VERSION_CONFLICT, 'The session exists.');
    });
    const reply = await client.call('sess-8', 'session.create', { sessionId: 'sess-8', userId: null, groups: {} }, ctx);
    expect(reply).toEqual({ sessionId: 'sess-8', status: 'active' });
    expect(seen.map((r) => r.op)).toEqual(['session.create', 'session.create', 'session.get']);
  }, 30_000);

  it('coalesces a burst: 50 callers rerouted at once cost a table read or two, not 50', async () => {
    const { client, directory, metrics } = routing({ NATS_REQUEST_TIMEOUT_MS: '20000' });
    await directory.refresh();
    expect(assignmentReads).toBe(1);
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (release = resolve));
    behaviour.set('node-a', async () => {
      if (callsTo('node-a').length === 50) release();
      await arrived;
      table.owner = 'node-b';
      table.version = 2;
      throw new ForesightError(ErrorCodes.NOT_OWNER, 'The session moved.');
    });
    const calls = Array.from({ length: 50 }, (_, i) => client.call(`burst-${i}`, 'session.get', { sessionId: `burst-${i}` }, ctx));
    await expect(Promise.all(calls)).resolves.toHaveLength(50);
    expect(callsTo('node-b')).toHaveLength(50);
    // One read answers every caller that asked before it started; callers that asked while it ran share one more.
    expect(assignmentReads - 1).toBeGreaterThanOrEqual(1);
    expect(assignmentReads - 1).toBeLessThanOrEqual(2);
    expect(await metric(metrics, 'foresight_gateway_assignment_refreshes_total')).toBe(assignmentReads);
  }, 30_000);

  it('coalesces concurrent first routes on an empty table, and a flood of change notices', async () => {
    const { directory, metrics } = routing();
    let open!: () => void;
    assignmentGate = new Promise<void>((resolve) => (open = resolve));
    const routes = Array.from({ length: 30 }, (_, i) => directory.route(`first-${i}`));
    await eventually(() => (assignmentReads === 1 ? true : undefined), 5000, 'the first read');
    open();
    const found = await Promise.all(routes);
    expect(new Set(found.map((r) => r.nodeId))).toEqual(new Set(['node-a']));
    expect(assignmentReads).toBeLessThanOrEqual(2);

    // Started, it follows the metadata service's notices: 40 of them cost a read or two.
    assignmentGate = null;
    directory.start();
    try {
      await directory.refresh(); // after the read start() began
      const before = assignmentReads;
      table.version = 40;
      for (let v = 2; v <= 40; v++) nc.publish(s.assignmentChanged, encode({ version: v }));
      await eventually(async () => ((await metric(metrics, 'foresight_gateway_assignment_notices_total')) === 39 ? true : undefined), 5000, 'the notices');
      await eventually(() => (directory.assignment?.version === 40 ? true : undefined), 5000, 'version 40');
      expect(assignmentReads - before).toBeGreaterThanOrEqual(1);
      expect(assignmentReads - before).toBeLessThanOrEqual(2);
    } finally {
      directory.stop();
    }
  }, 30_000);
});
