import { loadConfig } from '@foresight/config';
import { subjects, type SessionEvent } from '@foresight/contracts';
import { ensureStream, publishEvent } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool, EventStore } from '@foresight/persistence';
import { serveRpcControllers } from '@foresight/platform';
import { decide, evolve, generateSessionId, type SessionPolicy, type SessionState } from '@foresight/session-domain';
import { systemClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { predictionRuntimeParts } from '../../apps/prediction/src/app.module';
import { PredictionRuntime } from '../../apps/prediction/src/prediction.runtime';
import { PredictionRpcController } from '../../apps/prediction/src/serving/prediction.rpc';

const NODE = 'writer-node';
const policy: SessionPolicy = {
  groups: ['app'],
  maxVariableBytes: 1024,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 3_600_000,
  absoluteTimeoutMs: 86_400_000,
  idleGraceMs: 0,
};

/**
 * Writes sessions and actions the way a shard node does: decided by the session domain, appended
 * to the real event store (events + session index), then published on the session stream with
 * their stream version and position. `publish: false` leaves an event committed but unpublished
 * (as after a crash before publication, or an outbox sweep that has not run yet).
 */
export class ActionWriter {
  private readonly store: EventStore;
  private readonly states = new Map<string, SessionState>();
  private readonly unpublished: (SessionEvent & { streamVersion: number; position: number })[] = [];

  constructor(
    readonly pool: Pool,
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly idSecret: string,
    /** Only session ids it accepts are used (e.g. those of one event store partition's shards). */
    private readonly acceptId: (sessionId: string) => boolean = () => true,
  ) {
    this.store = new EventStore(pool, NODE);
  }

  async init(): Promise<void> {
    await this.pool.query(`INSERT INTO shards (shard, owner_node, epoch) VALUES (0, $1, 1) ON CONFLICT (shard) DO UPDATE SET owner_node = $1, epoch = 1`, [
      NODE,
    ]);
    const s = subjects(this.namespace);
    await ensureStream(this.nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 });
  }

  async createSession(userId: string | null = null, publish = true): Promise<string> {
    let sessionId = generateSessionId(this.idSecret);
    while (!this.acceptId(sessionId)) sessionId = generateSessionId(this.idSecret);
    await this.apply(sessionId, { kind: 'create', sessionId, shard: 0, userId, groups: {} }, publish);
    return sessionId;
  }

  async record(sessionId: string, action: string, publish = true): Promise<number> {
    return this.apply(sessionId, { kind: 'record_action', action }, publish);
  }

  /** Creates a session and records its actions; returns its id. */
  async session(actions: readonly string[], options: { userId?: string | null; publish?: boolean } = {}): Promise<string> {
    const id = await this.createSession(options.userId ?? null, options.publish ?? true);
    for (const a of actions) await this.record(id, a, options.publish ?? true);
    return id;
  }

  /** Publishes the events held back so far (late publication, as by the outbox sweeper). */
  async publishHeldBack(): Promise<number> {
    const js = this.nc.jetstream();
    const s = subjects(this.namespace);
    const events = this.unpublished.splice(0);
    for (const e of events) await publishEvent(js, s.sessionEvent(e.type), e);
    return events.length;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async apply(sessionId: string, command: Parameters<typeof decide>[0], publish: boolean): Promise<number> {
    const state = this.states.get(sessionId);
    const events = decide(command, state, policy, { now: Date.now(), correlationId: randomUUID(), causationId: randomUUID(), newEventId: randomUUID });
    const r = await this.store.append({ sessionId, shard: 0, epoch: 1, expectedVersion: state?.version ?? 0, events });
    let next = state;
    events.forEach((e) => (next = evolve(next, e)));
    this.states.set(sessionId, next!);
    const published = events.map((e, i) => ({ ...e, streamVersion: r.newVersion - events.length + 1 + i, position: r.positions[i]! }));
    if (publish) {
      const js = this.nc.jetstream();
      const s = subjects(this.namespace);
      for (const e of published) await publishEvent(js, s.sessionEvent(e.type), e);
    } else {
      this.unpublished.push(...published);
    }
    return r.positions[r.positions.length - 1]!;
  }
}

/** Log lines a runtime wrote, for assertions on what it said. */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

/** The prediction service's configuration for a test database and namespace. */
export function predictionConfig(databaseUrl: string, namespace: string, env: Record<string, string> = {}) {
  return loadConfig('prediction', { DATABASE_URL: databaseUrl, FORESIGHT_NAMESPACE: namespace, NODE_ID: 'prediction-test', ...env });
}

/**
 * A prediction runtime (the service without its HTTP app) over a test database and namespace,
 * logging into memory; its RPC controller is served on the runtime's transport once `start()` opens it.
 */
export async function predictionRuntime(databaseUrl: string, nc: NatsConnection, namespace: string, env: Record<string, string> = {}) {
  const config = predictionConfig(databaseUrl, namespace, env);
  const pool = createPool(databaseUrl, 6, 'prediction-test');
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj: obj as Record<string, unknown> });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const runtime = new PredictionRuntime({ config, pool, nc, logger, clock: systemClock, metrics: createMetricsRegistry('prediction') });
  const rpc = await serveRpcControllers(runtime.rpc, [PredictionRpcController], [{ provide: PredictionRuntime, useValue: runtime }, ...predictionRuntimeParts]);
  return {
    runtime,
    config,
    lines,
    async stop() {
      await runtime.stop();
      await rpc.close();
      await pool.end();
    },
  };
}
