import { ErrorCodes, ForesightError, MAX_RENEW_BATCH, type ErrorCode, type LockGrantView, type LockRenewal, type ShardCommands } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import { counter, histogram, type Logger } from '@foresight/observability';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { OwnerDirectory } from '../routing/owner-directory.service';

/** Outcomes that mean "ask the current owner again": the shard moved, or its node did not answer. */
const RETRY = new Set<string>([ErrorCodes.NOT_OWNER, ErrorCodes.STALE_EPOCH, ErrorCodes.NO_OWNER, ErrorCodes.UNAVAILABLE, ErrorCodes.TIMEOUT]);

interface Pending {
  readonly renewal: LockRenewal;
  attempts: number;
  readonly resolve: (lock: LockGrantView) => void;
  readonly reject: (error: unknown) => void;
}

export interface LockRenewalsDeps {
  readonly directory: Pick<OwnerDirectory, 'route' | 'refresh'>;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly metrics: Registry;
  readonly logger: Logger;
}

/**
 * Renews the leases of the locks this gateway's clients hold, in batches: renewals that arrive
 * within `LOCK_RENEW_BATCH_MS` are grouped by the node that owns their session and sent as one
 * `locks.renew` request per node (one round trip per batch, not per session). Each caller gets its
 * own outcome; a renewal whose shard moved is sent again, in the next batch, to the new owner.
 * With `LOCK_RENEW_BATCH_MS=0` every renewal is its own request (the baseline the bench compares).
 */
export class LockRenewals {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly metrics;
  private readonly deps: LockRenewalsDeps;

  constructor(deps: LockRenewalsDeps) {
    this.deps = deps;
    this.metrics = {
      renewals: counter(deps.metrics, 'foresight_gateway_lock_renewals_total', 'Lock renewals sent to owner nodes (each in a batch)'),
      roundTrips: counter(deps.metrics, 'foresight_gateway_lock_renewal_round_trips_total', 'Renewal requests sent to owner nodes (one per batch)'),
      batchSize: histogram(
        deps.metrics,
        'foresight_gateway_lock_renewal_batch_size',
        'Renewals per request to an owner node',
        [],
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      ),
    };
  }

  /** Renews one lock, in the next batch to its session's owner. */
  renew(renewal: LockRenewal): Promise<LockGrantView> {
    return new Promise<LockGrantView>((resolve, reject) => {
      this.queue.push({ renewal, attempts: 0, resolve, reject });
      this.schedule();
    });
  }

  /** Sends what is queued now (tests, shutdown). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.send();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.queue.splice(0)) p.reject(new ForesightError(ErrorCodes.UNAVAILABLE, 'The gateway is shutting down; renew the lock again.'));
  }

  private schedule(): void {
    if (this.timer) return;
    const delay = this.deps.config.locks.renewBatchMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.send();
    }, delay);
  }

  private async send(): Promise<void> {
    const items = this.queue.splice(0);
    if (items.length === 0) return;
    const byOwner = new Map<string, Pending[]>();
    for (const p of items) {
      try {
        const route = await this.deps.directory.route(p.renewal.sessionId);
        const list = byOwner.get(route.rpcSubject) ?? [];
        list.push(p);
        byOwner.set(route.rpcSubject, list);
      } catch (error) {
        this.retryOrFail(p, error);
      }
    }
    const batchMs = this.deps.config.locks.renewBatchMs;
    const requests: { subject: string; batch: Pending[] }[] = [];
    for (const [subject, list] of byOwner) {
      // Batching off: one request per renewal, the baseline.
      const size = batchMs === 0 ? 1 : MAX_RENEW_BATCH;
      for (let i = 0; i < list.length; i += size) requests.push({ subject, batch: list.slice(i, i + size) });
    }
    await Promise.all(requests.map(({ subject, batch }) => this.sendBatch(subject, batch)));
  }

  private async sendBatch(subject: string, batch: Pending[]): Promise<void> {
    this.metrics.roundTrips.inc();
    this.metrics.renewals.inc(batch.length);
    this.metrics.batchSize.observe(batch.length);
    let reply: ShardCommands['locks.renew']['reply'];
    try {
      reply = await callRpc(this.deps.nc, subject, 'locks.renew', { renewals: batch.map((p) => p.renewal) }, { timeoutMs: this.deps.config.nats.requestTimeoutMs });
    } catch (error) {
      this.deps.logger.debug({ err: error, subject, renewals: batch.length }, 'a lock renewal batch failed');
      for (const p of batch) this.retryOrFail(p, error);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = reply.results[i];
      if (outcome?.ok === true) p.resolve(outcome.lock);
      else if (outcome) this.retryOrFail(p, new ForesightError(outcome.error.code as ErrorCode, outcome.error.message));
      else p.reject(new ForesightError(ErrorCodes.INTERNAL, 'The owner node answered a renewal batch without this renewal; renew the lock again.'));
    });
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
          this.schedule();
        });
    }, pause);
  }
}
