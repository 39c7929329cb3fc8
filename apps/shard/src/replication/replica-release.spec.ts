import { loadConfig } from '@foresight/config';
import type { AssignmentView } from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { systemClock } from '@foresight/time';
import { Registry } from 'prom-client';
import { ReplicaFollower } from './replica-follower';
import type { ReleaseMessage } from './replica-message';
import { ReplicaPublisher } from './replica-publisher';
import { replicaTopology } from './replica-topology';

const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;
const config = loadConfig('shard', { NODE_ID: 'a', SHARD_COUNT: '4', SESSION_SWEEP_MS: '3600000' });
const view = (version: number, owners: (string | null)[], epochs: number[]): AssignmentView => ({
  shardCount: 4,
  version,
  shards: owners.map((nodeId, shard) => ({ shard, nodeId, epoch: epochs[shard]! })),
  nodes: [...new Set(owners.filter((o): o is string => o !== null))].map((nodeId) => ({ nodeId, status: 'active', rpcSubject: `x.${nodeId}` })),
});

describe('cooperative handoff on the replica subjects', () => {
  it('tells each new owner, once the old owner applied the move, which shards it released and at which epoch', () => {
    const sent: { subject: string; body: ReleaseMessage }[] = [];
    const nc = { publish: (subject: string, body: Uint8Array) => sent.push({ subject, body: decode<ReleaseMessage>(body) }) };
    const publisher = new ReplicaPublisher({ nc: nc as never, config, logger: quiet, metrics: new Registry() });
    const first = view(1, ['a', 'a', 'a', 'b'], [1, 1, 1, 1]);
    publisher.setTopology(replicaTopology(first, 'a', 1.25), first);
    expect(sent).toEqual([]); // nothing owned before: nothing to release
    const second = view(2, ['a', 'b', 'c', 'b'], [1, 2, 2, 1]);
    publisher.setTopology(replicaTopology(second, 'a', 1.25), second);
    expect(sent.map((m) => m.subject.split('.').at(-1)).sort()).toEqual(['b', 'c']);
    expect(sent.find((m) => m.subject.endsWith('.b'))!.body).toEqual({ from: 'a', released: [{ shard: 1, epoch: 2 }] });
    expect(sent.find((m) => m.subject.endsWith('.c'))!.body).toEqual({ from: 'a', released: [{ shard: 2, epoch: 2 }] });
  });

  it('hands a release to the membership, drops shards out of range, and never treats it as a push', async () => {
    const calls: unknown[] = [];
    const metrics = new Registry();
    const follower = new ReplicaFollower({
      nc: {} as never,
      config,
      store: { load: async () => ({ snapshot: null, events: [] }) } as never,
      released: (from, shards) => calls.push({ from, shards }),
      logger: quiet,
      clock: systemClock,
      metrics,
    });
    follower.receive(
      encode({
        from: 'b',
        released: [
          { shard: 1, epoch: 3 },
          { shard: 99, epoch: 1 },
        ],
      }),
    );
    follower.receive(encode({ from: 'b', released: [{ shard: 99, epoch: 1 }] }));
    follower.receive(encode({ from: 'b', released: [{ shard: -1, epoch: 'x' }] }));
    expect(calls).toEqual([{ from: 'b', shards: [{ shard: 1, epoch: 3 }] }]);
    const rejected = (await metrics.getSingleMetric('foresight_replica_rejected_total')!.get()).values;
    expect(rejected.find((v) => v.labels.reason === 'schema')?.value).toBe(1);
  });
});
