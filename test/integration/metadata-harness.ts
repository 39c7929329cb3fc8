import { loadConfig, type ForesightConfig } from '@foresight/config';
import { subjects, type HeartbeatReply } from '@foresight/contracts';
import { callRpc, encode } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool } from '@foresight/persistence';
import { CONFIG, serveRpcControllers } from '@foresight/platform';
import { systemClock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { metadataRuntimeParts } from '../../apps/metadata/src/app.module';
import { MetadataRpcController } from '../../apps/metadata/src/metadata.rpc';
import { MetadataRuntime } from '../../apps/metadata/src/metadata.runtime';
import { quietLogger } from './shard-harness';

/** A metadata service started for a test; `stop()` stops it and closes its pool. */
export interface TestMetadata {
  readonly runtime: MetadataRuntime;
  readonly config: ForesightConfig;
  readonly pool: Pool;
  readonly metrics: Registry;
  stop(): Promise<void>;
}

/**
 * The metadata service as its composition root builds it, without the HTTP app: its request/reply
 * API served through the Nest transport, over real NATS and Postgres. `env` names at least
 * DATABASE_URL and FORESIGHT_NAMESPACE.
 */
export async function startMetadata(nc: NatsConnection, env: Record<string, string>, poolName: string): Promise<TestMetadata> {
  const config = loadConfig('metadata', env);
  const pool = createPool(config.database.url, 4, poolName);
  const metrics = createMetricsRegistry('metadata');
  const runtime = new MetadataRuntime({ config, pool, nc, logger: quietLogger, clock: systemClock, metrics });
  const host = await serveRpcControllers(
    runtime.rpc,
    [MetadataRpcController],
    [{ provide: MetadataRuntime, useValue: runtime }, ...metadataRuntimeParts, { provide: CONFIG, useValue: config }],
  );
  await runtime.start();
  return {
    runtime,
    config,
    pool,
    metrics,
    async stop() {
      await runtime.stop();
      await host.close();
      await pool.end();
    },
  };
}

/**
 * A shard node reduced to what the failure detector sees: heartbeats, and answers to `node.ping` on
 * the node's subject. Each can be stopped on its own to play a crash, a freeze or a partial failure.
 * It heartbeats twice as often as HEARTBEAT_MS says, so a loaded machine does not make it miss one.
 */
export class FakeNode {
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  answering = true;
  lastReply: HeartbeatReply | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    readonly nodeId: string,
    readonly incarnation = `${nodeId}-${Math.random().toString(36).slice(2)}`,
  ) {}

  async start(): Promise<void> {
    const s = subjects(this.namespace);
    this.sub = this.nc.subscribe(s.shardRpc(this.nodeId), {
      callback: (_e, msg) => {
        if (this.answering) msg.respond(encode({ ok: true, result: { nodeId: this.nodeId, incarnation: this.incarnation } }));
      },
    });
    await this.nc.flush();
    this.lastReply = await this.membership('register');
    const beat = () => {
      this.timer = setTimeout(() => {
        void this.membership('heartbeat')
          .then((r) => (this.lastReply = r))
          .catch(() => undefined)
          .finally(() => this.timer && beat());
      }, 100);
    };
    beat();
  }

  stopHeartbeats(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  unsubscribe(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  private membership(op: 'register' | 'heartbeat'): Promise<HeartbeatReply> {
    return callRpc<HeartbeatReply>(
      this.nc,
      subjects(this.namespace).membershipRpc(this.nodeId, op),
      op,
      { incarnation: this.incarnation },
      { timeoutMs: 5000 },
    );
  }
}

/** The sum of a metric's values whose labels include `labels`. */
export async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m as { values?: { value: number; labels: Record<string, string> }[] } | undefined)?.values ?? [];
  return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0);
}
