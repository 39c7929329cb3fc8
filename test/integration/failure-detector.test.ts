import { subjects, type AssignmentView, type HeartbeatReply } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import { FakeNode, metric, startMetadata, type TestMetadata } from './metadata-harness';

const LEASE_MS = 15_000;

/**
 * The metadata leader's failure detector against real NATS and Postgres: a crashed node (gone from
 * NATS) and a frozen one (silent) lose their shards long before their lease would run out; a node
 * that still heartbeats keeps them, whatever its probes say.
 */
describe('failure detector: dead nodes lose their shards before their lease ends, live ones never', () => {
  let nc: NatsConnection;
  let meta: TestMetadata;
  const namespace = uniqueName('faildet');
  const s = subjects(namespace);
  const nodes: FakeNode[] = [];

  const assignment = () => callRpc<AssignmentView>(nc, s.metadataRpc('assignment'), 'assignment', {}, { timeoutMs: 5000 });
  const owners = async () => new Set((await assignment()).shards.map((x) => x.nodeId));
  const statusOf = async (nodeId: string) => (await assignment()).nodes.find((n) => n.nodeId === nodeId)?.status;
  const node = async (nodeId: string) => {
    const n = new FakeNode(nc, namespace, nodeId);
    nodes.push(n);
    await n.start();
    return n;
  };

  beforeAll(async () => {
    const url = await createTestDatabase('faildet');
    nc = await connect({ servers: testInfra().natsUrl });
    meta = await startMetadata(
      nc,
      {
        DATABASE_URL: url,
        FORESIGHT_NAMESPACE: namespace,
        SHARD_COUNT: '16',
        LEASE_MS: String(LEASE_MS),
        HEARTBEAT_MS: '200',
        SUSPECT_AFTER_MS: '1000',
        FAILURE_PROBE_MS: '50',
        REBALANCE_MS: '100',
      },
      'failure-detector-test',
    );
  }, 60_000);

  afterAll(async () => {
    nodes.forEach((n) => n.stopHeartbeats());
    await meta.stop();
    await nc.drain();
  });

  it('tells nodes the window they may serve in, and leaves healthy nodes alone', async () => {
    const a = await node('a');
    await node('b');
    expect(a.lastReply).toMatchObject({ leaseMs: LEASE_MS, suspectAfterMs: 1000, status: 'active' });
    await eventually(async () => ((await owners()).size === 2 ? true : undefined), 10_000, 'shards on both nodes');
    await eventually(
      async () => ((await metric(meta.metrics, 'foresight_node_probes_total', { outcome: 'answered' })) >= 60 ? true : undefined),
      10_000,
      'probes',
    );
    expect(await metric(meta.metrics, 'foresight_nodes_declared_dead_total', {})).toBe(0);
    expect([await statusOf('a'), await statusOf('b')]).toEqual(['active', 'active']);
  }, 30_000);

  it('keeps a node that heartbeats but answers no probe, and one that is not subscribed at all', async () => {
    const mute = await node('mute');
    mute.answering = false;
    const deaf = await node('deaf');
    deaf.unsubscribe();
    const silentBefore = await metric(meta.metrics, 'foresight_node_probes_total', { outcome: 'silent' });
    await eventually(
      async () => ((await metric(meta.metrics, 'foresight_node_probes_total', { outcome: 'silent' })) >= silentBefore + 8 ? true : undefined),
      15_000,
      'two suspicion windows of unanswered probes',
    );
    expect(await metric(meta.metrics, 'foresight_node_probes_total', { outcome: 'no_responders' })).toBeGreaterThan(4);
    expect(await metric(meta.metrics, 'foresight_nodes_declared_dead_total', {})).toBe(0);
    expect([await statusOf('mute'), await statusOf('deaf')]).toEqual(['active', 'active']);
    for (const n of [mute, deaf]) {
      n.stopHeartbeats();
      n.unsubscribe();
    }
    await eventually(async () => ((await statusOf('mute')) === 'dead' && (await statusOf('deaf')) === 'dead' ? true : undefined), 10_000, 'both declared dead');
  }, 40_000);

  it('moves the shards of a node gone from NATS within a fraction of its lease', async () => {
    const a = nodes.find((n) => n.nodeId === 'a')!;
    await eventually(async () => ((await owners()).has('a') ? true : undefined), 10_000, 'a owning shards');
    const before = await metric(meta.metrics, 'foresight_nodes_declared_dead_total', { signal: 'no_responders' });
    const crashedAt = Date.now();
    a.stopHeartbeats();
    a.unsubscribe();
    await eventually(async () => (!(await owners()).has('a') ? true : undefined), LEASE_MS / 3, 'a losing every shard');
    expect(Date.now() - crashedAt).toBeLessThan(LEASE_MS);
    expect(await statusOf('a')).toBe('dead');
    expect(await metric(meta.metrics, 'foresight_nodes_declared_dead_total', { signal: 'no_responders' })).toBe(before + 1);
  }, 30_000);

  it('moves the shards of a frozen node (subscribed, silent, no heartbeat) after the suspicion window', async () => {
    const frozen = await node('frozen');
    await eventually(async () => ((await owners()).has('frozen') ? true : undefined), 10_000, 'frozen owning shards');
    const before = await metric(meta.metrics, 'foresight_nodes_declared_dead_total', { signal: 'silent' });
    frozen.stopHeartbeats();
    frozen.answering = false;
    await eventually(async () => (!(await owners()).has('frozen') ? true : undefined), LEASE_MS / 3, 'frozen losing every shard');
    expect(await statusOf('frozen')).toBe('dead');
    expect(await metric(meta.metrics, 'foresight_nodes_declared_dead_total', { signal: 'silent' })).toBe(before + 1);
    frozen.unsubscribe();
  }, 30_000);

  it('answers a revived node "unknown", so it drops its shards and registers again', async () => {
    const frozen = nodes.find((n) => n.nodeId === 'frozen')!;
    const reply = await callRpc<HeartbeatReply>(
      nc,
      s.membershipRpc('frozen', 'heartbeat'),
      'heartbeat',
      { incarnation: frozen.incarnation },
      { timeoutMs: 5000 },
    );
    expect(reply.status).toBe('unknown');
  });
});
