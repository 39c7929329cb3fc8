import type { AgentMeter } from './agent.js';
import { backoffDelay, sleep, type RetryPolicy } from './backoff.js';
import {
  AbortedError,
  BadResponseError,
  ClientErrorCodes,
  ConnectionError,
  DeadlineExceededError,
  errorFromEnvelope,
  ForesightError,
  RateLimitedError,
  UnavailableError,
} from './errors.js';
import { OPERATIONS, type OperationId, type Operations, type OperationSpec } from './generated/contract.js';
import { randomId } from './ids.js';

/** The subset of `fetch` the client uses (Node 20+'s global, a browser's, or one you pass). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{
  readonly status: number;
  /** Response headers (the client reads `foresight-preferred-edge`); optional for fetch stand-ins. */
  readonly headers?: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** The response header naming the gateway (edge) a session's requests should go to. */
export const PREFERRED_EDGE_HEADER = 'foresight-preferred-edge';
/** How long a gateway that did not answer is passed over when a session prefers it. */
const UNREACHABLE_FOR_MS = 5000;
/** Most sessions whose preferred gateway is remembered. */
const MAX_PREFERENCES = 10_000;

/** Per-call options of every method. */
export interface CallOptions {
  /** Cancels the call (its retries and back-offs included): rejects with `AbortedError`. */
  readonly signal?: AbortSignal;
  /** Deadline of the whole call, retries included (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** For writes: the key every attempt carries. Default: a fresh random key per call. */
  readonly idempotencyKey?: string;
  /** Sent as `x-correlation-id`, so the call can be found in the gateway's logs and events. */
  readonly correlationId?: string;
  /** For writes: the token of the exclusive lock held on the session (`lock-token` header; `withLock` sets it). */
  readonly lockToken?: string;
}

/** Where credentials come from: an API key, or a session's access token (which may need a refresh first). */
export interface Credentials {
  headers(op: OperationSpec, signal: AbortSignal): Promise<Record<string, string>> | Record<string, string>;
  /** After a 401 of a token: true when a fresh token is worth one more attempt. */
  onAuthFailure?(error: ForesightError): Promise<boolean>;
}

export interface TransportOptions {
  readonly gateways: readonly string[];
  readonly fetch: FetchLike;
  readonly credentials: Credentials;
  readonly timeoutMs: number;
  /** Longest single attempt; a slower one is abandoned and retried (same idempotency key). */
  readonly attemptTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly meter?: AgentMeter;
  /** Sent as `Foresight-Client-Id` (the agent's id), so the agent's reports reach the weights of this client's sessions. */
  readonly clientId?: string;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface Request<Op extends OperationId> {
  readonly params?: Operations[Op]['params'];
  readonly query?: Operations[Op]['query'];
  /** The body, already encoded (the caller checked its size against the gateway's limits). */
  readonly body?: string;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A failure of one attempt that another attempt may not have: the gateway's 503/504, 429, no
 * connection, an attempt that ran out of its time (the call's own deadline is never retried).
 */
function worthRetrying(error: ForesightError): boolean {
  return error.retryable || error instanceof DeadlineExceededError;
}

/**
 * One HTTP exchange per attempt, with a deadline for the whole call, retries with full-jitter
 * back-off on 503/504, 429 and connection failures (moving to the next gateway when one does not
 * answer), one `Idempotency-Key` for every attempt of a write, and the agent's measurements.
 */
export class Transport {
  private current = 0;
  /** Session id → index of the gateway the session's answers named as its preferred edge. */
  private readonly preferred = new Map<string, number>();
  /** Gateway index → until when it is passed over (it did not answer). */
  private readonly unreachableUntil = new Map<number, number>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: TransportOptions) {
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
  }

  get gateway(): string {
    return this.options.gateways[this.current]!;
  }

  async call<Op extends OperationId>(op: Op, request: Request<Op>, call: CallOptions = {}, measured = true): Promise<Operations[Op]['response']> {
    const spec: OperationSpec = OPERATIONS[op];
    const path = fillPath(spec, request.params as Record<string, string> | undefined) + queryString(request.query as Record<string, unknown> | undefined);
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs;
    const deadline = this.now() + timeoutMs;
    const idempotencyKey = WRITES.has(spec.method) ? (call.idempotencyKey ?? randomId()) : undefined;
    let lastError: ForesightError | undefined;
    let refreshedCredentials = false;
    const sessionId = sessionOf(spec, request.params as Record<string, string> | undefined);
    for (let attempt = 1; ; attempt++) {
      if (call.signal?.aborted) throw aborted(call.signal);
      const remaining = deadline - this.now();
      if (remaining <= 0) throw deadlineExceeded(op, timeoutMs, lastError);
      const preferredIndex = sessionId !== undefined ? this.preferredIndex(sessionId) : undefined;
      const gatewayIndex = preferredIndex ?? this.current;
      const gateway = this.options.gateways[gatewayIndex]!;
      const outcome = await this.attempt(spec, gateway, path, request.body, idempotencyKey, call, Math.min(remaining, this.options.attemptTimeoutMs), measured);
      if (outcome.ok) {
        this.follow(sessionId ?? createdSessionId(spec, outcome.value), outcome.preferredEdge);
        return outcome.value as Operations[Op]['response'];
      }
      if (outcome.preferredEdge !== undefined && sessionId !== undefined) this.follow(sessionId, outcome.preferredEdge);
      const error = outcome.error;
      if (error instanceof AbortedError) throw error;
      if (!refreshedCredentials && error.status === 401 && error.code.startsWith('TOKEN.') && this.options.credentials.onAuthFailure) {
        refreshedCredentials = true;
        if (await this.options.credentials.onAuthFailure(error)) {
          attempt--;
          continue;
        }
      }
      if (!worthRetrying(error) || attempt >= this.options.retry.maxAttempts)
        throw error.code === ClientErrorCodes.DEADLINE_EXCEEDED ? deadlineExceeded(op, timeoutMs, error) : error;
      lastError = error;
      // A gateway that does not answer, or has no owner to route to, may be alone in that: try the next.
      if (error instanceof ConnectionError || error.code === ClientErrorCodes.DEADLINE_EXCEEDED || error.status === 503) {
        if (error instanceof ConnectionError || error.code === ClientErrorCodes.DEADLINE_EXCEEDED)
          this.unreachableUntil.set(gatewayIndex, this.now() + UNREACHABLE_FOR_MS);
        if (this.current === gatewayIndex) this.current = (gatewayIndex + 1) % this.options.gateways.length;
        if (preferredIndex === gatewayIndex && sessionId !== undefined) this.preferred.delete(sessionId);
      }
      let delay = backoffDelay(attempt, this.options.retry, this.random);
      if (error instanceof RateLimitedError && error.retryAfterMs !== undefined) delay = Math.max(delay, error.retryAfterMs);
      if (this.now() + delay >= deadline) throw deadlineExceeded(op, timeoutMs, error);
      try {
        await sleep(delay, call.signal);
      } catch {
        throw aborted(call.signal!);
      }
    }
  }

  /** The gateway a session prefers, unless it has just failed to answer. */
  private preferredIndex(sessionId: string): number | undefined {
    const i = this.preferred.get(sessionId);
    if (i === undefined) return undefined;
    return (this.unreachableUntil.get(i) ?? 0) > this.now() ? undefined : i;
  }

  /** Follows a preferred-edge header, when it names one of the configured gateways (never an unknown host). */
  private follow(sessionId: string | undefined, url: string | undefined): void {
    if (sessionId === undefined || url === undefined) return;
    const i = this.options.gateways.indexOf(url.replace(/\/+$/, ''));
    if (i < 0) return;
    this.preferred.delete(sessionId);
    this.preferred.set(sessionId, i);
    while (this.preferred.size > MAX_PREFERENCES) this.preferred.delete(this.preferred.keys().next().value!);
  }

  private async attempt(
    spec: OperationSpec,
    gateway: string,
    path: string,
    body: string | undefined,
    idempotencyKey: string | undefined,
    call: CallOptions,
    budgetMs: number,
    measured: boolean,
  ): Promise<{ ok: true; value: unknown; preferredEdge?: string } | { ok: false; error: ForesightError; preferredEdge?: string }> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, budgetMs);
    const onAbort = () => controller.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const started = this.now();
    const record = (failed: boolean) => measured && this.options.meter?.record(gateway, this.now() - started, failed);
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...(await this.options.credentials.headers(spec, controller.signal)) };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      if (call.correlationId !== undefined) headers['x-correlation-id'] = call.correlationId;
      if (call.lockToken !== undefined) headers['lock-token'] = call.lockToken;
      if (this.options.clientId !== undefined) headers['foresight-client-id'] = this.options.clientId;
      let status: number;
      let text: string;
      let preferredEdge: string | undefined;
      try {
        const response = await this.options.fetch(`${gateway}${path}`, { method: spec.method, headers, body, signal: controller.signal });
        status = response.status;
        preferredEdge = response.headers?.get(PREFERRED_EDGE_HEADER) ?? undefined;
        text = await response.text();
      } catch (cause) {
        record(true);
        if (call.signal?.aborted) return { ok: false, error: aborted(call.signal) };
        if (timedOut) {
          return {
            ok: false,
            error: new DeadlineExceededError({ code: ClientErrorCodes.DEADLINE_EXCEEDED, message: `${gateway} did not answer within ${budgetMs} ms.`, cause }),
          };
        }
        return {
          ok: false,
          error: new ConnectionError({ code: ClientErrorCodes.CONNECTION, message: `Could not reach the gateway at ${gateway}: ${describe(cause)}.`, cause }),
        };
      }
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        record(status >= 500);
        return {
          ok: false,
          error:
            status >= 500
              ? new UnavailableError({ code: 'SERVICE.UNAVAILABLE', status, message: `${gateway} answered ${status} with a body that is not JSON.` })
              : notJson(gateway, status),
        };
      }
      record(status >= 500);
      if (status === spec.success || (status >= 200 && status < 300)) return { ok: true, value: parsed, preferredEdge };
      return { ok: false, error: errorFromEnvelope(status, parsed), preferredEdge };
    } catch (error) {
      // Credentials could not be had (a refresh that failed): that is the call's outcome.
      if (call.signal?.aborted) return { ok: false, error: aborted(call.signal) };
      if (error instanceof ForesightError) return { ok: false, error };
      throw error;
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** The session a call is about: the `{id}` of a `/v1/sessions/{id}…` path. */
function sessionOf(spec: OperationSpec, params: Record<string, string> | undefined): string | undefined {
  return spec.path.startsWith('/v1/sessions/{id}') ? params?.id : undefined;
}

/** The id of a session a create returned. */
function createdSessionId(spec: OperationSpec, value: unknown): string | undefined {
  if (spec.method !== 'POST' || spec.path !== '/v1/sessions') return undefined;
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function fillPath(spec: OperationSpec, params: Record<string, string> | undefined): string {
  return spec.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`${spec.method} ${spec.path} needs the path parameter "${name}"`);
    return encodeURIComponent(value);
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function describe(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (inner && typeof inner.code === 'string') return inner.code;
  return cause instanceof Error ? cause.message : String(cause);
}

function notJson(gateway: string, status: number): ForesightError {
  return new BadResponseError({
    code: ClientErrorCodes.BAD_RESPONSE,
    status,
    message: `${gateway} answered ${status} with a body that is not JSON: is this the URL of a Foresight gateway?`,
  });
}

function aborted(signal: AbortSignal): AbortedError {
  return new AbortedError({ code: ClientErrorCodes.ABORTED, message: 'The call was aborted by its AbortSignal.', cause: signal.reason });
}

function deadlineExceeded(op: string, timeoutMs: number, last: ForesightError | undefined): DeadlineExceededError {
  const after = last ? ` Last failure: ${last.message}` : '';
  return new DeadlineExceededError({
    code: ClientErrorCodes.DEADLINE_EXCEEDED,
    message: `${op} did not complete within its ${timeoutMs} ms deadline.${after}`,
    cause: last,
  });
}
