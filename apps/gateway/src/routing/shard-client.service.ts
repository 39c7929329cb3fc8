import { randomUUID } from 'node:crypto';
import { ErrorCodes, ForesightError, RequestIds, type ShardCommands, type ShardOp } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import { counter } from '@foresight/observability';
import { backoffDelay, type BackoffOptions } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { NodeHealthReporter } from './node-health';
import type { OwnerDirectory, Route } from './owner-directory.service';

/**
 * Errors that mean "the session is moving or its owner is down": look up the owner and try again.
 * Anything else is the answer, at once: bad input, a request the bus cannot carry, a reply that
 * does not decode — retrying would only repeat it.
 */
const REROUTE = new Set<string>([ErrorCodes.NOT_OWNER, ErrorCodes.STALE_EPOCH, ErrorCodes.NO_OWNER, ErrorCodes.UNAVAILABLE, ErrorCodes.TIMEOUT]);

export interface CallContext {
  readonly correlationId: string;
  readonly causationId: string;
  /** Idempotency key of a write (from the client's Idempotency-Key); generated per call when absent. */
  readonly requestId?: string;
  /** Aborted when the caller has gone: no further attempt is made (the caller retries, if it wants). */
  readonly signal?: AbortSignal;
  /** A write's lock token (the `lock-token` header), required on a session under an exclusive lock. */
  readonly lockToken?: string;
}

/**
 * Pause before each retry. Equal jitter keeps gateways that saw the same failover from retrying in
 * lockstep; it averages 3/4 of the nominal delay, so the nominal delays are 4/3 of the former fixed
 * 50 ms → 1 s schedule: over the default 12 attempts the gateway still waits 7.55 s on average
 * (never less than 5 s) for a new owner, the failover window the resilience tests rely on.
 */
export const RETRY_BACKOFF: BackoffOptions = { baseMs: 200 / 3, maxMs: 4000 / 3, jitter: 'equal' };

export interface ShardClientDeps {
  readonly directory: OwnerDirectory;
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly metrics: Registry;
  /** Told every attempt's latency and outcome per node (the degradation check's input). */
  readonly health?: Pick<NodeHealthReporter, 'begin' | 'end'>;
}

/** Operations that change a session: every attempt of one call carries the same request id. */
const WRITES = new Set<ShardOp>(['session.create', 'session.end', 'var.put', 'var.patch', 'var.delete', 'session.record_action', 'lock.acquire']);

/**
 * Sends a command to the node that owns the session, following it across moves and failovers:
 * on a reroutable error it refreshes the owner table and retries with backoff, so a client sees
 * a handover as a slower request, not an error.
 */
export class ShardClient {
  private readonly retries;
  private readonly abandoned;
  private readonly directory: OwnerDirectory;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;
  private readonly health: NonNullable<ShardClientDeps['health']>;

  constructor(deps: ShardClientDeps) {
    this.health = deps.health ?? { begin: () => 0, end: () => undefined };
    this.directory = deps.directory;
    this.nc = deps.nc;
    this.config = deps.config;
    this.retries = counter(deps.metrics, 'foresight_gateway_reroutes_total', 'Commands retried on another owner', ['code']);
    this.abandoned = counter(deps.metrics, 'foresight_gateway_abandoned_calls_total', 'Calls not retried further because their caller had gone');
  }

  async call<K extends ShardOp>(sessionId: string, op: K, request: ShardCommands[K]['request'], ctx: CallContext): Promise<ShardCommands[K]['reply']> {
    const max = this.config.gateway.maxAttempts;
    let lastError: unknown;
    let timedOut = false;
    // A retry after a timeout may reach an owner that already applied the first attempt: the shard
    // node recognises the request id in the session's recent writes and does not apply it twice.
    const requestId = WRITES.has(op) ? (ctx.requestId ?? RequestIds.perCall(randomUUID())) : undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      if (attempt > 1) this.stopIfCallerGone(ctx, lastError);
      let route: Route | null = null;
      const version = this.directory.version;
      try {
        route = await this.directory.route(sessionId);
        return await this.attempt(route, op, request, ctx, requestId);
      } catch (error) {
        lastError = error;
        if (!(error instanceof ForesightError)) throw error;
        // A retried write whose first attempt did commit: report the outcome, not the echo.
        if (timedOut && op === 'session.create' && error.code === ErrorCodes.SESSION_VERSION_CONFLICT) {
          return (await this.call(sessionId, 'session.get', { sessionId }, ctx)) as ShardCommands[K]['reply'];
        }
        if (!REROUTE.has(error.code) || attempt === max) throw error;
        this.stopIfCallerGone(ctx, error);
        timedOut ||= error.code === ErrorCodes.TIMEOUT;
        this.retries.inc({ code: error.details?.ownerMoved === true ? 'OWNER_MOVED' : error.code });
        await this.directory.refresh().catch(() => undefined);
        // The table already names a new owner: go there now. Otherwise wait for one, at most the backoff.
        await this.directory.waitForMove(route, version, backoffDelay(attempt - 1, RETRY_BACKOFF, Math.random), ctx.signal);
      }
    }
    throw lastError;
  }

  /**
   * One attempt on the owner `route` names. Should the table move the shard to another owner while
   * the attempt waits (the owner froze or died, and the failure detector moved its shards), the
   * attempt is given up at once rather than at its timeout: the old owner can no longer commit under
   * its fenced epoch, and a write it did commit is recognised by its request id on the new owner.
   */
  private async attempt<K extends ShardOp>(
    route: Route,
    op: K,
    request: ShardCommands[K]['request'],
    ctx: CallContext,
    requestId: string | undefined,
  ): Promise<ShardCommands[K]['reply']> {
    const call = callRpc<ShardCommands[K]['reply']>(this.nc, route.rpcSubject, op, request, {
      timeoutMs: this.config.nats.requestTimeoutMs,
      correlationId: ctx.correlationId,
      causationId: ctx.causationId,
      requestId,
    });
    const move = this.directory.watchMove(route, this.directory.version);
    const sample = this.health.begin(route);
    // The answer, or null when the table moved the shard first.
    let answered: { readonly reply: ShardCommands[K]['reply'] } | null;
    try {
      answered = await Promise.race([call.then((reply) => ({ reply })), move.moved.then(() => null)]);
    } catch (error) {
      // A timeout counts against the node; its answers, even errors, are latency like any other.
      // "Unavailable" is not the node's slowness (a handoff it waits for, no lease, nobody there: the
      // failure detector's business).
      const counts = error instanceof ForesightError && error.code !== ErrorCodes.UNAVAILABLE;
      this.health.end(sample, counts ? error.code === ErrorCodes.TIMEOUT : null);
      throw error;
    } finally {
      move.stop();
      call.catch(() => undefined);
    }
    if (answered === null) {
      // Given up because the shard moved: says nothing about the node.
      this.health.end(sample, null);
      throw new ForesightError(ErrorCodes.TIMEOUT, `Shard ${route.shard} moved from node ${route.nodeId} while the request waited for it.`, {
        shard: route.shard,
        ownerMoved: true,
      });
    }
    this.health.end(sample, false);
    return answered.reply;
  }

  /**
   * A caller that has gone retries by itself, if it wants, with the same request id: two chains of
   * attempts for one write would race, and the later one could arrive after the session has
   * forgotten the id, applying the write twice. The attempt in flight is never recalled (its answer
   * is dropped); no further one is made.
   */
  private stopIfCallerGone(ctx: CallContext, lastError: unknown): void {
    if (!ctx.signal?.aborted) return;
    this.abandoned.inc();
    throw cancelled(lastError);
  }
}

function cancelled(cause: unknown): ForesightError {
  const last = cause instanceof ForesightError ? ` (last attempt: ${cause.code})` : '';
  return new ForesightError(ErrorCodes.CANCELLED, `The caller closed its connection; the call was not retried further${last}.`);
}
