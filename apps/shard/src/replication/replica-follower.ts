import { subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { tryDecode } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import type { EventStore, SensitiveValues } from '@foresight/persistence';
import { isIssuedSessionId, replay, restoreState, type SessionState } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import { applyEntry } from './replica-copies';
import { isReleaseMessage, isReplicaMessage, type ReleaseMessage, type ReplicaEntry } from './replica-message';
import type { ReplicaHeadsRepository, StoredHead } from './replica-heads.repository';
import type { ReplicaTopology } from './replica-topology';

export interface ReplicaFollowerDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  /** Where a copy that diverged, or was never seen, is rebuilt from: Postgres is the judge. */
  readonly store: Pick<EventStore, 'load'>;
  /** Where a previous owner's release of shards handed to this node goes (the membership). */
  readonly released?: (from: string, shards: ReleaseMessage['released']) => void;
  /** Opens the values the primary sealed (none: pushes carry no sealed value). */
  readonly values?: Pick<SensitiveValues, 'openEventFromBus'>;
  /** Heads of many sessions in one statement (none: each promoted copy is checked on first access). */
  readonly heads?: Pick<ReplicaHeadsRepository, 'heads'>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
}

/** A copy handed to its new owner, with the store's head for it when that was read in advance. */
export interface TakenCopy {
  readonly state: SessionState;
  /** Resolves to the head read when the shard was gained (undefined: not read; ask the store). */
  readonly stored?: Promise<StoredHead | undefined>;
}

/** Reloads from the store at once; past this, a copy is dropped and rebuilt when its session next changes. */
const MAX_CONCURRENT_RELOADS = 16;

/**
 * The secondary's side of replication: a warm in-memory copy (state and version) of every live
 * session of the shards this node is the secondary of, kept by the events their primaries push.
 * Each entry is validated before it is applied (version continuity, the domain's `evolve`, the
 * primary's check); a gap or a divergence is counted and that session reloaded from Postgres.
 * When this node takes such a shard over, the sessions feature takes each copy on first access.
 */
export class ReplicaFollower {
  private readonly copies = new Map<string, SessionState>();
  /** Sessions being rebuilt from the store, with the entries that arrived meanwhile. */
  private readonly loading = new Map<string, { entry: ReplicaEntry; from: string }[]>();
  private following: ReadonlySet<number> = new Set();
  /** Owned shards that this node followed before it gained them: their copies wait for first access. */
  private promotable = new Set<number>();
  /**
   * Heads of the copies of gained shards, read once per assignment that gained them, under the
   * epoch they were gained at. Once this node holds a shard's new epoch, the old owner's appends
   * are refused (fencing), so no head can move until this node writes: the read stays true.
   */
  private readonly verified = new Map<number, { readonly epoch: number; readonly result: Promise<Map<string, StoredHead>> }>();
  private sub: Subscription | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly metrics;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly store: Pick<EventStore, 'load'>;
  private readonly heads: Pick<ReplicaHeadsRepository, 'heads'> | undefined;
  private readonly values: Pick<SensitiveValues, 'openEventFromBus'> | undefined;
  private readonly released: ReplicaFollowerDeps['released'];
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor({ nc, config, store, heads, values, released, logger, clock, metrics }: ReplicaFollowerDeps) {
    this.nc = nc;
    this.config = config;
    this.store = store;
    this.heads = heads;
    this.values = values;
    this.released = released;
    this.logger = logger;
    this.clock = clock;
    this.metrics = {
      divergences: counter(metrics, 'foresight_replica_divergences_total', 'Pushed entries that did not apply to the warm copy (the session is reloaded)', [
        'reason',
      ]),
      lag: histogram(metrics, 'foresight_replica_lag_seconds', 'From commit on the primary to the events applied on the secondary (clocks of two nodes)'),
      sessions: gauge(metrics, 'foresight_replica_sessions', 'Warm copies held for shards this node is the secondary of'),
      applied: counter(metrics, 'foresight_replica_applied_events_total', 'Pushed events applied to warm copies'),
      rejected: counter(
        metrics,
        'foresight_replica_rejected_total',
        'Replica messages or entries dropped (malformed, forged, not for this node, already in the copy)',
        ['reason'],
      ),
      reloads: counter(metrics, 'foresight_replica_reloads_total', 'Warm copies rebuilt from the store', ['outcome']),
      headChecks: counter(
        metrics,
        'foresight_replica_batched_head_checks_total',
        'Warm copies of gained shards whose store head was read in one statement with the others, before their first access',
      ),
      headCheckSeconds: histogram(
        metrics,
        'foresight_replica_batched_head_check_seconds',
        'One read of the heads of the copies of the shards an assignment gained',
      ),
    };
  }

  /** Subscribes to this node's replica subject (nothing when replication is off). */
  start(): void {
    if (!this.config.cluster.replication || this.sub) return;
    this.sub = this.nc.subscribe(subjects(this.config.nats.namespace).replica(this.config.cluster.nodeId), {
      callback: (_err, msg) => this.receive(msg.data),
    });
    const every = Math.max(1000, this.config.session.sweepMs);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.copies.clear();
    this.loading.clear();
    this.verified.clear();
    this.metrics.sessions.set(0);
  }

  /** Warm copies held. */
  get size(): number {
    return this.copies.size;
  }

  /** The copy of a session, without taking it (tests, diagnostics). */
  peek(sessionId: string): SessionState | undefined {
    return this.copies.get(sessionId);
  }

  /**
   * Hands the copy of a session over to its new owner (this node) and forgets it: only for shards
   * this node followed before it gained them. Undefined when there is none (never pushed, being
   * reloaded, ended, or dropped).
   */
  take(sessionId: string): TakenCopy | undefined {
    const copy = this.copies.get(sessionId);
    if (copy === undefined || !this.promotable.has(copy.shard)) return undefined;
    this.copies.delete(sessionId);
    this.metrics.sessions.set(this.copies.size);
    const verified = this.verified.get(copy.shard);
    return verified ? { state: copy, stored: verified.result.then((heads) => heads.get(sessionId)) } : { state: copy };
  }

  /** Applies a new assignment: follows its shards, keeps the copies of shards just gained, drops the rest. */
  setTopology(topology: ReplicaTopology): void {
    const promotable = new Set<number>();
    for (const shard of topology.owned) if (this.following.has(shard) || this.promotable.has(shard)) promotable.add(shard);
    this.following = topology.following;
    this.promotable = promotable;
    this.verifyGained(topology);
    let dropped = 0;
    for (const [id, copy] of this.copies) {
      if (!this.following.has(copy.shard) && !this.promotable.has(copy.shard)) {
        this.copies.delete(id);
        dropped++;
      }
    }
    this.metrics.sessions.set(this.copies.size);
    if (dropped > 0) this.logger.debug({ dropped, following: this.following.size }, 'dropped warm copies of shards this node no longer follows');
  }

  /**
   * Reads, in one statement, the store's head of every copy of the shards this assignment gained,
   * while their previous owner may still be releasing them, so that the first request for each
   * session finds its check done. A read of an earlier epoch of a shard is forgotten.
   */
  private verifyGained(topology: ReplicaTopology): void {
    for (const [shard, v] of this.verified) if (!this.promotable.has(shard) || topology.epochs?.get(shard) !== v.epoch) this.verified.delete(shard);
    if (this.heads === undefined || topology.epochs === undefined) return;
    const gained = new Map<number, number>();
    for (const shard of this.promotable) {
      const epoch = topology.epochs.get(shard);
      if (epoch !== undefined && !this.verified.has(shard)) gained.set(shard, epoch);
    }
    if (gained.size === 0) return;
    const ids: string[] = [];
    for (const [id, copy] of this.copies) if (gained.has(copy.shard)) ids.push(id);
    const stop = this.metrics.headCheckSeconds.startTimer();
    const result = (ids.length === 0 ? Promise.resolve(new Map<string, StoredHead>()) : this.heads.heads(ids)).then(
      (heads) => {
        stop();
        this.metrics.headChecks.inc(heads.size);
        return heads;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, shards: gained.size }, 'could not read the heads of gained shards; each copy is checked on first access');
        return new Map<string, StoredHead>();
      },
    );
    for (const [shard, epoch] of gained) this.verified.set(shard, { epoch, result });
  }

  /** Decodes a pushed message defensively: anything that is not one is counted and dropped. */
  receive(data: Uint8Array): void {
    const message = tryDecode(data);
    if (message === undefined) {
      this.metrics.rejected.inc({ reason: 'malformed' });
      return;
    }
    if (isReleaseMessage(message)) {
      const shards = message.released.filter((r) => r.shard < this.config.cluster.shardCount);
      if (shards.length > 0) this.released?.(message.from, shards);
      return;
    }
    if (!isReplicaMessage(message)) {
      this.metrics.rejected.inc({ reason: 'schema' });
      return;
    }
    for (const entry of message.entries) {
      if (!isIssuedSessionId(entry.sessionId, this.config.session.idSecret)) {
        this.metrics.rejected.inc({ reason: 'session_id' });
        continue;
      }
      if (!this.following.has(shardOf(entry.sessionId, this.config.cluster.shardCount))) {
        this.metrics.rejected.inc({ reason: 'not_secondary' });
        continue;
      }
      this.apply(entry, message.from);
    }
  }

  private apply(sealed: ReplicaEntry, from: string): void {
    const buffered = this.loading.get(sealed.sessionId);
    if (buffered) {
      buffered.push({ entry: sealed, from });
      return;
    }
    const entry = this.opened(sealed, from);
    if (entry === undefined) return;
    const result = applyEntry(this.copies.get(entry.sessionId), entry);
    switch (result.kind) {
      case 'applied':
        if (result.state.status === 'active') this.copies.set(entry.sessionId, result.state);
        else this.copies.delete(entry.sessionId);
        this.metrics.applied.inc(entry.events.length);
        this.metrics.lag.observe(Math.max(0, this.clock.now() - entry.committedAt) / 1000);
        this.metrics.sessions.set(this.copies.size);
        return;
      case 'unseen':
        this.reload(entry.sessionId);
        return;
      case 'already_applied':
        this.metrics.rejected.inc({ reason: 'already_applied' });
        return;
      case 'diverged':
        this.metrics.divergences.inc({ reason: result.reason });
        this.logger.warn(
          {
            sessionId: entry.sessionId,
            from,
            reason: result.reason,
            copyVersion: this.copies.get(entry.sessionId)?.version ?? 0,
            firstVersion: entry.firstVersion,
          },
          'warm copy diverged from its primary; reloading it from the store',
        );
        this.reload(entry.sessionId);
        return;
    }
  }

  /**
   * The entry with the values its primary sealed opened; undefined (counted, and the session
   * reloaded) when one does not open: another key, or altered on the way.
   */
  private opened(entry: ReplicaEntry, from: string): ReplicaEntry | undefined {
    if (this.values === undefined || !entry.events.some((e) => (e.data as { sealed?: boolean }).sealed === true)) return entry;
    try {
      return { ...entry, events: entry.events.map((e) => this.values!.openEventFromBus(e)) };
    } catch (error) {
      this.metrics.divergences.inc({ reason: 'unsealable' });
      this.logger.warn({ err: error, sessionId: entry.sessionId, from }, 'a pushed value did not open; reloading the warm copy from the store');
      this.reload(entry.sessionId);
      return undefined;
    }
  }

  /** Rebuilds a session's copy from the store (snapshot + events), then applies what arrived meanwhile. */
  private reload(sessionId: string): void {
    this.copies.delete(sessionId);
    this.metrics.sessions.set(this.copies.size);
    if (this.loading.size >= MAX_CONCURRENT_RELOADS) {
      this.metrics.reloads.inc({ outcome: 'deferred' });
      return;
    }
    this.loading.set(sessionId, []);
    void this.store
      .load(sessionId)
      .then(({ snapshot, events }) =>
        replay(
          events.map((e) => e.event),
          snapshot ? restoreState(snapshot.state) : undefined,
        ),
      )
      .then(
        (state) => {
          const arrived = this.loading.get(sessionId) ?? [];
          this.loading.delete(sessionId);
          if (state === undefined || !this.following.has(state.shard)) {
            this.metrics.reloads.inc({ outcome: state === undefined ? 'absent' : 'not_followed' });
            return;
          }
          this.metrics.reloads.inc({ outcome: 'loaded' });
          if (state.status === 'active') this.copies.set(sessionId, state);
          this.metrics.sessions.set(this.copies.size);
          // The load saw every commit acknowledged before it; what it already holds is skipped.
          for (const { entry, from } of arrived) if (entry.firstVersion + entry.events.length - 1 > state.version) this.apply(entry, from);
        },
        (error: unknown) => {
          this.loading.delete(sessionId);
          this.metrics.reloads.inc({ outcome: 'failed' });
          this.logger.warn({ err: error, sessionId }, 'could not reload a warm copy; it is rebuilt when the session next changes');
        },
      );
  }

  /** Forgets copies past their absolute expiry (reads extend idle time without events, so idle is not judged here). */
  private sweep(): void {
    const now = this.clock.now();
    for (const [id, copy] of this.copies) if (copy.absoluteExpiresAt <= now) this.copies.delete(id);
    this.metrics.sessions.set(this.copies.size);
  }
}
