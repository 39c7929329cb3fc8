import { subjects, type AssignmentView, type SessionEvent, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { encode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { SensitiveValues } from '@foresight/persistence';
import type { SessionState } from '@foresight/session-domain';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { shadowCheck, type ReleaseMessage, type ReplicaEntry } from './replica-message';
import type { ReplicaTopology } from './replica-topology';

export interface ReplicaPublisherDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Seals the values of sensitive groups as on the streams (none: pushed as committed). */
  readonly values?: Pick<SensitiveValues, 'sealForBus'>;
}

/** A commit waiting for the end of the tick; its check is computed then, off the write path. */
interface Pending {
  readonly sessionId: string;
  readonly firstVersion: number;
  readonly events: readonly SessionEvent[];
  readonly state: SessionState;
  readonly committedAt: number;
}

/**
 * The primary's side of replication: after each commit, the session's committed events go to the
 * secondary of its shard on core NATS (`<ns>.replica.<secondary>`), batched per secondary per tick.
 * Fire-and-forget: nothing waits for it and nothing fails with it; a lost push shows up on the
 * secondary as a version gap, which it repairs from Postgres.
 */
export class ReplicaPublisher {
  private topology: ReplicaTopology | null = null;
  private readonly batches = new Map<string, Pending[]>();
  private scheduled: NodeJS.Immediate | null = null;
  private readonly subjects: Subjects;
  private readonly metrics;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly values: Pick<SensitiveValues, 'sealForBus'> | undefined;

  constructor({ nc, config, logger, metrics, values }: ReplicaPublisherDeps) {
    this.nc = nc;
    this.values = values;
    this.config = config;
    this.logger = logger;
    this.subjects = subjects(config.nats.namespace);
    this.metrics = {
      pushed: counter(metrics, 'foresight_replica_pushed_events_total', 'Committed events pushed to the secondary of their shard'),
      failed: counter(metrics, 'foresight_replica_push_failures_total', 'Pushes to a secondary that failed or were too large (the secondary repairs the gap)'),
      releases: counter(metrics, 'foresight_handoff_releases_sent_total', 'Shards this node lost whose new owner it told directly that it serves them no more'),
    };
  }

  /**
   * The current assignment's secondaries of this node's shards. With the view it came from, also
   * tells each node that gained a shard this node owned until now that it may serve it: this node
   * has applied the view (its requests for those shards are refused from now on), and its last
   * pushes go out first.
   */
  setTopology(topology: ReplicaTopology, view?: AssignmentView): void {
    const before = this.topology?.owned;
    this.topology = topology;
    if (before === undefined || view === undefined) return;
    const byOwner = new Map<string, { shard: number; epoch: number }[]>();
    for (const s of view.shards) {
      if (!before.has(s.shard) || s.nodeId === null || s.nodeId === this.config.cluster.nodeId) continue;
      const list = byOwner.get(s.nodeId) ?? [];
      list.push({ shard: s.shard, epoch: s.epoch });
      byOwner.set(s.nodeId, list);
    }
    if (byOwner.size === 0) return;
    this.flush();
    for (const [owner, released] of byOwner) {
      try {
        const message: ReleaseMessage = { from: this.config.cluster.nodeId, released };
        this.nc.publish(this.subjects.replica(owner), encode(message));
        this.metrics.releases.inc(released.length);
      } catch (error) {
        // The heartbeat releases them through the metadata service anyway, a moment later.
        this.logger.debug({ err: error, owner }, 'could not tell the new owner its shards are released');
      }
    }
  }

  /** Called after a commit: queues the events for the shard's secondary, if it has one. Never throws. */
  committed(sessionId: string, firstVersion: number, events: readonly SessionEvent[], state: SessionState, committedAt: number): void {
    if (!this.config.cluster.replication) return;
    const target = this.topology?.secondaryOf.get(state.shard);
    if (target === undefined) return;
    let batch = this.batches.get(target);
    if (batch === undefined) {
      batch = [];
      this.batches.set(target, batch);
    }
    batch.push({ sessionId, firstVersion, events, state, committedAt });
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what is queued now (also at shutdown). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    for (const [target, pending] of this.batches) {
      const entries: ReplicaEntry[] = pending.map((p) => ({
        sessionId: p.sessionId,
        firstVersion: p.firstVersion,
        // Sealed as on the streams: a push is a copy of the events on the bus, whatever the subject.
        events: this.values ? p.events.map((e) => this.values!.sealForBus(e)) : p.events,
        committedAt: p.committedAt,
        check: shadowCheck(p.state, p.events),
      }));
      this.send(this.subjects.replica(target), entries);
    }
    this.batches.clear();
  }

  /** Publishes `entries`, halving the batch until each part fits the server's max payload. */
  private send(subject: string, entries: readonly ReplicaEntry[]): void {
    try {
      const body = encode({ from: this.config.cluster.nodeId, entries });
      if (body.length > this.config.nats.maxPayloadBytes - 1024) {
        if (entries.length > 1) {
          const half = Math.ceil(entries.length / 2);
          this.send(subject, entries.slice(0, half));
          this.send(subject, entries.slice(half));
          return;
        }
        this.metrics.failed.inc();
        return;
      }
      this.nc.publish(subject, body);
      this.metrics.pushed.inc(entries.reduce((n, e) => n + e.events.length, 0));
    } catch (error) {
      this.metrics.failed.inc();
      this.logger.debug({ err: error, subject }, 'push to the secondary failed; it repairs from the store');
    }
  }
}
