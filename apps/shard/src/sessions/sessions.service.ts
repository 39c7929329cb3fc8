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
import { completeWith, covers, groupsOf, type LoadedGroups } from '../transfer/partial-state';
import type { LazySource } from '../transfer/transfer.service';
import { KeyedLock } from './keyed-lock';
import { estimateSessionBytes, SessionMemory } from './session-memory';
import type { SessionIndexRepository } from './session-index.repository';

interface CachedSession {
  state: SessionState;
  /** The shard epoch under which the state was loaded; a different epoch means reload. */
  epoch: number;
  snapshotVersion: number;
  /** The groups held when the session was loaded for a read of only some of them (none: all). */
  groups?: LoadedGroups;
  /** Pushed by its old owner, which may still hold the groups it lacks (see {@link SessionTransfers.fetchLazy}). */
  lazyFrom?: LazySource;
}

/**
 * A write's request context; `requestId` (same on every retry) makes it idempotent; `lockToken` is
 * the writer's lock on the session, if it holds one.
 */
type WriteContext = MessageContext & { readonly requestId?: string; readonly lockToken?: string };

/** Session locks, as the write path sees them (the locks feature implements it). */
export interface WriteGuard {
  /** Throws the error refusing a write carrying `token` (or none) to the session now; runs in the session's command order. */
  checkWrite(sessionId: string, shard: number, epoch: number, token: string | undefined): Promise<void>;
  /** A session with a lock held stays in memory. */
  isLocked(sessionId: string): boolean;
  /** The session ended: its locks end with it. */
  ended(sessionId: string): void;
}

/**
 * Warm copies of sessions this node kept as the secondary of their shard: on first access after
 * it gains such a shard, the copy is taken (once) and caught up to the store's head.
 */
export interface WarmCopies {
  /** The copy, and the store's head and last activity for it when they were read in advance (one statement per gained shard set). */
  take(sessionId: string): { state: SessionState; stored?: Promise<{ head: number; lastRead: number | undefined } | undefined> } | undefined;
}

/**
 * Sessions moving with their shards: accesses are profiled here, and a session pushed by its old
 * owner is claimed on its first access (only if it is at the head of its event log).
 */
export interface SessionTransfers {
  claim(sessionId: string, epoch: number): Promise<{ state: SessionState; groups: ReadonlySet<string>; from: LazySource } | undefined>;
  /** Groups of a claimed session fetched from its old owner (those it could give and that check out; {}: none). */
  fetchLazy(sessionId: string, source: LazySource, state: SessionState, groups: readonly string[]): Promise<Record<string, Record<string, unknown>>>;
  lazyFromPostgres(seconds: number): void;
  record(sessionId: string, groups: readonly string[] | undefined, kind: 'read' | 'write'): void;
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
  /** Moving sessions with their shards (none: every takeover loads from the store). */
  readonly transfers?: SessionTransfers;
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
  /** Loaded sessions, least recently used first, under `SESSION_MEMORY_BUDGET_BYTES`. */
  private readonly cache = new SessionMemory<CachedSession>((e) => estimateSessionBytes(e.state));
  private guard: WriteGuard | undefined;
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
  private readonly transfers: SessionTransfers | undefined;

  constructor({ store, membership, index, events, config, logger, clock, metrics: registry, warm, transfers }: SessionsDeps) {
    this.warm = warm;
    this.transfers = transfers;
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
      residentBytes: gauge(registry, 'foresight_sessions_resident_bytes', 'Estimated bytes of the sessions held in memory'),
      hits: counter(registry, 'foresight_session_memory_hits_total', 'Session uses served by the copy in memory (no load)'),
      evictions: counter(registry, 'foresight_session_evictions_total', 'Sessions dropped from memory to stay within the budget or after idling', ['reason']),
      conflicts: counter(registry, 'foresight_append_conflicts_total', 'Appends refused (version conflict or stale epoch)', ['reason']),
      duplicates: counter(registry, 'foresight_duplicate_writes_total', 'Retried writes recognised by request id and not applied again'),
      promotions: counter(
        registry,
        'foresight_replica_promotions_total',
        'First accesses after a takeover that found a warm copy: served from it (warm), after catching up from the store (caught_up), or loaded cold',
        ['outcome'],
      ),
      loadRows: counter(
        registry,
        'foresight_session_load_rows_total',
        'Rows read from Postgres to load sessions, by scope (all groups, or only those a read asked for)',
        ['scope'],
      ),
      loadBytes: counter(registry, 'foresight_session_load_bytes_total', 'Bytes of state and events read from Postgres to load sessions, by scope', ['scope']),
      partialSnapshotsSkipped: counter(
        registry,
        'foresight_session_partial_snapshots_skipped_total',
        'Snapshots put off because the session held only some groups',
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
      if (this.guard && cmd.kind !== 'create') await this.guard.checkWrite(sessionId, shard, epoch, meta.lockToken);
      for (let attempt = 0; ; attempt++) {
        const entry = await this.loaded(sessionId, epoch, groupsOf(cmd));
        const events = decide(cmd, entry?.state, this.policy, { ...meta, now: this.clock.now(), newEventId: randomUUID });
        if (events.length === 0 && entry !== undefined) {
          this.metrics.duplicates.inc();
          return { state: entry.state, applied: false };
        }
        try {
          const state = await this.commit(sessionId, shard, epoch, entry, events);
          this.transfers?.record(sessionId, groupsOf(cmd), 'write');
          return { state, applied: true };
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

  /** Estimated bytes of the sessions held in memory. */
  get residentBytes(): number {
    return this.cache.bytes;
  }

  /** Whether a session is held in memory now (not counted as a use). */
  isResident(sessionId: string): boolean {
    return this.cache.peek(sessionId) !== undefined;
  }

  /** Session locks: writes are checked against them, locked sessions are kept in memory. */
  useWriteGuard(guard: WriteGuard): void {
    this.guard = guard;
  }

  /** Runs `task` in the session's command order (never between another command's check and commit). */
  exclusive<T>(sessionId: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(sessionId, task);
  }

  /** Evicts sessions unused for `SESSION_MEMORY_IDLE_TTL_MS` (they reload from the store when used). */
  evictIdle(): number {
    const ttl = this.config.session.memoryIdleTtlMs;
    if (ttl <= 0) return 0;
    const evicted = this.cache.evictIdle(this.clock.now(), ttl, (id) => this.keep(id));
    this.afterEviction(evicted, 'idle');
    return evicted.length;
  }

  /** Reads a session (optionally only some groups), extending its idle timeout. */
  async read(sessionId: string, groups?: readonly string[]): Promise<SessionView> {
    const shard = this.checkId(sessionId);
    const epoch = await this.membership.epochFor(shard);
    const wanted = groups && groups.length > 0 ? groups : undefined;
    const resident = this.cache.get(sessionId, this.clock.now());
    const hit = resident?.epoch === epoch && covers(resident.groups, wanted);
    if (hit) this.metrics.hits.inc();
    const entry = hit ? resident : await this.lock.run(sessionId, () => this.loaded(sessionId, epoch, wanted));
    const state = checkLive(entry?.state, this.policy, this.clock.now());
    for (const g of groups ?? []) checkGroup(this.policy, g);
    entry!.state = touch(state, this.clock.now());
    this.transfers?.record(sessionId, wanted, 'read');
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
          const entry = await this.loaded(id, epoch, []);
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
      const entry = this.cache.get(id, now);
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

  /**
   * The cached session if it was loaded under the current epoch (with the groups `groups` names;
   * undefined: all), else rebuilt from the store, reading only those groups' snapshot rows.
   */
  private async loaded(sessionId: string, epoch: number, groups?: readonly string[]): Promise<CachedSession | undefined> {
    const cached = this.cache.get(sessionId, this.clock.now());
    if (cached && cached.epoch === epoch) {
      if (covers(cached.groups, groups)) {
        this.metrics.hits.inc();
        return cached;
      }
      return this.completed(sessionId, cached, groups);
    }
    const taken = this.warm?.take(sessionId);
    const promoted = taken ? await this.promote(sessionId, taken.state, taken.stored) : await this.transfers?.claim(sessionId, epoch);
    let rebuilt: SessionState | undefined;
    let lastRead: number | undefined;
    let snapshotVersion: number;
    let loadedGroups: LoadedGroups;
    let lazyFrom: LazySource | undefined;
    if (promoted && 'groups' in promoted) {
      // Pushed by the old owner from its memory: its last activity is already the freshest.
      rebuilt = promoted.state;
      loadedGroups = promoted.groups;
      lazyFrom = promoted.from;
      snapshotVersion = rebuilt.version;
    } else if (promoted) {
      ({ state: rebuilt, lastRead } = promoted);
      // Unknown here; counting from the copy's version delays the next snapshot by at most one interval.
      snapshotVersion = rebuilt.version;
    } else {
      const partial = groups !== undefined ? [...new Set(groups)] : undefined;
      const [{ snapshot, events, read: stats }, read] = await Promise.all([this.store.load(sessionId, partial), this.index.lastActivity(sessionId)]);
      this.metrics.loads.inc();
      this.countRead(partial ? 'partial' : 'full', stats);
      loadedGroups = partial ? new Set(partial) : undefined;
      rebuilt = replay(
        events.map((e) => e.event),
        snapshot ? restoreState(snapshot.state) : undefined,
      );
      // Reads not yet flushed to the index (the session was evicted meanwhile) count too.
      const pending = this.touched.get(sessionId);
      lastRead = pending !== undefined && (read === undefined || pending > read) ? pending : read;
      snapshotVersion = snapshot?.version ?? 0;
    }
    if (!rebuilt) return undefined;
    // Reads leave no event; the index remembers them, so idle time survives a takeover.
    const state = lastRead ? touch(rebuilt, lastRead) : rebuilt;
    const entry: CachedSession = { state, epoch, snapshotVersion, groups: loadedGroups, ...(lazyFrom ? { lazyFrom } : {}) };
    if (state.status === 'active') {
      this.remember(sessionId, entry);
      this.events.emit('session.loaded', { sessionId, userId: state.userId, recentActions: state.recentActions ?? [] });
    }
    this.metrics.cached.set(this.cache.size);
    // A pushed copy holds only its immediate groups: the others this access needs are fetched now.
    if (state.status === 'active' && !covers(entry.groups, groups)) return this.completed(sessionId, entry, groups);
    return entry;
  }

  /**
   * A session held with only some groups, given those a request needs too (undefined: all): a load
   * of just those at the same version supplies them (the owner is the only writer under its epoch,
   * so the version matches; if it does not, that load replaces the entry).
   */
  private async completed(sessionId: string, start: CachedSession, groups: readonly string[] | undefined): Promise<CachedSession> {
    let cached = start;
    let held = cached.groups ?? new Set<string>();
    // Only the groups it lacks (a whole read: every declared group it lacks).
    let missing = [...new Set(groups ?? this.policy.groups)].filter((g) => !held.has(g));
    if (cached.lazyFrom && this.transfers) {
      // Pushed here: the old owner may still hold them.
      const peer = await this.transfers.fetchLazy(sessionId, cached.lazyFrom, cached.state, missing);
      if (Object.keys(peer).length > 0) {
        const merged = Object.assign(Object.create(null) as Record<string, SessionState['groups'][string]>, cached.state.groups);
        // A group empty at the old owner is held empty here, as a load from Postgres leaves it.
        for (const [g, vars] of Object.entries(peer)) if (Object.keys(vars).length > 0) merged[g] = vars as SessionState['groups'][string];
        held = new Set([...held, ...Object.keys(peer)]);
        missing = missing.filter((g) => !held.has(g));
        const whole = this.policy.groups.every((g) => held.has(g));
        cached = { ...cached, state: { ...cached.state, groups: merged }, groups: whole ? undefined : held };
        if (missing.length === 0) {
          this.remember(sessionId, cached);
          return cached;
        }
      }
    }
    const started = performance.now();
    const { snapshot, events, read } = await this.store.load(sessionId, missing);
    if (cached.lazyFrom) this.transfers?.lazyFromPostgres((performance.now() - started) / 1000);
    this.countRead('lazy', read);
    const other = replay(
      events.map((e) => e.event),
      snapshot ? restoreState(snapshot.state) : undefined,
    );
    const merged = other ? completeWith(cached.state, held, other, missing) : undefined;
    const now = new Set([...held, ...missing]);
    const whole = this.policy.groups.every((g) => now.has(g));
    const entry: CachedSession = merged
      ? { ...cached, state: merged, groups: whole ? undefined : now }
      : {
          state: other ? touch(other, cached.state.lastActivityAt) : cached.state,
          epoch: cached.epoch,
          snapshotVersion: snapshot?.version ?? 0,
          groups: new Set(missing),
        };
    if (entry.state.status === 'active') this.remember(sessionId, entry);
    else this.cache.delete(sessionId);
    return entry;
  }

  private countRead(scope: 'full' | 'partial' | 'lazy', read: { rows: number; bytes: number }): void {
    this.metrics.loadRows.inc({ scope }, read.rows);
    this.metrics.loadBytes.inc({ scope }, read.bytes);
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
    const next: CachedSession = {
      state: state!,
      epoch,
      snapshotVersion: entry?.snapshotVersion ?? 0,
      groups: entry?.groups,
      ...(entry?.lazyFrom && entry.groups ? { lazyFrom: entry.lazyFrom } : {}),
    };
    if (state!.status === 'active') this.remember(sessionId, next);
    else {
      this.cache.delete(sessionId);
      this.guard?.ended(sessionId);
    }
    this.metrics.cached.set(this.cache.size);
    this.metrics.residentBytes.set(this.cache.bytes);
    this.touched.set(sessionId, state!.lastActivityAt);
    this.events.emit('session.committed', {
      sessionId,
      events,
      positions: result.positions,
      firstVersion: expectedVersion + 1,
      outbox: result.outbox,
      state: state!,
      committedAt: this.clock.now(),
    });
    for (const e of events) {
      if (e.type === 'session.action_recorded') this.events.emit('action.recorded', { sessionId, action: e.data.action, userId: state!.userId });
    }
    if (state!.status !== 'active') this.events.emit('session.ended', { sessionId });
    if (state!.version - next.snapshotVersion >= this.config.session.snapshotEvery && next.groups !== undefined) {
      // A snapshot of a session held in part would store its other groups empty: put off until whole.
      this.metrics.partialSnapshotsSkipped.inc();
    } else if (state!.version - next.snapshotVersion >= this.config.session.snapshotEvery) {
      next.snapshotVersion = state!.version;
      this.store.saveSnapshot(sessionId, state!.version, state).catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'snapshot failed'));
    }
    return state!;
  }

  /** Keeps a session in memory, then evicts the least recently used ones past the budget. */
  private remember(sessionId: string, entry: CachedSession): void {
    this.cache.set(sessionId, entry, this.clock.now());
    const evicted = this.cache.evictOverBudget(this.config.session.memoryBudgetBytes, (id) => id === sessionId || this.keep(id));
    this.afterEviction(evicted, 'budget');
  }

  /** Sessions with a lock held stay in memory. */
  private keep(sessionId: string): boolean {
    return this.guard?.isLocked(sessionId) === true;
  }

  private afterEviction(evicted: readonly string[], reason: 'budget' | 'idle'): void {
    if (evicted.length > 0) this.metrics.evictions.inc({ reason }, evicted.length);
    this.metrics.cached.set(this.cache.size);
    this.metrics.residentBytes.set(this.cache.bytes);
  }

  /**
   * Drops the sessions of shards this node no longer owns (they are rebuilt from the store if the
   * shards come back); returns them, with the groups each held, for their transfer.
   */
  dropShards(shards: ReadonlySet<number>): { state: SessionState; groups: LoadedGroups }[] {
    const dropped: { state: SessionState; groups: LoadedGroups }[] = [];
    for (const [id, entry] of this.cache) {
      if (shards.has(entry.state.shard)) {
        this.cache.delete(id);
        dropped.push({ state: entry.state, groups: entry.groups });
      }
    }
    this.metrics.cached.set(this.cache.size);
    this.metrics.residentBytes.set(this.cache.bytes);
    if (dropped.length > 0) this.logger.info({ evicted: dropped.length, shards: shards.size }, 'dropped sessions of shards this node no longer owns');
    return dropped;
  }
}
