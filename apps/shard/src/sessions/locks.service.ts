import {
  ErrorCodes,
  ForesightError,
  type LockGrantView,
  type LockMode,
  type LockReleaseReply,
  type LockRenewal,
  type LockRenewOutcome,
  type LockStatusView,
} from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { shardOf } from '@foresight/hashing';
import { counter, gauge, type Logger } from '@foresight/observability';
import { checkIssuedId } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { MembershipService } from '../membership/membership.service';
import { LockTable, type LockGrant } from './lock-table';
import type { LockRepository } from './lock.repository';
import type { SessionsService } from './sessions.service';

export interface LocksDeps {
  readonly repo: LockRepository;
  readonly sessions: Pick<SessionsService, 'read' | 'exclusive' | 'touchMany'>;
  readonly membership: Pick<MembershipService, 'epochFor' | 'refresh'>;
  readonly config: ForesightConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Registry;
}

const newToken = (): string => `lk_${randomBytes(16).toString('base64url')}`;

/**
 * Session locks on the session's owner node, which is their authority: acquisitions and releases
 * run in the session's command order (never between a write's check and its commit), every grant
 * is recorded in `session_locks` before it is acknowledged, renewals stay in memory. A node that
 * starts serving a shard (at a new epoch) reads the shard's recorded grants first and honours each
 * one for at least a maximum lease from then, because its predecessor may have renewed it until the
 * moment it stopped (ADR 15). Writes ask {@link checkWrite} first.
 */
export class LocksService {
  private readonly table: LockTable;
  /** Per shard: the epoch its recorded grants were read at. */
  private readonly loaded = new Map<number, { epoch: number; ready: Promise<void> }>();
  private readonly metrics;
  private timer: NodeJS.Timeout | null = null;
  private readonly deps: LocksDeps;

  constructor(deps: LocksDeps) {
    this.deps = deps;
    this.table = new LockTable(Math.max(10 * deps.config.locks.maxLeaseMs, 600_000));
    const r = deps.metrics;
    this.metrics = {
      granted: counter(r, 'foresight_locks_granted_total', 'Session locks granted', ['mode']),
      refused: counter(r, 'foresight_locks_refused_total', 'Lock operations and writes refused by a lock', ['code']),
      renewed: counter(r, 'foresight_locks_renewed_total', 'Lock leases renewed'),
      renewBatches: counter(r, 'foresight_locks_renew_batches_total', 'Renewal batches received (one round trip each)'),
      released: counter(r, 'foresight_locks_released_total', 'Session locks released by their holder'),
      expired: counter(r, 'foresight_locks_expired_total', 'Session locks whose lease ran out'),
      recovered: counter(r, 'foresight_locks_recovered_total', 'Recorded grants read when this node started serving their shard'),
      locked: gauge(r, 'foresight_locked_sessions', 'Sessions with a lock held on this node'),
    };
  }

  start(): void {
    const every = Math.min(1000, Math.max(50, Math.floor(this.deps.config.locks.maxLeaseMs / 4)));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async acquire(sessionId: string, mode: LockMode, opts: { leaseMs?: number; holder?: string; requestId?: string }): Promise<LockGrantView> {
    const shard = this.shardOf(sessionId);
    // Only a live session can be locked; the acquisition counts as activity.
    await this.deps.sessions.read(sessionId, []);
    const epoch = await this.deps.membership.epochFor(shard);
    return this.deps.sessions.exclusive(sessionId, async () => {
      await this.ensureShard(shard, epoch);
      const now = this.deps.clock.now();
      const again = this.table.byRequest(sessionId, opts.requestId, now);
      if (again) return this.grantView(sessionId, again, now);
      try {
        this.table.checkAcquire(sessionId, mode, now);
      } catch (error) {
        this.refused(error);
        throw error;
      }
      const leaseMs = Math.min(opts.leaseMs ?? this.deps.config.locks.defaultLeaseMs, this.deps.config.locks.maxLeaseMs);
      const grant: LockGrant = {
        token: newToken(),
        mode,
        holder: opts.holder ?? null,
        leaseMs,
        expiresAt: now + leaseMs,
        ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
      };
      if (!(await this.deps.repo.grant(shard, epoch, sessionId, grant))) throw this.notOwner(shard);
      this.table.add(sessionId, grant);
      this.metrics.granted.inc({ mode });
      this.metrics.locked.set(this.table.lockedSessions);
      return this.grantView(sessionId, grant, this.deps.clock.now());
    });
  }

  async release(sessionId: string, token: string): Promise<LockReleaseReply> {
    const shard = this.shardOf(sessionId);
    const epoch = await this.deps.membership.epochFor(shard);
    return this.deps.sessions.exclusive(sessionId, async () => {
      await this.ensureShard(shard, epoch);
      const now = this.deps.clock.now();
      let grant: LockGrant | undefined;
      try {
        grant = this.table.release(sessionId, token, now);
      } catch (error) {
        this.refused(error);
        throw error;
      }
      // Should this fail, the record outlives the release: a later owner honours the lock a while longer, never shorter.
      if (grant) await this.deps.repo.remove([{ shard, epoch, sessionId, token }]);
      if (grant) this.metrics.released.inc();
      this.metrics.locked.set(this.table.lockedSessions);
      return { released: grant !== undefined, state: this.table.state(sessionId, now) };
    });
  }

  async status(sessionId: string): Promise<LockStatusView> {
    const shard = this.shardOf(sessionId);
    await this.ensureShard(shard, await this.deps.membership.epochFor(shard));
    const now = this.deps.clock.now();
    const grants = this.table.grants(sessionId, now);
    return {
      sessionId,
      state: this.table.state(sessionId, now),
      holders: grants.map((g) => ({ mode: g.mode, holder: g.holder, expiresAt: new Date(g.expiresAt).toISOString() })),
    };
  }

  /** Renews a batch (one request from a gateway): each renewal gets its own outcome; a renewed session counts as active. */
  async renewMany(renewals: readonly LockRenewal[]): Promise<LockRenewOutcome[]> {
    this.metrics.renewBatches.inc();
    const outcomes: LockRenewOutcome[] = [];
    const renewed: string[] = [];
    for (const r of renewals) {
      try {
        const shard = this.shardOf(r.sessionId);
        await this.ensureShard(shard, await this.deps.membership.epochFor(shard));
        const now = this.deps.clock.now();
        const leaseMs = Math.min(r.leaseMs ?? this.deps.config.locks.defaultLeaseMs, this.deps.config.locks.maxLeaseMs);
        const grant = this.table.renew(r.sessionId, r.token, leaseMs, now);
        outcomes.push({ ok: true, lock: this.grantView(r.sessionId, grant, now) });
        renewed.push(r.sessionId);
      } catch (error) {
        if (!(error instanceof ForesightError)) throw error;
        this.refused(error);
        outcomes.push({ ok: false, error: { code: error.code, message: error.message } });
      }
    }
    this.metrics.renewed.inc(renewed.length);
    if (renewed.length > 0) this.deps.sessions.touchMany(renewed);
    return outcomes;
  }

  /**
   * May this write change the session? Called by the sessions service in the session's command
   * order, after the epoch check; throws the `LOCK.*` error that refuses it.
   */
  async checkWrite(sessionId: string, shard: number, epoch: number, token: string | undefined): Promise<void> {
    await this.ensureShard(shard, epoch);
    try {
      this.table.checkWrite(sessionId, token, this.deps.clock.now());
    } catch (error) {
      this.refused(error);
      throw error;
    }
  }

  /** A session ended: its locks end with it. */
  ended(sessionId: string): void {
    const shard = this.shardOf(sessionId);
    const epoch = this.loaded.get(shard)?.epoch;
    this.table.install(sessionId, []);
    this.metrics.locked.set(this.table.lockedSessions);
    if (epoch !== undefined) this.removeRecords([{ shard, epoch, sessionId }]);
  }

  /** Shards this node no longer serves: their locks are forgotten here (the records stay for the next owner). */
  dropShards(shards: ReadonlySet<number>): void {
    for (const s of shards) this.loaded.delete(s);
    this.table.dropWhere((id) => shards.has(this.shardOf(id)));
    this.metrics.locked.set(this.table.lockedSessions);
  }

  /** Whether a session has a lock held (so it is kept in memory). */
  isLocked(sessionId: string): boolean {
    return this.table.grants(sessionId, this.deps.clock.now()).length > 0;
  }

  private async sweep(): Promise<void> {
    const expired = this.table.sweep(this.deps.clock.now());
    this.metrics.expired.inc(expired.length);
    this.metrics.locked.set(this.table.lockedSessions);
    const items = expired.flatMap(({ sessionId, token }) => {
      const shard = this.shardOf(sessionId);
      const epoch = this.loaded.get(shard)?.epoch;
      return epoch === undefined ? [] : [{ shard, epoch, sessionId, token }];
    });
    this.removeRecords(items);
  }

  private removeRecords(items: { shard: number; epoch: number; sessionId: string; token?: string }[]): void {
    if (items.length === 0) return;
    this.deps.repo.remove(items).catch((error: unknown) => this.deps.logger.warn({ err: error, locks: items.length }, 'could not delete lock records'));
  }

  /**
   * Reads the shard's recorded grants once per epoch, before the first lock decision on it. Each is
   * honoured until its recorded expiry or a maximum lease from now, whichever is later: the previous
   * owner may have renewed it in memory until it stopped serving, which was before now.
   */
  private ensureShard(shard: number, epoch: number): Promise<void> {
    const known = this.loaded.get(shard);
    if (known?.epoch === epoch) return known.ready;
    const ready = (async () => {
      const rows = await this.deps.repo.ofShard(shard);
      const floor = this.deps.clock.now() + this.deps.config.locks.maxLeaseMs;
      const bySession = new Map<string, LockGrant[]>();
      for (const { sessionId, ...grant } of rows) {
        const list = bySession.get(sessionId) ?? [];
        list.push({ ...grant, expiresAt: Math.max(grant.expiresAt, floor) });
        bySession.set(sessionId, list);
      }
      this.table.dropWhere((id) => this.shardOf(id) === shard);
      for (const [sessionId, grants] of bySession) this.table.install(sessionId, grants);
      this.metrics.recovered.inc(rows.length);
      this.metrics.locked.set(this.table.lockedSessions);
      if (rows.length > 0) this.deps.logger.info({ shard, epoch, locks: rows.length }, 'honouring the locks recorded for a shard this node now serves');
    })();
    this.loaded.set(shard, { epoch, ready });
    ready.catch(() => {
      if (this.loaded.get(shard)?.ready === ready) this.loaded.delete(shard);
    });
    return ready;
  }

  private shardOf(sessionId: string): number {
    return shardOf(checkIssuedId(sessionId, this.deps.config.session.idSecret), this.deps.config.cluster.shardCount);
  }

  private grantView(sessionId: string, g: LockGrant, now: number): LockGrantView {
    return {
      sessionId,
      token: g.token,
      mode: g.mode,
      leaseMs: g.leaseMs,
      expiresAt: new Date(g.expiresAt).toISOString(),
      state: this.table.state(sessionId, now),
    };
  }

  private refused(error: unknown): void {
    if (error instanceof ForesightError && error.code.startsWith('LOCK.')) this.metrics.refused.inc({ code: error.code });
  }

  private notOwner(shard: number): ForesightError {
    void this.deps.membership.refresh();
    return new ForesightError(ErrorCodes.NOT_OWNER, `Shard ${shard} has moved to another node; look the owner up again.`, { shard });
  }
}
