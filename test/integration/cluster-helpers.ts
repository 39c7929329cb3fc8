import { subjects, type AssignmentView } from '@foresight/contracts';
import { assignShards, shardOf } from '@foresight/hashing';
import { callRpc } from '@foresight/messaging';
import { eventually } from '@foresight/testing';
import type { NatsConnection } from 'nats';
import type { shardNode } from './shard-harness';

type ShardNode = ReturnType<typeof shardNode>;

/**
 * Helpers for tests that run a metadata service and several shard nodes in process: the current
 * assignment, waiting until it has stopped moving, a session's owner, and a call retried on the
 * current owner when the shard moved meanwhile (as the gateway retries).
 */
export function clusterHelpers(
  /** The test's connection (a getter: tests connect in `beforeAll`). */
  nc: () => NatsConnection,
  ns: string,
  shards: number,
  nodes: ReadonlyMap<string, ShardNode>,
  timing: { readonly settleMs: number; readonly ownerAttempts: number; readonly ownerRetryMs: number },
) {
  const node = (id: string) => nodes.get(id)!;
  const assignment = () => callRpc<AssignmentView>(nc(), subjects(ns).metadataRpc('assignment'), 'assignment', {}, { timeoutMs: 5000 });
  const ownerOf = (view: AssignmentView, sessionId: string): string | undefined =>
    view.shards.find((s) => s.shard === shardOf(sessionId, shards))?.nodeId ?? undefined;

  /** The assignment once exactly `ids` are live, every shard is ready where the rendezvous puts it, and each node serves what it owns. */
  const settled = (ids: readonly string[]) =>
    eventually(
      async () => {
        const view = await assignment();
        const live = view.nodes.filter((n) => n.status === 'active').map((n) => n.nodeId);
        if (live.sort().join() !== [...ids].sort().join() || view.shards.some((s) => s.ready === false)) return undefined;
        const target = assignShards(shards, live, node(ids[0]!).config.cluster.loadFactor);
        if (view.shards.some((s) => s.nodeId !== target[s.shard])) return undefined;
        for (const id of ids) {
          const owned = view.shards.filter((s) => s.nodeId === id).map((s) => s.shard);
          if (owned.sort().join() !== node(id).runtime.membership.ownedShards().sort().join()) return undefined;
        }
        return view;
      },
      timing.settleMs,
      `nodes ${ids.join(', ')} serving their shards`,
    );

  /** Runs `call` on the session's owner, again on the current owner when the shard moved meanwhile. */
  async function onOwner<T>(sessionId: string, call: (n: ShardNode) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const owner = nodes.get(ownerOf(await assignment(), sessionId) ?? '');
      try {
        if (owner === undefined) throw Object.assign(new Error('no owner yet'), { code: 'SHARD.NO_OWNER' });
        return await call(owner);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= timing.ownerAttempts || (code !== 'SHARD.NOT_OWNER' && code !== 'SERVICE.UNAVAILABLE' && code !== 'SHARD.NO_OWNER')) throw error;
        await new Promise((r) => setTimeout(r, timing.ownerRetryMs));
      }
    }
  }

  return { assignment, settled, ownerOf, onOwner };
}
