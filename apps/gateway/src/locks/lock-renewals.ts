import { ErrorCodes, ForesightError, MAX_RENEW_BATCH, type ErrorCode, type LockGrantView, type LockRenewal, type ShardCommands } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import { counter, gauge, histogram, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { OwnerDirectory } from '../routing/owner-directory.service';

/** Outcomes that mean "ask the current owner again": the shard moved, or its node did not answer. */
const RETRY = new Set<string>([ErrorCodes.NOT_OWNER, ErrorCodes.STALE_EPOCH, ErrorCodes.NO_OWNER, ErrorCodes.UNAVAILABLE, ErrorCodes.TIMEOUT]);

/** A renewal a client asked for that this gateway cannot answer from a lease it holds: it goes to the owner. */
interface Pending {
  readonly renewal: LockRenewal;
  attempts: number;
  readonly resolve: (lock: LockGrantView) => void;
  readonly reject: (error: unknown) => void;
}

/** A lock this gateway keeps renewed with the owner for as long as its client keeps renewing here. */
interface Held {
  readonly sessionId: string;
  readonly token: string;
  leaseMs: number;
  /** The owner's last answer (its expiry is what the client is told). */
  lock: LockGrantView;
  ownerExpiresAt: number;
  /** The client renews by then, or this gateway stops renewing for it. */
  clientDeadline: number;
}

export interface LockRenewalsDeps {
  readonly directory: Pick<OwnerDirectory, 'route' | 'refresh'>;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly clock: Clock;
  readonly metrics: Registry;
  readonly logger: Logger;
}

/**
 * The leases of the locks this gateway's clients hold, renewed with their owner nodes in batches.
 *
 * A client renews its lock here (every third of its lease); the gateway answers from the lease it
 * holds with the owner when that lease is fresh, and notes that the client is still there. Every
 * `LOCK_RENEW_BATCH_MS` it looks at the leases it holds: when one is two thirds gone, every lease of
 * the same owner node whose client is still renewing is renewed with it, in one `locks.renew` request
 * per node (up to 5,000 renewals each). Leases of one node thus fall into step and cost one round
 * trip per node per renewal period, whatever the number of sessions. A lease is never renewed past
 * its client's deadline (its last renewal here plus its lease), so the lock of a client that died
 * expires on the owner when the client's own lease would have. A renewal for a
 * lock this gateway does not hold (acquired through another gateway, or after a restart) goes to the
 * owner in the next batch and is held from then on. With `LOCK_RENEW_BATCH_MS=0` nothing is held and
 * every renewal is its own request (the baseline the bench compares).
 */
export class LockRenewals {
  private readonly queue: Pending[] = [];
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private readonly metrics;
  private readonly deps: LockRenewalsDeps;

  constructor(deps: LockRenewalsDeps) {
    this.deps = deps;
    this.metrics = {
      renewals: counter(deps.metrics, 'foresight_gateway_lock_renewals_total', 'Lock renewals sent to owner nodes (in batches)'),
      roundTrips: counter(deps.metrics, 'foresight_gateway_lock_renewal_round_trips_total', 'Renewal requests sent to owner nodes (one per batch)'),
      batchSize: histogram(
        deps.metrics,
        'foresight_gateway_lock_renewal_batch_size',
        'Renewals per request to an owner node',
        [],
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      ),
      answered: counter(
        deps.metrics,
        'foresight_gateway_lock_renewals_answered_total',
        "Clients' renewals answered from a lease this gateway holds (no round trip)",
      ),
      heldLocks: gauge(deps.metrics, 'foresight_gateway_held_locks', 'Locks whose leases this gateway keeps renewed for its clients'),
    };
  }

  private get batching(): boolean {
    return this.deps.config.locks.renewBatchMs > 0;
  }

  start(): void {
    if (!this.batching || this.timer) return;
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'lock renewal tick failed'));
    }, this.deps.config.locks.renewBatchMs);
    this.timer.unref();
  }

  /** Keeps renewing a lock a client acquired through this gateway. */
  hold(lock: LockGrantView, leaseMs: number): void {
    if (!this.batching) return;
    const now = this.deps.clock.now();
    this.held.set(key(lock.sessionId, lock.token), {
      sessionId: lock.sessionId,
      token: lock.token,
      leaseMs,
      lock,
      ownerExpiresAt: Date.parse(lock.expiresAt),
      clientDeadline: now + leaseMs,
    });
    this.metrics.heldLocks.set(this.held.size);
  }

  /** The client released the lock: no more renewals. */
  forget(sessionId: string, token: string): void {
    this.held.delete(key(sessionId, token));
    this.metrics.heldLocks.set(this.held.size);
  }

  /** A client's renewal: answered from the lease held here when it is fresh, else sent to the owner in the next batch. */
  renew(renewal: LockRenewal): Promise<LockGrantView> {
    const now = this.deps.clock.now();
    const h = this.held.get(key(renewal.sessionId, renewal.token));
    if (h && h.ownerExpiresAt > now) {
      h.leaseMs = Math.min(renewal.leaseMs ?? h.leaseMs, this.deps.config.locks.maxLeaseMs);
      h.clientDeadline = now + h.leaseMs;
      this.metrics.answered.inc();
      return Promise.resolve(h.lock);
    }
    return new Promise<LockGrantView>((resolve, reject) => {
      this.queue.push({ renewal, attempts: 0, resolve, reject });
      if (!this.batching) void this.sendQueued();
    });
  }

  /** Sends what is queued now and renews what is due (tests, shutdown). */
  async flush(): Promise<void> {
    await this.ticking;
    await this.tick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const p of this.queue.splice(0)) p.reject(new ForesightError(ErrorCodes.UNAVAILABLE, 'The gateway is shutting down; renew the lock again.'));
    this.held.clear();
    this.metrics.heldLocks.set(0);
  }

  /** One batch per owner: the clients' renewals waiting, plus the held leases due (and those of the same owner that gain from it). */
  private async tick(): Promise<void> {
    const now = this.deps.clock.now();
    const byOwner = new Map<string, { pending: Pending[]; held: Held[]; due: boolean }>();
    const slot = (subject: string) => {
      let s = byOwner.get(subject);
      if (!s) byOwner.set(subject, (s = { pending: [], held: [], due: false }));
      return s;
    };
    for (const p of this.queue.splice(0)) {
      try {
        slot((await this.deps.directory.route(p.renewal.sessionId)).rpcSubject).pending.push(p);
      } catch (error) {
        this.retryOrFail(p, error);
      }
    }
    const tickMs = this.deps.config.locks.renewBatchMs;
    // Due at two thirds of the lease. Nothing due (most ticks): no routing work at all.
    let anyDue = false;
    for (const [k, h] of this.held) {
      if (h.clientDeadline <= now || h.ownerExpiresAt <= now) {
        // The client stopped renewing (or the lease is gone): the lock is left to expire on the owner.
        this.held.delete(k);
        continue;
      }
      if (h.ownerExpiresAt - now <= h.leaseMs / 3 + tickMs) anyDue = true;
    }
    if (anyDue) {
      for (const h of this.held.values()) {
        let subject: string;
        try {
          subject = (await this.deps.directory.route(h.sessionId)).rpcSubject;
        } catch {
          continue; // no owner right now: tried again next tick
        }
        const s = slot(subject);
        const left = h.ownerExpiresAt - now;
        if (left <= h.leaseMs / 3 + tickMs) s.due = true;
        // Any lease of the same owner that would gain at least two ticks rides along.
        if (left < h.leaseMs - 2 * tickMs) s.held.push(h);
      }
    }
    this.metrics.heldLocks.set(this.held.size);
    const requests: { subject: string; pending: Pending[]; held: Held[] }[] = [];
    for (const [subject, s] of byOwner) {
      const held = s.due ? s.held : [];
      if (s.pending.length === 0 && held.length === 0) continue;
      requests.push({ subject, pending: s.pending, held });
    }
    await Promise.all(requests.map((r) => this.send(r.subject, r.pending, r.held)));
  }

  /** Without batching: every waiting renewal alone, at once. */
  private async sendQueued(): Promise<void> {
    for (const p of this.queue.splice(0)) {
      try {
        void this.send((await this.deps.directory.route(p.renewal.sessionId)).rpcSubject, [p], []);
      } catch (error) {
        this.retryOrFail(p, error);
      }
    }
  }

  private async send(subject: string, pending: Pending[], held: Held[]): Promise<void> {
    const now = this.deps.clock.now();
    const renewals: LockRenewal[] = [
      ...pending.map((p) => p.renewal),
      // Never past the client's own deadline: the lock of a client that died ends with its last lease.
      ...held.map((h) => ({ sessionId: h.sessionId, token: h.token, leaseMs: Math.max(100, Math.min(h.leaseMs, h.clientDeadline - now)) })),
    ];
    for (let i = 0; i < renewals.length; i += MAX_RENEW_BATCH) {
      const part = renewals.slice(i, i + MAX_RENEW_BATCH);
      await this.sendBatch(subject, part, (j, outcome) => {
        const index = i + j;
        if (index < pending.length) this.settle(pending[index]!, outcome);
        else this.settleHeld(held[index - pending.length]!, outcome);
      });
    }
  }

  private async sendBatch(subject: string, renewals: LockRenewal[], each: (i: number, outcome: LockGrantView | ForesightError) => void): Promise<void> {
    this.metrics.roundTrips.inc();
    this.metrics.renewals.inc(renewals.length);
    this.metrics.batchSize.observe(renewals.length);
    let reply: ShardCommands['locks.renew']['reply'];
    try {
      reply = await callRpc(this.deps.nc, subject, 'locks.renew', { renewals }, { timeoutMs: this.deps.config.nats.requestTimeoutMs });
    } catch (error) {
      this.deps.logger.debug({ err: error, subject, renewals: renewals.length }, 'a lock renewal batch failed');
      const failure =
        error instanceof ForesightError ? error : new ForesightError(ErrorCodes.UNAVAILABLE, 'The owner node did not answer the renewal; renew again.');
      renewals.forEach((_, i) => each(i, failure));
      return;
    }
    renewals.forEach((_, i) => {
      const outcome = reply.results[i];
      if (outcome?.ok === true) each(i, outcome.lock);
      else if (outcome) each(i, new ForesightError(outcome.error.code as ErrorCode, outcome.error.message));
      else each(i, new ForesightError(ErrorCodes.INTERNAL, 'The owner node answered a renewal batch without this renewal; renew the lock again.'));
    });
  }

  private settle(p: Pending, outcome: LockGrantView | ForesightError): void {
    if (outcome instanceof ForesightError) {
      this.retryOrFail(p, outcome);
      return;
    }
    this.hold(outcome, p.renewal.leaseMs ?? outcome.leaseMs);
    p.resolve(outcome);
  }

  private settleHeld(h: Held, outcome: LockGrantView | ForesightError): void {
    if (!(outcome instanceof ForesightError)) {
      h.lock = outcome;
      h.ownerExpiresAt = Date.parse(outcome.expiresAt);
      return;
    }
    // Expired, released elsewhere, never held: the client's next renewal asks the owner and learns why.
    if (!RETRY.has(outcome.code)) this.held.delete(key(h.sessionId, h.token));
  }

  /** A moved shard or a silent node: try the (refreshed) owner in a later batch, up to `GATEWAY_MAX_ATTEMPTS` times. */
  private retryOrFail(p: Pending, error: unknown): void {
    p.attempts++;
    if (!(error instanceof ForesightError) || !RETRY.has(error.code) || p.attempts >= this.deps.config.gateway.maxAttempts) {
      p.reject(error);
      return;
    }
    // Growing pauses (100 ms up to 1 s): a takeover takes about half a second.
    const pause = Math.min(1000, 50 * 2 ** p.attempts);
    setTimeout(() => {
      void this.deps.directory
        .refresh()
        .catch(() => undefined)
        .then(() => {
          this.queue.push(p);
          if (!this.batching) void this.sendQueued();
        });
    }, pause);
  }
}

const key = (sessionId: string, token: string): string => `${sessionId} ${token}`;
