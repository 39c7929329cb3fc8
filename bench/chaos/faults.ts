import { Client } from 'pg';
import type { FaultName } from './cli';
import { SLOW_NODE_DELAY_MS, type ChaosCluster } from './cluster';
import { now } from './workload';

export interface FaultContext {
  readonly cluster: ChaosCluster;
  /** Every register of the workload. */
  readonly allKeys: ReadonlySet<string>;
  /** Register → the shard node that owns its session now. */
  owners(): Promise<Map<string, string>>;
  /** How long a shard node stays frozen, Postgres stays down. */
  readonly outageMs: number;
  /** Delay the slow node adds to every request it serves. */
  readonly delayMs: number;
}

export interface Injected {
  /** What the fault hit (a service name, "nats-server", "postgres", "cluster"). */
  readonly target: string;
  /** When the disruption began, on the workload's clock. */
  readonly faultAtMs: number;
  /** The registers whose sessions the fault disturbs (recovery is measured over them). */
  readonly affected: ReadonlySet<string>;
  /**
   * From the fault to the first of the target's shards committed to another owner in Postgres (the
   * metadata leader's decision), for the shard-node faults; null: not within the outage.
   */
  readonly movedMs?: number | null;
}

/** A fault: inject it under load, then heal (bring the cluster back to its full size and health). */
export interface Fault {
  /** One sentence for the README and the JSON. */
  readonly does: string;
  inject(ctx: FaultContext): Promise<Injected>;
  heal(ctx: FaultContext, injected: Injected): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shard node owning the most registers' sessions, and those registers. */
async function busiestShard(ctx: FaultContext): Promise<{ node: string; keys: Set<string> }> {
  const byNode = new Map<string, Set<string>>();
  for (const [key, node] of await ctx.owners()) {
    const set = byNode.get(node) ?? new Set<string>();
    set.add(key);
    byNode.set(node, set);
  }
  const [node, keys] = [...byNode.entries()].sort((a, b) => b[1].size - a[1].size)[0] ?? [];
  if (!node || !keys) throw new Error('no shard node owns a session of the workload');
  return { node, keys };
}

/**
 * Connects to Postgres and counts `node`'s shards now; `from(faultAtMs)` then polls (every 20 ms,
 * for at most `forMs`) until the node owns fewer, and resolves to the time since `faultAtMs` on the
 * workload's clock, or null.
 */
async function watchMove(ctx: FaultContext, node: string, forMs: number): Promise<{ from(faultAtMs: number): Promise<number | null> }> {
  const db = new Client({ connectionString: ctx.cluster.stack.databaseUrl });
  await db.connect();
  const owned = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM shards WHERE owner_node = $1', [node])).rows[0]!.n);
  const before = await owned();
  return {
    async from(faultAtMs) {
      try {
        const until = Date.now() + forMs;
        while (Date.now() < until) {
          if ((await owned()) < before) return Math.round(now() - faultAtMs);
          await sleep(20);
        }
        return null;
      } finally {
        await db.end();
      }
    },
  };
}

/** Waits until every live shard node owns shards and no shard is ownerless, replacing nodes that never rejoin. */
async function fullShardSet(ctx: FaultContext, size: number): Promise<void> {
  const { cluster } = ctx;
  while (cluster.live('shard').length < size) await cluster.stack.startService('shard', cluster.freshName('shard'));
  const names = cluster.live('shard').map((s) => s.name);
  try {
    await cluster.stack.waitForAssignment(names, { exact: true, timeoutMs: 30_000 });
  } catch {
    // A node still without shards (e.g. it lost its lease while frozen and never came back) is replaced.
    const owning = await cluster.shardOwners();
    for (const n of names.filter((name) => !owning.has(name))) await cluster.stack.kill(n, 'SIGKILL');
    while (cluster.live('shard').length < size) await cluster.stack.startService('shard', cluster.freshName('shard'));
    await cluster.stack.waitForAssignment(
      cluster.live('shard').map((s) => s.name),
      { exact: true, timeoutMs: 60_000 },
    );
  }
}

export const FAULT_TABLE: Readonly<Record<FaultName, Fault>> = {
  'shard-kill': {
    does: 'SIGKILL of the shard node owning the most sessions; a fresh node joins afterwards',
    async inject(ctx) {
      const { node, keys } = await busiestShard(ctx);
      const watch = await watchMove(ctx, node, ctx.outageMs);
      const faultAtMs = now();
      const moved = watch.from(faultAtMs);
      await ctx.cluster.stack.kill(node, 'SIGKILL');
      return { target: node, faultAtMs, affected: keys, movedMs: await moved };
    },
    async heal(ctx) {
      const survivors = ctx.cluster.live('shard').map((s) => s.name);
      await ctx.cluster.stack.waitForAssignment(survivors, { exact: true, timeoutMs: 60_000 });
      await fullShardSet(ctx, survivors.length + 1);
    },
  },
  'shard-freeze': {
    does: 'SIGSTOP of the shard node owning the most sessions for the outage (10 s), then SIGCONT',
    async inject(ctx) {
      const { node, keys } = await busiestShard(ctx);
      const service = ctx.cluster.stack.services.get(node)!;
      const watch = await watchMove(ctx, node, ctx.outageMs);
      const faultAtMs = now();
      const moved = watch.from(faultAtMs);
      service.child.kill('SIGSTOP');
      await sleep(ctx.outageMs);
      service.child.kill('SIGCONT');
      return { target: node, faultAtMs, affected: keys, movedMs: await moved };
    },
    async heal(ctx) {
      await fullShardSet(ctx, ctx.cluster.live('shard').length);
    },
  },
  'metadata-leader-kill': {
    does: 'SIGKILL of the metadata instance holding the rebalancing lock; a fresh instance joins afterwards',
    async inject(ctx) {
      const leader = await ctx.cluster.metadataLeader();
      if (!leader) throw new Error('no metadata instance reports itself as the leader');
      const faultAtMs = now();
      await ctx.cluster.stack.kill(leader.name, 'SIGKILL');
      return { target: leader.name, faultAtMs, affected: ctx.allKeys };
    },
    async heal(ctx) {
      await ctx.cluster.stack.startService('metadata', ctx.cluster.freshName('metadata'));
      const deadline = Date.now() + 30_000;
      while (!(await ctx.cluster.metadataLeader())) {
        if (Date.now() > deadline) throw new Error('no metadata instance became the leader within 30 s');
        await sleep(200);
      }
    },
  },
  'gateway-kill': {
    does: 'SIGKILL of one of the two gateways (the clients know both); it restarts on the same port afterwards',
    async inject(ctx) {
      const victim = ctx.cluster.live('gateway')[0];
      const faultAtMs = now();
      await ctx.cluster.stack.kill(victim.name, 'SIGKILL');
      return { target: `${victim.name}@${new URL(victim.httpUrl).port}`, faultAtMs, affected: ctx.allKeys };
    },
    async heal(ctx, injected) {
      const [name, port] = injected.target.split('@');
      await ctx.cluster.stack.startService('gateway', name, { HTTP_PORT: port });
    },
  },
  'nats-restart': {
    does: 'nats-server stopped (SIGTERM) and started again at once on the same port and JetStream store',
    async inject(ctx) {
      const faultAtMs = now();
      await ctx.cluster.stack.restartNats();
      return { target: 'nats-server', faultAtMs, affected: ctx.allKeys };
    },
    async heal() {},
  },
  'postgres-restart': {
    does: 'Postgres fast shutdown and immediate restart on the same port and data',
    async inject(ctx) {
      const faultAtMs = now();
      await ctx.cluster.stack.restartPostgres();
      return { target: 'postgres', faultAtMs, affected: ctx.allKeys };
    },
    async heal() {},
  },
  'postgres-down': {
    does: 'Postgres fast shutdown, down for the outage (10 s), then restarted: writes must fail cleanly, none acknowledged lost',
    async inject(ctx) {
      const faultAtMs = now();
      await ctx.cluster.stack.restartPostgres({ downMs: ctx.outageMs });
      return { target: 'postgres', faultAtMs, affected: ctx.allKeys };
    },
    async heal() {},
  },
  'shard-latency': {
    does: 'a slow shard node (every request it serves delayed by the chaos delay) joins and takes its share of shards, then leaves',
    async inject(ctx) {
      const name = `slow-${ctx.cluster.freshName('shard')}`;
      const faultAtMs = now();
      await ctx.cluster.stack.startService('shard', name, { FORESIGHT_CHAOS_DELAY_MS: String(ctx.delayMs), FORESIGHT_CHAOS_DELAY_ON_SIGNAL: 'false' });
      const names = ctx.cluster.live('shard').map((s) => s.name);
      await ctx.cluster.stack.waitForAssignment(names, { timeoutMs: 60_000 });
      const keys = new Set([...(await ctx.owners())].filter(([, node]) => node === name).map(([key]) => key));
      return { target: name, faultAtMs, affected: keys };
    },
    async heal(ctx, injected) {
      await ctx.cluster.stack.kill(injected.target, 'SIGTERM');
      const names = ctx.cluster.live('shard').map((s) => s.name);
      await ctx.cluster.stack.waitForAssignment(names, { exact: true, timeoutMs: 60_000 });
    },
  },
  'shard-slow': {
    does: `the shard node owning the most sessions turns slow (every request it serves waits ${SLOW_NODE_DELAY_MS} ms) for the outage (10 s), then fast again`,
    async inject(ctx) {
      const { node, keys } = await busiestShard(ctx);
      const service = ctx.cluster.stack.services.get(node)!;
      const watch = await watchMove(ctx, node, ctx.outageMs);
      const faultAtMs = now();
      const moved = watch.from(faultAtMs);
      // The chaos delay hook: armed on every node of the chaos cluster, toggled by SIGUSR2.
      service.child.kill('SIGUSR2');
      await sleep(ctx.outageMs);
      service.child.kill('SIGUSR2');
      return { target: node, faultAtMs, affected: keys, movedMs: await moved };
    },
    async heal(ctx) {
      // Kept out for the drain cooldown after it was last seen slow; then it takes shards again.
      await fullShardSet(ctx, ctx.cluster.live('shard').length);
    },
  },
  'cluster-restart': {
    does: 'every service stopped (gateways, shard nodes, metadata), nats-server and Postgres restarted, then all started again',
    async inject(ctx) {
      const { stack } = ctx.cluster;
      const order = ['gateway', 'shard', 'metadata'] as const;
      const before = order.map((app) => ctx.cluster.live(app).map((s) => ({ name: s.name, port: new URL(s.httpUrl).port })));
      const faultAtMs = now();
      for (const group of before) await Promise.all(group.map((s) => stack.kill(s.name, 'SIGTERM')));
      await stack.restartNats();
      await stack.restartPostgres();
      const [gateways, shards, metadata] = before;
      for (const m of metadata) await stack.startService('metadata', m.name);
      await Promise.all(shards.map((s) => stack.startService('shard', s.name)));
      await stack.waitForAssignment(
        shards.map((s) => s.name),
        { exact: true, timeoutMs: 60_000 },
      );
      await Promise.all(gateways.map((g) => stack.startService('gateway', g.name, { HTTP_PORT: g.port })));
      return { target: 'cluster', faultAtMs, affected: ctx.allKeys };
    },
    async heal() {},
  },
};
