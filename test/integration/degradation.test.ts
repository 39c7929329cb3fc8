import { subjects, type AssignmentView, type NodeHealthReport } from '@foresight/contracts';
import { callRpc, encode } from '@foresight/messaging';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import { FakeNode, metric, startMetadata, type TestMetadata } from './metadata-harness';

/**
 * Degradation as the gateways see it, against real NATS and Postgres: health reports saying a live
 * node is slow move its shards to the others until the cooldown has passed; garbage on the subject
 * is counted and changes nothing.
 */
describe('degradation: a node the gateways see slow loses its shards for a while', () => {
  let nc: NatsConnection;
  let meta: TestMetadata;
  const namespace = uniqueName('degrade');
  const s = subjects(namespace);
  const nodes: FakeNode[] = [];
  const owners = async () =>
    new Set((await callRpc<AssignmentView>(nc, s.metadataRpc('assignment'), 'assignment', {}, { timeoutMs: 5000 })).shards.map((x) => x.nodeId));

  beforeAll(async () => {
    const url = await createTestDatabase('degrade');
    nc = await connect({ servers: testInfra().natsUrl });
    meta = await startMetadata(
      nc,
      {
        DATABASE_URL: url,
        FORESIGHT_NAMESPACE: namespace,
        SHARD_COUNT: '24',
        HEARTBEAT_MS: '200',
        REBALANCE_MS: '100',
        NODE_HEALTH_REPORT_MS: '100',
        DEGRADED_P99_MS: '300',
        DEGRADED_FOR_MS: '300',
        DRAIN_COOLDOWN_MS: '2000',
      },
      'degradation-test',
    );
    for (const id of ['a', 'b', 'c']) {
      const n = new FakeNode(nc, namespace, id);
      nodes.push(n);
      await n.start();
    }
    await eventually(async () => ((await owners()).size === 3 ? true : undefined), 10_000, 'shards on three nodes');
  }, 60_000);

  afterAll(async () => {
    nodes.forEach((n) => n.stopHeartbeats());
    await meta.stop();
    await nc.drain();
  });

  const publish = (report: unknown) => nc.publish(s.nodeHealth, encode(report));
  const reportSlow = (p99Ms: number): NodeHealthReport => ({
    gateway: 'gw-test',
    windowMs: 1000,
    nodes: [
      { nodeId: 'a', count: 200, errors: 0, p99Ms: 12 },
      { nodeId: 'b', count: 200, errors: 0, p99Ms: 15 },
      { nodeId: 'c', count: 200, errors: 0, p99Ms },
    ],
  });

  it('counts and drops anything on the subject that is not a report', async () => {
    publish({ gateway: 'gw-x', windowMs: 1000, nodes: [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900, extra: 1 }] });
    publish({ gateway: 'gw-x', windowMs: 1000, nodes: [{ nodeId: '../c', count: 100, errors: 0, p99Ms: 900 }] });
    publish('not a report');
    nc.publish(s.nodeHealth, new Uint8Array([0xc1]));
    await eventually(
      async () => ((await metric(meta.metrics, 'foresight_node_health_reports_rejected_total', {})) >= 4 ? true : undefined),
      5000,
      'four rejections',
    );
    expect((await owners()).has('c')).toBe(true);
  });

  it('keeps a fast node, and moves every shard off a slow one until the cooldown has passed', async () => {
    const fast = setInterval(() => publish(reportSlow(40)), 100);
    try {
      await eventually(async () => ((await metric(meta.metrics, 'foresight_node_health_reports_total', {})) >= 10 ? true : undefined), 5000, 'reports');
      expect(await owners()).toEqual(new Set(['a', 'b', 'c']));
    } finally {
      clearInterval(fast);
    }
    const slow = setInterval(() => publish(reportSlow(800)), 100);
    try {
      await eventually(async () => (!(await owners()).has('c') ? true : undefined), 10_000, 'c losing every shard');
      expect(await metric(meta.metrics, 'foresight_nodes_drained', {})).toBe(1);
    } finally {
      clearInterval(slow);
    }
    // No more reports (a drained node gets no traffic): back after the cooldown.
    await eventually(async () => ((await owners()).has('c') ? true : undefined), 15_000, 'c owning shards again');
    expect(await metric(meta.metrics, 'foresight_nodes_drained', {})).toBe(0);
  }, 40_000);
});
