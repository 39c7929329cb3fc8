import { ErrorCodes, ForesightError, type MessageContext, type SessionEvent, type SessionView } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import type { EventStore } from '@foresight/persistence';
import {
  checkGroup,
  checkIssuedId,
  checkLive,
  decide,
  decideExpiry,
  evolve,
  expiry,
  isIssuedSessionId,
  replay,
  restoreState,
  touch,
  type SessionCommand,
  type SessionPolicy,
  type SessionState,
} from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { ShardEventBus } from '../events/shard-events';
import type { MembershipService } from '../membership/membership.service';
import { KeyedLock } from './keyed-lock';
import type { SessionIndexRepository } from './session-index.repository';

interface CachedSession {
  state: SessionState;
  /** The shard epoch under which the state was loaded; a different epoch means reload. */
  epoch: number;
  snapshotVersion: number;
}

/** A write's request context; `requestId` (same on every retry) makes it idempotent. */
type WriteContext = MessageContext & { readonly requestId?: string };

/**
 * Warm copies of sessions this node kept as the secondary of their shard: on first access after
 * it gains such a shard, the copy is taken (once) and caught up to the store's head.
 */
export interface WarmCopies {
  /** The copy, and the store's head and last activity for it when they were read in advance (one statement per gained shard set). */
  take(sessionId: string): { state: SessionState; stored?: Promise<{ head: number; lastRead: number | undefined } | undefined> } | undefined;
}

export interface SessionsDeps {
  readonly store: EventStore;
  /** Which shards this node serves, at which epoch. */
  readonly membership: Pick<MembershipService, 'epochFor' | 'ownedShards' | 'refresh' | 'nodeId'>;
  readonly index: SessionIndexRepository;
  /** Where session events go (loaded, committed, action recorded, ended). */
  readonly events: ShardEventBus;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  /** Copies kept as a secondary (replication); none: every takeover loads from the store. */
  readonly warm?: WarmCopies;
}

/**
 * Holds the sessions of the shards this node owns, in memory, and turns commands into committed
 * events: decide (pure) → append with expected version and epoch → evolve → announce (`session.*`
 * events: the publisher and the predictive cache listen) → reply.
 *
 * Over 300 lines on purpose: every write op goes through one path (liveness, idempotent retries,
 * fencing, append, announce); split, each op would re-implement part of it.
 */
export class SessionsService {
  private readonly cache = new Map<string, CachedSession>();
  private readonly lock = new KeyedLock();
  private readonly policy: SessionPolicy;
  private readonly touched = new Map<string, number>();
  private readonly metrics;
  private readonly store: EventStore;
  private readonly membership: SessionsDeps['membership'];
  private readonly index: SessionIndexRepository;
  private readonly events: ShardEventBus;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly warm: WarmCopies | undefined;

  constructor({ store, membership, index, events, config, logger, clock, metrics: registry, warm }: SessionsDeps) {
    this.warm = warm;
    this.store = store;
    this.membership = membership;
    this.index = index;
    this.events = events;
    this.config = config;
    this.logger = logger;
    this.clock = clock;
    this.policy = {
      groups: config.session.groups,
      maxVariableBytes: config.session.maxVariableBytes,
      maxSessionBytes: config.session.maxSessionBytes,
      idleTimeoutMs: config.session.idleTimeoutMs,
      absoluteTimeoutMs: config.session.absoluteTimeoutMs,
      idleGraceMs: config.session.idleGraceMs,
    };
    this.metrics = {
      loads: counter(registry, 'foresight_session_loads_total', 'Sessions rebuilt from snapshot + events'),
      appendSeconds: histogram(registry, 'foresight_append_seconds', 'Time from decision to commit'),
      cached: gauge(registry, 'foresight_sessions_in_memory', 'Sessions held in memory'),
      conflicts: counter(registry, 'foresight_append_conflicts_total', 'Appends refused (version conflict or stale epoch)', ['reason']),
      duplicates: counter(registry, 'foresight_duplicate_writes_total', 'Retried writes recognised by request id and not applied again'),
      promotions: counter(
        registry,
        'foresight_replica_promotions_total',
        'First accesses after a takeover that found a warm copy: served from it (warm), after catching up from the store (caught_up), or loaded cold',
        ['outcome'],
      ),
    };
  }

  /**
   * Runs a state-changing command for a session and returns the state after it. A retry of a write
   * already applied (same `meta.requestId`) commits nothing and returns the current state.
   */
  async execute(sessionId: string, command: SessionCommand, meta: WriteContext): Promise<SessionState> {
    return (await this.run(sessionId, command, meta)).state;
  }

  /** {@link execute}, also saying whether this call applied the command (false for a recognised retry). */
  async run(sessionId: string, command: SessionCommand, meta: WriteContext): Promise<{ state: SessionState; applied: boolean }> {
    const shard = this.checkId(sessionId);
    const epoch = await this.membership.epochFor(shard);
    const cmd: SessionCommand = command.kind === 'create' ? { ...command, shard } : command;
    return this.lock.run(sessionId, async () => {
      for (let attempt = 0; ; attempt++) {
        const entry = await this.loaded(sessionId, epoch);
        const events = decide(cmd, entry?.state, this.policy, { ...meta, now: this.clock.now(), newEventId: randomUUID });
        if (events.length === 0 && entry !== undefined) {
          this.metrics.duplicates.inc();
          return { state: entry.state, applied: false };
        }
        try {
          return { state: await this.commit(sessionId, shard, epoch, entry, events), applied: true };
        } catch (error) {
          const retryable =
            error instanceof ForesightError &&
            error.code === ErrorCodes.SESSION_VERSION_CONFLICT &&
            attempt === 0 &&
            !('expectedVersion' in command && command.expectedVersion !== undefined);
          if (!retryable) throw error;
          // Another writer got there first (e.g. a takeover race): reload and decide again once.
          this.cache.delete(sessionId);
        }
      }
    });
  }

  /** Live sessions held in memory (owned here, loaded since the node took their shard). */
  get inMemory(): number {
    return this.cache.size;
  }

  /** Reads a session (optionally only some groups), extending its idle timeout. */
  async read(sessionId: string, groups?: readonly string[]): Promise<SessionView> {
    const shard = this.checkId(sessionId);
    const epoch = await this.membership.epochFor(shard);
    const entry = this.cache.get(sessionId)?.epoch === epoch ? this.cache.get(sessionId) : await this.lock.run(sessionId, () => this.loaded(sessionId, epoch));
    const state = checkLive(entry?.state, this.policy, this.clock.now());
    for (const g of groups ?? []) checkGroup(this.policy, g);
    entry!.state = touch(state, this.clock.now());
    this.touched.set(sessionId, entry!.state.lastActivityAt);
    return this.view(entry!.state, epoch, groups);
  }

  view(state: SessionState, epoch: number, groups?: readonly string[]): SessionView {
    const selected = groups && groups.length > 0 ? Object.fromEntries(groups.map((g) => [g, state.groups[g] ?? {}])) : state.groups;
    return {
      id: state.id,
      userId: state.userId,
      version: state.version,
      status: state.status,
      createdAt: new Date(state.createdAt).toISOString(),
      lastActivityAt: new Date(state.lastActivityAt).toISOString(),
      idleExpiresAt: new Date(state.lastActivityAt + state.idleTimeoutMs).toISOString(),
      absoluteExpiresAt: new Date(state.absoluteExpiresAt).toISOString(),
      groups: selected,
      owner: { nodeId: this.membership.nodeId, shard: state.shard, epoch },
    };
  }

  async epochOf(sessionId: string): Promise<number> {
    return this.membership.epochFor(this.checkId(sessionId));
  }

  /** Ends every cached session past its idle or absolute timeout; returns how many ended. */
  async endExpired(sessionIds?: readonly string[]): Promise<number> {
    const now = this.clock.now();
    const due =
      sessionIds ??
      [...this.cache.values()].filter((e) => e.state.status === 'active' && expiry(e.state, this.policy.idleGraceMs).at <= now).map((e) => e.state.id);
    let ended = 0;
    for (const id of due) {
      try {
        const shard = this.checkId(id);
        const epoch = await this.membership.epochFor(shard);
        await this.lock.run(id, async () => {
          const entry = await this.loaded(id, epoch);
          if (!entry) return;
          const events = decideExpiry(entry.state, this.policy, {
            now: this.clock.now(),
            newEventId: randomUUID,
            correlationId: randomUUID(),
            causationId: 'expiry-sweeper',
          });
          if (events.length === 0) return;
          await this.commit(id, shard, epoch, entry, events);
          ended++;
        });
      } catch (error) {
        if (!(error instanceof ForesightError)) this.logger.warn({ err: error, sessionId: id }, 'could not end an expired session');
      }
    }
    return ended;
  }

  /**
   * Activity reported by an edge for sessions it served from its cache. Sessions of shards this
   * node does not own are skipped (the edge's table was stale; the next batch goes to the owner).
   */
  touchMany(sessionIds: readonly string[]): number {
    const now = this.clock.now();
    let n = 0;
    const owned = new Set(this.membership.ownedShards());
    for (const id of sessionIds) {
      if (!isIssuedSessionId(id, this.config.session.idSecret)) continue;
      if (!owned.has(shardOf(id, this.config.cluster.shardCount))) continue;
      const entry = this.cache.get(id);
      if (entry) entry.state = touch(entry.state, now);
      this.touched.set(id, now);
      n++;
    }
    return n;
  }

  /** Last-activity times recorded by reads since the previous call (flushed to the index). */
  takeTouched(): Map<string, number> {
    const copy = new Map(this.touched);
    this.touched.clear();
    return copy;
  }

  /** Resolves when no command is running (graceful shutdown). */
  async idle(): Promise<void> {
    while (this.lock.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /** The shard of an id the cluster issued (`SESSION.NOT_FOUND` otherwise). */
  private checkId(sessionId: string): number {
    return shardOf(checkIssuedId(sessionId, this.config.session.idSecret), this.config.cluster.shardCount);
  }

  /** The cached session if it was loaded under the current epoch, else rebuilt from the store. */
  private async loaded(sessionId: string, epoch: number): Promise<CachedSession | undefined> {
    const cached = this.cache.get(sessionId);
    if (cached && cached.epoch === epoch) return cached;
    const taken = this.warm?.take(sessionId);
    const promoted = taken ? await this.promote(sessionId, taken.state, taken.stored) : undefined;
    let rebuilt: SessionState | undefined;
    let lastRead: number | undefined;
    let snapshotVersion: number;
    if (promoted) {
      ({ state: rebuilt, lastRead } = promoted);
      // Unknown here; counting from the copy's version delays the next snapshot by at most one interval.
      snapshotVersion = rebuilt.version;
    } else {
      const [{ snapshot, events }, read] = await Promise.all([this.store.load(sessionId), this.index.lastActivity(sessionId)]);
      this.metrics.loads.inc();
      rebuilt = replay(
        events.map((e) => e.event),
        snapshot ? restoreState(snapshot.state) : undefined,
      );
      lastRead = read;
      snapshotVersion = snapshot?.version ?? 0;
    }
    if (!rebuilt) return undefined;
    // Reads leave no event; the index remembers them, so idle time survives a takeover.
    const state = lastRead ? touch(rebuilt, lastRead) : rebuilt;
    const entry = { state, epoch, snapshotVersion };
    if (state.status === 'active') {
      this.cache.set(sessionId, entry);
      this.events.emit('session.loaded', { sessionId, userId: state.userId, recentActions: state.recentActions ?? [] });
    }
    this.metrics.cached.set(this.cache.size);
    return entry;
  }

  /**
   * Brings a warm copy to the store's head: served as it is when it is the head (`warm`), after the
   * events it lacks (`caught_up`), or not at all (`cold`: ahead of the store, or the missing events
   * do not apply), so a promoted copy is never older than an acknowledged write.
   */
  private async promote(
    sessionId: string,
    copy: SessionState,
    stored: Promise<{ head: number; lastRead: number | undefined } | undefined> | undefined,
  ): Promise<{ state: SessionState; lastRead: number | undefined } | undefined> {
    try {
      const known = await stored;
      const [head, lastRead] = known
        ? [known.head, known.lastRead]
        : await Promise.all([this.store.headVersion(sessionId), this.index.lastActivity(sessionId)]);
      if (head === copy.version) {
        this.metrics.promotions.inc({ outcome: 'warm' });
        return { state: copy, lastRead };
      }
      if (head > copy.version) {
        let state = copy;
        for (const row of await this.store.readStreamAfter(sessionId, copy.version)) {
          if (row.streamVersion !== state.version + 1) throw new Error(`event ${row.streamVersion} does not follow the copy at ${state.version}`);
          state = evolve(state, row.event);
        }
        if (state.version >= head) {
          this.metrics.promotions.inc({ outcome: 'caught_up' });
          return { state, lastRead };
        }
      }
    } catch (error) {
      this.logger.warn({ err: error, sessionId }, 'could not catch a warm copy up; loading the session from the store');
    }
    this.metrics.promotions.inc({ outcome: 'cold' });
    return undefined;
  }

  private async commit(sessionId: string, shard: number, epoch: number, entry: CachedSession | undefined, events: SessionEvent[]): Promise<SessionState> {
    const expectedVersion = entry?.state.version ?? 0;
    const stop = this.metrics.appendSeconds.startTimer();
    let result;
    try {
      result = await this.store.append({ sessionId, shard, epoch, expectedVersion, events });
    } catch (error) {
      if (error instanceof ForesightError && error.code === ErrorCodes.STALE_EPOCH) {
        this.metrics.conflicts.inc({ reason: 'stale_epoch' });
        void this.membership.refresh();
        throw new ForesightError(ErrorCodes.NOT_OWNER, `Shard ${shard} has moved to another node; look the owner up again.`, { shard });
      }
      if (error instanceof ForesightError && error.code === ErrorCodes.SESSION_VERSION_CONFLICT) this.metrics.conflicts.inc({ reason: 'version' });
      throw error;
    } finally {
      stop();
    }
    let state = entry?.state;
    for (const e of events) state = evolve(state, e);
    const next: CachedSession = { state: state!, epoch, snapshotVersion: entry?.snapshotVersion ?? 0 };
    if (state!.status === 'active') this.cache.set(sessionId, next);
    else this.cache.delete(sessionId);
    this.metrics.cached.set(this.cache.size);
    this.touched.set(sessionId, state!.lastActivityAt);
    this.events.emit('session.committed', {
      sessionId,
      events,
      positions: result.positions,
      firstVersion: expectedVersion + 1,
      state: state!,
      committedAt: this.clock.now(),
    });
    for (const e of events) {
      if (e.type === 'session.action_recorded') this.events.emit('action.recorded', { sessionId, action: e.data.action, userId: state!.userId });
    }
    if (state!.status !== 'active') this.events.emit('session.ended', { sessionId });
    if (state!.version - next.snapshotVersion >= this.config.session.snapshotEvery) {
      next.snapshotVersion = state!.version;
      this.store.saveSnapshot(sessionId, state!.version, state).catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'snapshot failed'));
    }
    return state!;
  }

  /** Drops the sessions of shards this node no longer owns (they are rebuilt from the store if the shards come back). */
  dropShards(shards: ReadonlySet<number>): void {
    let n = 0;
    for (const [id, entry] of this.cache) {
      if (shards.has(entry.state.shard)) {
        this.cache.delete(id);
        n++;
      }
    }
    this.metrics.cached.set(this.cache.size);
    if (n > 0) this.logger.info({ evicted: n, shards: shards.size }, 'dropped sessions of shards this node no longer owns');
  }
}
