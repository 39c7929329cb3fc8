import { loadConfig, type ForesightConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, subjects, type AssignmentView, type HeartbeatReply } from '@foresight/contracts';
import { encode, serveRpc, type RpcHandler } from '@foresight/messaging';
import { createPool } from '@foresight/persistence';
import { systemClock, type Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { ShardRuntime } from '../../apps/shard/src/shard.runtime';

export const quietLogger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;

/** A `MessageContext` for a direct call, optionally with an idempotency key. */
export const ctx = (requestId?: string) => ({
  correlationId: `corr-${Math.random().toString(36).slice(2)}`,
  causationId: requestId ?? 'test',
  ...(requestId ? { requestId } : {}),
});

/**
 * A stand-in for the metadata service on the test's namespace: real `serveRpc` subscriptions on the
 * subjects a shard node talks to (register, heartbeat, leave, assignment), answering from the
 * `shards` table the event store fences appends with. A node that registers is given every shard
 * that has no live owner (its epoch bumped, as the real service does); one that leaves gives them back.
 */
export class FakeMetadata {
  version = 1;
  readonly left: string[] = [];
  /** Shards reported as not ready (in handoff from a previous owner). */
  readonly notReady = new Set<number>();
  private readonly live = new Map<string, string>();
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly pool: Pool,
    private readonly namespace: string,
    private readonly shardCount: number,
    private readonly leaseMs = 3000,
  ) {}

  async start(): Promise<void> {
    await this.pool.query('INSERT INTO shards (shard, owner_node, epoch) SELECT g, NULL, 0 FROM generate_series(0, $1::int - 1) g ON CONFLICT DO NOTHING', [
      this.shardCount,
    ]);
    const s = subjects(this.namespace);
    const nodeOf = (subject: string) => subject.split('.').at(-2)!;
    const opts = { logger: quietLogger };
    const register: RpcHandler = async (raw, meta): Promise<HeartbeatReply> => {
      const nodeId = nodeOf(meta.subject);
      this.live.set(nodeId, (raw as { incarnation: string }).incarnation);
      await this.pool.query('UPDATE shards SET owner_node = $1, epoch = epoch + 1 WHERE owner_node IS NULL', [nodeId]);
      this.bump();
      return { leaseMs: this.leaseMs, assignmentVersion: this.version, status: 'active' };
    };
    const heartbeat: RpcHandler = async (raw, meta): Promise<HeartbeatReply> => {
      const known = this.live.get(nodeOf(meta.subject)) === (raw as { incarnation: string }).incarnation;
      return { leaseMs: this.leaseMs, assignmentVersion: this.version, status: known ? 'active' : 'unknown' };
    };
    const leave: RpcHandler = async (_raw, meta) => {
      const nodeId = nodeOf(meta.subject);
      this.live.delete(nodeId);
      this.left.push(nodeId);
      await this.pool.query('UPDATE shards SET owner_node = NULL, epoch = epoch + 1 WHERE owner_node = $1', [nodeId]);
      this.bump();
      return { ok: true };
    };
    const assignment: RpcHandler = async (): Promise<AssignmentView> => {
      const r = await this.pool.query<{ shard: number; owner_node: string | null; epoch: string }>(
        'SELECT shard, owner_node, epoch FROM shards ORDER BY shard',
      );
      return {
        shardCount: this.shardCount,
        version: this.version,
        shards: r.rows.map((row) => ({
          shard: row.shard,
          nodeId: row.owner_node,
          epoch: Number(row.epoch),
          ...(this.notReady.has(row.shard) ? { ready: false } : {}),
        })),
        nodes: [],
      };
    };
    this.subs.push(
      serveRpc(this.nc, s.membershipRpcWildcard('register'), { register }, opts),
      serveRpc(this.nc, s.membershipRpcWildcard('heartbeat'), { heartbeat }, opts),
      serveRpc(this.nc, s.membershipRpcWildcard('leave'), { leave }, opts),
      serveRpc(this.nc, s.metadataRpc('assignment'), { assignment }, opts),
    );
    await this.nc.flush();
  }

  /** Moves `shard` to another owner behind the node's back (a takeover it has not heard of yet). */
  async takeOver(shard: number, by: string): Promise<void> {
    await this.pool.query('UPDATE shards SET owner_node = $2, epoch = epoch + 1 WHERE shard = $1', [shard, by]);
  }

  /** Bumps the assignment version and tells the nodes (the notice the real service publishes). */
  bump(): void {
    this.version++;
    this.nc.publish(subjects(this.namespace).assignmentChanged, encode({ version: this.version }));
  }

  stop(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }
}

/** A shard node's runtime over the test database and namespace, with its own pool. */
export function shardNode(
  nc: NatsConnection,
  databaseUrl: string,
  namespace: string,
  env: Record<string, string> = {},
  clock: Clock = systemClock,
): { runtime: ShardRuntime; config: ForesightConfig; pool: Pool; metrics: Registry } {
  const config = loadConfig('shard', {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    FORESIGHT_NAMESPACE: namespace,
    NODE_ID: 'shard-t1',
    SHARD_COUNT: '8',
    HEARTBEAT_MS: '200',
    SESSION_SWEEP_MS: '3600000', // tests sweep when they choose
    L1_TOUCH_FLUSH_MS: '10',
    SESSION_IDLE_GRACE_MS: '10',
    CACHE_MODEL_POLL_MS: '3600000',
    CACHE_LEARNED_SAVE_MS: '0',
    ...env,
  });
  const pool = createPool(databaseUrl, 10, 'shard-test');
  const metrics = new Registry();
  return { runtime: new ShardRuntime({ config, pool, nc, logger: quietLogger, clock, metrics }), config, pool, metrics };
}

/** The code of a rejected call, or 'ok'. */
export const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof ForesightError ? e.code : String(e)),
  );

export { ErrorCodes };
