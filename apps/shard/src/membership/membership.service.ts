import { ErrorCodes, ForesightError, subjects, type AssignmentView, type HeartbeatReply, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { CoalescedRefresh, callRpc, decode } from '@foresight/messaging';
import { counter, gauge, type Logger } from '@foresight/observability';
import { backoffDelay, sleep, type BackoffOptions, type Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import { randomUUID } from 'node:crypto';
import type { ShardEventBus } from '../events/shard-events';
import { heartbeatWithRetries } from './heartbeat-attempts';

export interface MembershipDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  /** Where `shards.lost` goes. */
  readonly events: ShardEventBus;
  /**
   * Records this node as the owner of shards it gains (or holds at a new epoch) wherever their data
   * is fenced besides the metadata service (the event store's partition servers), before it serves
   * them. Resolves to the shards it could not record, each with the error to answer their requests with.
   */
  readonly fence?: (claims: readonly { shard: number; epoch: number }[]) => Promise<ReadonlyMap<number, Error>>;
}

/** Retrying registration while the metadata service is unreachable: jittered, so restarted nodes do not all knock at once. */
const REGISTER_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 1000, jitter: 'equal' };
/** Attempts per heartbeat: a timed-out one is sent again at once (another metadata instance may answer). */
const HEARTBEAT_ATTEMPTS = 3;

/**
 * This node's membership: registration, heartbeats, the lease, and which shards it owns at
 * which epoch. The node serves a shard only while its lease is live and it holds the epoch the
 * metadata service gave it. Shards it loses are announced as `shards.lost`.
 */
export class MembershipService {
  readonly incarnation = randomUUID();
  private readonly subjects: Subjects;
  private owned = new Map<number, number>();
  /** Owned shards whose previous owner has not released them yet (handoff): requests wait. */
  private pending = new Set<number>();
  /**
   * Handoffs the previous owner said it has completed, by shard → the epoch this node holds it at:
   * a view read before the metadata service recorded the release still says "not ready" for them.
   */
  private releasedByPeer = new Map<number, number>();
  private assignmentWaiters: (() => void)[] = [];
  /** Owned shards whose fence could not be recorded yet (their partition server was out), by shard → epoch: not served. */
  private unfenced = new Map<number, number>();
  private fencing = new Map<number, Promise<void>>();
  private readonly fence: MembershipDeps['fence'];
  private leaseValidUntil = 0;
  /** When the metadata service's lease on this node runs out, by the last heartbeat it answered (its clock's view, from ours). */
  private leaseEndsAt = 0;
  /** Bumped when the NATS connection drops: a heartbeat sent before that cannot vouch for after. */
  private connection = 0;
  private knownVersion = -1;
  /** While shards this node lost are being handed over: the version it reports as applied (the one before). */
  private releaseHeldAt: number | null = null;
  private releaseHolds = 0;
  /** The highest assignment version a heartbeat the metadata service answered reported as applied. */
  private reportedUpTo = -1;
  /** The assignment version at which this node last lost shards. */
  private lostAtVersion = -1;
  private beforeRelease: ((lost: readonly number[], view: AssignmentView) => Promise<void>) | null = null;
  private readonly refresher: CoalescedRefresh;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  /** The next heartbeat goes out without waiting an interval. */
  private heartbeatSoon = false;
  private noticeSub: Subscription | null = null;
  private stopped = false;
  private readonly metrics;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly events: ShardEventBus;

  constructor({ nc, config, logger, clock, metrics: registry, events, fence }: MembershipDeps) {
    this.fence = fence;
    this.nc = nc;
    this.config = config;
    this.logger = logger;
    this.clock = clock;
    this.events = events;
    this.subjects = subjects(config.nats.namespace);
    this.metrics = {
      awaiting: gauge(registry, 'foresight_shards_awaiting_handoff', 'Owned shards whose previous owner has not released them yet'),
      waits: counter(registry, 'foresight_handoff_waits_total', 'Requests held for a shard in handoff', ['outcome']),
      refreshes: counter(registry, 'foresight_assignment_refreshes_total', 'Reads of the shard assignment from the metadata service'),
      notices: counter(registry, 'foresight_assignment_notices_total', 'Assignment change notices received, by whether they asked for a refresh', ['outcome']),
      peerReleases: counter(
        registry,
        'foresight_handoff_peer_releases_total',
        'Shards in handoff that their previous owner said it released, before the metadata service did',
      ),
    };
    // However many notices arrive, one read runs and one more waits (a notice for a version applied is ignored).
    this.refresher = new CoalescedRefresh(
      () => this.fetchAssignment(),
      () => this.metrics.refreshes.inc(),
    );
  }

  get nodeId(): string {
    return this.config.cluster.nodeId;
  }

  get rpcSubject(): string {
    return this.subjects.shardRpc(this.nodeId);
  }

  ownedShards(): number[] {
    return [...this.owned.keys()];
  }

  /** The epoch of a shard this node owns by the assignment it applied last (undefined: not owned). Never waits. */
  ownedEpoch(shard: number): number | undefined {
    return this.owned.get(shard);
  }

  /**
   * Work to finish before the metadata service hears that this node let go of shards it lost (the
   * new owner waits until then): the sessions' transfer. Until it settles, heartbeats report the
   * assignment version before the move; it must bound its own duration.
   */
  setBeforeRelease(hook: (lost: readonly number[], view: AssignmentView) => Promise<void>): void {
    this.beforeRelease = hook;
  }

  /** Registers with the metadata service (retrying until one answers) and starts heartbeating. */
  async start(): Promise<void> {
    this.noticeSub = this.nc.subscribe(this.subjects.assignmentChanged, {
      callback: (_err, msg) => {
        let version: unknown;
        try {
          version = decode<{ version?: unknown }>(msg.data)?.version;
        } catch {
          /* a malformed notice is ignored; the heartbeat carries the version too */
        }
        this.metrics.notices.inc({ outcome: this.refresher.notice(version) ? 'refresh' : 'ignored' });
      },
    });
    void this.watchConnection();
    await this.register();
    this.scheduleHeartbeat();
  }

  /**
   * While disconnected the node receives no request, and the failure detector may have declared it
   * dead on seeing nobody subscribed to its subject. So a reconnected node serves again only once a
   * heartbeat sent after the reconnection confirms its lease, and it sends one at once.
   */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (this.stopped) return;
      if (status.type === 'disconnect') {
        this.connection++;
        this.leaseValidUntil = 0;
      } else if (status.type === 'reconnect') {
        this.connection++;
        this.leaseValidUntil = 0;
        this.heartbeatNow();
      }
    }
  }

  /**
   * Until when a heartbeat sent at `sentAt` lets the node serve: the lease less one heartbeat, and,
   * when the metadata service runs its failure detector, less than the silence after which it may
   * declare this node dead — so a node cut off or frozen has stopped by itself before its shards move.
   */
  private servesUntil(sentAt: number, reply: HeartbeatReply): number {
    const byLease = reply.leaseMs - this.config.cluster.heartbeatMs;
    if (reply.suspectAfterMs === undefined) return sentAt + byLease;
    const margin = Math.max(50, Math.floor(reply.suspectAfterMs / 10));
    return sentAt + Math.min(byLease, reply.suspectAfterMs - margin);
  }

  /**
   * Leaves the assignment while staying live (graceful scale-in): the metadata service moves this
   * node's shards with a handoff, which this node completes as for any move it loses shards in
   * (the transfer's hook runs before it reports the move applied). Resolves when it owns no shard
   * and has reported the move applied, or at `deadline` (false: it still holds some; {@link stop}
   * then leaves at once and its shards move without waiting).
   */
  async drain(deadline: number): Promise<boolean> {
    if (this.stopped) return false;
    try {
      await callRpc(
        this.nc,
        this.subjects.membershipRpc(this.nodeId, 'leave'),
        'leave',
        { incarnation: this.incarnation, handoff: true },
        {
          timeoutMs: Math.max(10, Math.min(2000, deadline - this.clock.now())),
        },
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not ask to hand the shards over before leaving; leaving at once instead');
      return false;
    }
    this.heartbeatNow();
    void this.refresh().catch(() => undefined);
    while (this.clock.now() < deadline) {
      // Done once nothing is owned, no handover is running, and a heartbeat reported the move applied.
      if (this.owned.size === 0 && this.releaseHolds === 0 && this.knownVersion >= 0 && this.reportedUpTo >= this.lostAtVersion) return true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, Math.max(1, deadline - this.clock.now())));
        this.assignmentWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.owned.size === 0 && this.releaseHolds === 0;
  }

  async stop(leave: boolean): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.noticeSub?.unsubscribe();
    if (leave) {
      await callRpc(this.nc, this.subjects.membershipRpc(this.nodeId, 'leave'), 'leave', { incarnation: this.incarnation }, { timeoutMs: 2000 }).catch(
        (error: unknown) => this.logger.warn({ err: error }, 'could not announce leaving; the lease will expire instead'),
      );
    }
    this.dropAll();
  }

  /**
   * The epoch under which this node may serve `shard` now, or a NOT_OWNER / UNAVAILABLE error
   * that tells the caller to look the owner up again.
   */
  async epochFor(shard: number): Promise<number> {
    if (this.clock.now() > this.leaseValidUntil) {
      throw new ForesightError(ErrorCodes.UNAVAILABLE, `Node ${this.nodeId} has no live lease; retry on the current owner.`, { shard });
    }
    let epoch = this.owned.get(shard);
    if (epoch === undefined) {
      // Possibly just assigned and the notice is still in flight.
      await this.refresh();
      epoch = this.owned.get(shard);
    }
    if (epoch === undefined) {
      throw new ForesightError(ErrorCodes.NOT_OWNER, `Node ${this.nodeId} does not own shard ${shard}; look the owner up again.`, { shard });
    }
    if (this.unfenced.get(shard) === epoch) await this.fenceAgain(shard, epoch);
    if (!this.pending.has(shard)) return epoch;
    try {
      await this.awaitHandoff(shard);
      this.metrics.waits.inc({ outcome: 'released' });
    } catch (error) {
      this.metrics.waits.inc({ outcome: 'timeout' });
      throw error;
    }
    return this.epochFor(shard);
  }

  /** Records the fence of a shard its partition server refused or missed at assignment time; one attempt at a time per shard. */
  private async fenceAgain(shard: number, epoch: number): Promise<void> {
    let attempt = this.fencing.get(shard);
    if (!attempt) {
      attempt = this.fence!([{ shard, epoch }])
        .then((failed) => {
          const error = failed.get(shard);
          if (error) throw error;
          if (this.unfenced.get(shard) === epoch) this.unfenced.delete(shard);
        })
        .finally(() => this.fencing.delete(shard));
      this.fencing.set(shard, attempt);
    }
    await attempt;
  }

  /**
   * Holds a request for a shard whose previous owner may still serve it, until that node releases
   * it (normally milliseconds: the notice reaches it, it re-reads the assignment and says so in an
   * immediate heartbeat) or its lease ends. Past the wait the caller gets UNAVAILABLE and retries.
   */
  private async awaitHandoff(shard: number): Promise<void> {
    const deadline = this.clock.now() + Math.min(1000, Math.max(100, this.config.nats.requestTimeoutMs / 2));
    while (this.pending.has(shard) && this.owned.has(shard)) {
      const left = deadline - this.clock.now();
      if (left <= 0) {
        throw new ForesightError(ErrorCodes.UNAVAILABLE, `Shard ${shard} is being handed over to node ${this.nodeId}; retry shortly.`, { shard });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.assignmentWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (this.pending.has(shard)) await this.refresh();
    }
  }

  /**
   * The previous owner of `shards` says it applied the move and serves them no more (cooperative
   * handoff: it tells the new owners directly, besides its heartbeat to the metadata service). Each
   * names the epoch this node gained the shard at, so a release of an older move is ignored.
   */
  releasedByPreviousOwner(from: string, shards: readonly { shard: number; epoch: number }[]): void {
    let released = 0;
    for (const { shard, epoch } of shards) {
      const owned = this.owned.get(shard);
      if (owned !== undefined && owned > epoch) continue;
      this.releasedByPeer.set(shard, epoch);
      if (owned === epoch && this.pending.delete(shard)) released++;
    }
    if (released === 0) return;
    this.metrics.peerReleases.inc(released);
    this.metrics.awaiting.set(this.pending.size);
    this.logger.debug({ from, released }, 'handoff released by the previous owner');
    const waiters = this.assignmentWaiters;
    this.assignmentWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Re-reads the assignment: now, or right after the read already running (concurrent callers share it). */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }

  private async register(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const sentAt = this.clock.now();
      const connection = this.connection;
      try {
        const reply = await callRpc<HeartbeatReply>(
          this.nc,
          this.subjects.membershipRpc(this.nodeId, 'register'),
          'register',
          { incarnation: this.incarnation },
          {
            timeoutMs: this.config.nats.requestTimeoutMs,
          },
        );
        if (connection === this.connection) this.leaseValidUntil = this.servesUntil(sentAt, reply);
        this.leaseEndsAt = sentAt + reply.leaseMs;
        this.logger.info({ incarnation: this.incarnation }, 'registered with the metadata service');
        await this.refresh();
        return;
      } catch (error) {
        // A previous incarnation of this node id (this node before a crash) still holds its lease:
        // the metadata service refuses until it runs out, and says how long that is.
        const retryAfterMs = error instanceof ForesightError && error.code === ErrorCodes.NODE_INCARNATION_CONFLICT ? Number(error.details?.retryAfterMs) : NaN;
        if (attempt % 10 === 0) {
          if (Number.isFinite(retryAfterMs))
            this.logger.warn({ retryAfterMs }, 'a previous incarnation of this node still holds its lease; registering when it runs out');
          else this.logger.warn({ err: error }, 'metadata service not reachable yet; retrying registration');
        }
        await sleep(Number.isFinite(retryAfterMs) ? Math.max(50, retryAfterMs + 20) : backoffDelay(attempt, REGISTER_BACKOFF, Math.random));
      }
    }
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    const delay = this.heartbeatSoon ? 0 : this.config.cluster.heartbeatMs;
    this.heartbeatSoon = false;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatInFlight = true;
      void this.heartbeat().finally(() => {
        this.heartbeatInFlight = false;
        this.scheduleHeartbeat();
      });
    }, delay);
  }

  /** A heartbeat now, or right after the one in flight (heartbeats never overlap). Before registration: nothing. */
  private heartbeatNow(): void {
    this.heartbeatSoon = true;
    if (this.heartbeatInFlight || this.heartbeatTimer === null) return;
    clearTimeout(this.heartbeatTimer);
    this.scheduleHeartbeat();
  }

  private async heartbeat(): Promise<void> {
    const sentAt = this.clock.now();
    const connection = this.connection;
    const reported = this.reportedVersion();
    try {
      const heartbeatMs = this.config.cluster.heartbeatMs;
      const { reply, attempts } = await heartbeatWithRetries(
        (timeoutMs) =>
          callRpc<HeartbeatReply>(
            this.nc,
            this.subjects.membershipRpc(this.nodeId, 'heartbeat'),
            'heartbeat',
            { incarnation: this.incarnation, ...(reported >= 0 ? { appliedVersion: reported } : {}) },
            { timeoutMs },
          ),
        {
          perAttemptMs: Math.max(200, heartbeatMs),
          attempts: HEARTBEAT_ATTEMPTS,
          // Retries end a heartbeat before the lease does.
          deadline: this.leaseEndsAt - heartbeatMs,
          now: () => this.clock.now(),
          stopped: () => this.stopped,
        },
      );
      if (attempts > 1) this.logger.warn({ attempts }, 'heartbeat answered only after a retry');
      if (reply.status === 'unknown') {
        this.logger.warn('the metadata service declared this node dead; dropping all shards and registering again');
        this.dropAll();
        await this.register();
        return;
      }
      this.reportedUpTo = Math.max(this.reportedUpTo, reported);
      if (connection === this.connection) this.leaseValidUntil = Math.max(this.leaseValidUntil, this.servesUntil(sentAt, reply));
      this.leaseEndsAt = Math.max(this.leaseEndsAt, sentAt + reply.leaseMs);
      // While a handoff is open, poll: the previous owner may release it by dying, with no notice.
      if (reply.assignmentVersion !== this.knownVersion || this.pending.size > 0) await this.refresh();
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
      if (this.clock.now() > this.leaseValidUntil && this.owned.size > 0) {
        this.logger.error('lease lapsed: no longer serving any shard');
        this.dropAll();
      }
    }
  }

  /** Reads and applies the assignment; resolves to the version applied. */
  private async fetchAssignment(): Promise<number> {
    const view = await callRpc<AssignmentView>(
      this.nc,
      this.subjects.metadataRpc('assignment'),
      'assignment',
      {},
      { timeoutMs: this.config.nats.requestTimeoutMs },
    );
    if (view.version < this.knownVersion) return this.knownVersion; // an older answer overtaken by a newer one
    const next = new Map<number, number>();
    const pending = new Set<number>();
    for (const s of view.shards) {
      if (s.nodeId !== this.nodeId) {
        this.releasedByPeer.delete(s.shard);
        continue;
      }
      next.set(s.shard, s.epoch);
      const peer = this.releasedByPeer.get(s.shard);
      if (peer !== undefined && peer < s.epoch) this.releasedByPeer.delete(s.shard);
      if (s.ready === false && peer !== s.epoch) pending.add(s.shard);
      else if (s.ready !== false) this.releasedByPeer.delete(s.shard);
    }
    await this.fenceGained(next);
    const lost = [...this.owned].filter(([shard, epoch]) => next.get(shard) !== epoch).map(([shard]) => shard);
    const gained = [...next.keys()].filter((shard) => !this.owned.has(shard)).length;
    const hold = lost.length > 0 && this.beforeRelease !== null && !this.stopped && this.knownVersion >= 0;
    if (hold) {
      this.releaseHeldAt = Math.min(this.releaseHeldAt ?? this.knownVersion, this.knownVersion);
      this.releaseHolds++;
    }
    this.owned = next;
    this.pending = pending;
    this.metrics.awaiting.set(pending.size);
    this.knownVersion = view.version;
    const waiters = this.assignmentWaiters;
    this.assignmentWaiters = [];
    waiters.forEach((w) => w());
    if (lost.length > 0) {
      this.lostAtVersion = view.version;
      this.events.emit('shards.lost', { shards: lost });
      // Release them now rather than at the next heartbeat: their new owners are waiting.
      if (hold) {
        void this.beforeRelease!(lost, view)
          .catch((error: unknown) => this.logger.warn({ err: error }, 'handing sessions over failed; releasing the shards anyway'))
          .finally(() => {
            if (--this.releaseHolds === 0) this.releaseHeldAt = null;
            if (!this.stopped) this.heartbeatNow();
          });
      } else if (!this.stopped) void this.heartbeat();
    }
    if (lost.length > 0 || gained > 0) {
      this.logger.info({ owned: next.size, lost: lost.length, gained, waitingForHandoff: pending.size, version: view.version }, 'assignment changed');
    }
    this.events.emit('assignment.applied', { view });
    return view.version;
  }

  /**
   * Before a shard gained (or held at a new epoch) is served, its fence is moved on its partition
   * server; a shard whose server cannot be reached is owned but not served until a request's retry
   * records it (see `epochFor`). Other shards are not held back by one server's outage.
   */
  private async fenceGained(next: ReadonlyMap<number, number>): Promise<void> {
    for (const [shard, epoch] of this.unfenced) if (next.get(shard) !== epoch) this.unfenced.delete(shard);
    if (!this.fence) return;
    const claims = [...next].filter(([shard, epoch]) => this.owned.get(shard) !== epoch).map(([shard, epoch]) => ({ shard, epoch }));
    if (claims.length === 0) return;
    const failed = await this.fence(claims).catch((error: unknown) => new Map(claims.map((c) => [c.shard, error as Error])));
    for (const c of claims) {
      if (failed.has(c.shard)) this.unfenced.set(c.shard, c.epoch);
      else this.unfenced.delete(c.shard);
    }
    if (failed.size > 0) this.logger.warn({ shards: failed.size }, 'could not record ownership on a partition server; those shards wait for it');
  }

  /** The assignment version heartbeats report as applied (held back while shards are handed over). */
  private reportedVersion(): number {
    return this.releaseHeldAt ?? this.knownVersion;
  }

  private dropAll(): void {
    const lost = [...this.owned.keys()];
    this.owned = new Map();
    this.pending = new Set();
    this.unfenced.clear();
    this.releasedByPeer.clear();
    this.knownVersion = -1;
    this.refresher.forget();
    if (lost.length > 0) this.events.emit('shards.lost', { shards: lost });
  }
}
