import { streamDeclarations, subjects, type SessionEvent, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { publishEvent, StreamPublisher, useStream } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { EventStore, OutboxBatch, SensitiveValues } from '@foresight/persistence';
import { sleep } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { MembershipService } from '../membership/membership.service';

/** A committed event as published: the envelope plus its place in the session stream and the log. */
export type PublishedSessionEvent = SessionEvent & { readonly streamVersion: number; readonly position: number };

export interface EventPublisherDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly store: EventStore;
  /** Seals the values of sensitive groups before they reach the stream (JetStream keeps them on disk). */
  readonly values: SensitiveValues;
  /** Whose outbox rows to sweep: the shards this node owns. */
  readonly membership: Pick<MembershipService, 'ownedShards'>;
}

/**
 * Publishes committed events to JetStream right after commit, and sweeps the outbox for any
 * that did not make it (crash, NATS outage, a shard taken over from a dead node). The stream's
 * duplicate window drops re-publications, since the message id is the event id.
 */
export class EventPublisherService {
  private readonly subjects: Subjects;
  /** Batches whose every event is on the stream: their outbox rows go in the next clean-up. */
  private readonly done: { sessionId: string; batch: number }[] = [];
  /** Batches with events still being published right after commit, by partition and batch. */
  private readonly batches = new Map<string, { remaining: number; failed: boolean; sessionId: string; since: number }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private stopped = false;
  private readonly published;
  private readonly failed;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly store: EventStore;
  private readonly membership: Pick<MembershipService, 'ownedShards'>;
  private readonly values: SensitiveValues;
  /** One reply subscription for every publication (null: one JetStream request each, as nats.js does). */
  private readonly publisher: StreamPublisher | null;

  constructor({ nc, config, logger, metrics, store, values, membership }: EventPublisherDeps) {
    this.values = values;
    this.nc = nc;
    this.config = config;
    this.logger = logger;
    this.store = store;
    this.membership = membership;
    this.subjects = subjects(config.nats.namespace);
    this.published = counter(metrics, 'foresight_events_published_total', 'Session events published to JetStream', ['path']);
    this.failed = counter(metrics, 'foresight_event_publish_failures_total', 'Publish attempts that failed (left in the outbox)');
    this.publisher = config.nats.jetStreamPublish === 'pipelined' ? new StreamPublisher(nc) : null;
  }

  async start(): Promise<void> {
    // Declared by the metadata service; created here only on a bare nats-server without permissions.
    await useStream(this.nc, streamDeclarations(this.config.nats.namespace).sessions, this.config.nats.jetStreamReplicas, { logger: this.logger });
    this.scheduleSweep();
  }

  /**
   * Called after commit with the events, their positions and their outbox batch; never throws. The
   * batch's outbox row is removed once every event of the batch (all its appends) is on the stream;
   * if any failed, the row stays for the sweep.
   */
  publishCommitted(events: readonly SessionEvent[], positions: readonly number[], firstVersion: number, outbox?: OutboxBatch): void {
    const sends = events.map((event, i) => this.send({ ...event, streamVersion: firstVersion + i, position: positions[i] }, 'direct'));
    this.inFlight++;
    void Promise.all(sends)
      .then((ok) => {
        if (outbox && events.length > 0) this.settleBatch(outbox, events[0].sessionId, events.length, ok.every(Boolean));
      })
      .finally(() => this.inFlight--);
  }

  /** Counts `n` events of `outbox`'s batch as published (or not); when none is left, its row can go. */
  private settleBatch(outbox: OutboxBatch, sessionId: string, n: number, ok: boolean): void {
    const key = `${outbox.partition}/${outbox.batch}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { remaining: outbox.events, failed: false, sessionId, since: Date.now() };
      this.batches.set(key, b);
    }
    b.remaining -= n;
    if (!ok) b.failed = true;
    if (b.remaining > 0) return;
    this.batches.delete(key);
    if (b.failed) return;
    this.done.push({ sessionId: b.sessionId, batch: outbox.batch });
    this.flushTimer ??= setTimeout(() => void this.flushDone(), 50);
  }

  /** Batches some of whose appends were never handed over for publication (their rows wait for the sweep): forgotten after a while. */
  private forgetStale(): void {
    const before = Date.now() - 10_000;
    for (const [key, b] of this.batches) if (b.since < before) this.batches.delete(key);
  }

  /** Waits for in-flight publications and the pending outbox deletions (graceful shutdown). */
  async flush(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    while (this.inFlight > 0) await sleep(10);
    this.publisher?.close();
    await this.flushDone();
  }

  private async send(event: PublishedSessionEvent, path: 'direct' | 'sweep'): Promise<boolean> {
    try {
      // Sealing keeps the envelope's other fields (stream version, position) as they are.
      const subject = this.subjects.sessionEvent(event.type);
      const sealed = this.values.sealForBus(event);
      if (this.publisher) await this.publisher.publish(subject, sealed);
      else await publishEvent(this.nc.jetstream(), subject, sealed);
      this.published.inc({ path });
      return true;
    } catch (error) {
      this.failed.inc();
      this.logger.warn({ err: error, eventId: event.id }, 'publish failed; the outbox sweeper will retry');
      return false;
    }
  }

  private async flushDone(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const published = this.done.splice(0);
    try {
      await this.store.markPublished(published);
    } catch (error) {
      // Harmless: the sweeper republishes and JetStream drops the duplicates.
      this.logger.warn({ err: error }, 'could not clear published outbox rows');
    }
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      this.forgetStale();
      void this.sweep().finally(() => this.scheduleSweep());
    }, 1000);
  }

  /** Publishes outbox leftovers of the shards this node owns, oldest first. */
  private async sweep(): Promise<void> {
    try {
      const rows = await this.store.unpublished(this.membership.ownedShards(), 2000, 500);
      const sent: { sessionId: string; batch: number; position: number }[] = [];
      for (const row of rows) {
        if (!(await this.send({ ...row.event, streamVersion: row.streamVersion, position: row.position }, 'sweep'))) break;
        if (row.batch !== undefined) sent.push({ sessionId: row.event.sessionId, batch: row.batch, position: row.position });
      }
      await this.store.markSwept(sent);
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox sweep failed');
    }
  }
}
