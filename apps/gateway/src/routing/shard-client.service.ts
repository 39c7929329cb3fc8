import { randomUUID } from 'node:crypto';
import { ErrorCodes, ForesightError, RequestIds, type ShardCommands, type ShardOp } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import { counter } from '@foresight/observability';
import { backoffDelay, sleep, type BackoffOptions } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { OwnerDirectory } from './owner-directory.service';

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
}

/** Operations that change a session: every attempt of one call carries the same request id. */
const WRITES = new Set<ShardOp>(['session.create', 'session.end', 'var.put', 'var.patch', 'var.delete', 'session.record_action']);

/**
 * Sends a command to the node that owns the session, following it across moves and failovers:
 * on a reroutable error it refreshes the owner table and retries with backoff, so a client sees
 * a handover as a slower request, not an error.
 */
export class ShardClient {
  private readonly retries;
  private readonly directory: OwnerDirectory;
  private readonly nc: NatsConnection;
  private readonly config: ForesightConfig;

  constructor(deps: ShardClientDeps) {
    this.directory = deps.directory;
    this.nc = deps.nc;
    this.config = deps.config;
    this.retries = counter(deps.metrics, 'foresight_gateway_reroutes_total', 'Commands retried on another owner', ['code']);
  }

  async call<K extends ShardOp>(sessionId: string, op: K, request: ShardCommands[K]['request'], ctx: CallContext): Promise<ShardCommands[K]['reply']> {
    const max = this.config.gateway.maxAttempts;
    let lastError: unknown;
    let timedOut = false;
    // A retry after a timeout may reach an owner that already applied the first attempt: the shard
    // node recognises the request id in the session's recent writes and does not apply it twice.
    const requestId = WRITES.has(op) ? (ctx.requestId ?? RequestIds.perCall(randomUUID())) : undefined;
    for (let attempt = 1; attempt <= max; attempt++) {
      try {
        const route = await this.directory.route(sessionId);
        return await callRpc<ShardCommands[K]['reply']>(this.nc, route.rpcSubject, op, request, {
          timeoutMs: this.config.nats.requestTimeoutMs,
          correlationId: ctx.correlationId,
          causationId: ctx.causationId,
          requestId,
        });
      } catch (error) {
        lastError = error;
        if (!(error instanceof ForesightError)) throw error;
        // A retried write whose first attempt did commit: report the outcome, not the echo.
        if (timedOut && op === 'session.create' && error.code === ErrorCodes.SESSION_VERSION_CONFLICT) {
          return (await this.call(sessionId, 'session.get', { sessionId }, ctx)) as ShardCommands[K]['reply'];
        }
        if (!REROUTE.has(error.code) || attempt === max) throw error;
        timedOut ||= error.code === ErrorCodes.TIMEOUT;
        this.retries.inc({ code: error.code });
        await this.directory.refresh().catch(() => undefined);
        await sleep(backoffDelay(attempt - 1, RETRY_BACKOFF, Math.random));
      }
    }
    throw lastError;
  }
}
