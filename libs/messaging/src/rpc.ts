import { ErrorCodes, ForesightError, Headers, RequestIds, isErrorBody, isTraceId, type ErrorBody, type RpcReply } from '@foresight/contracts';
import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { randomUUID } from 'node:crypto';
import { decode, encode } from './codec';

/** Request metadata every handler receives (from NATS headers). */
export interface RpcMeta {
  readonly op: string;
  /** The subject the request arrived on (it may carry an identity, e.g. a shard node's id). */
  readonly subject: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** Idempotency key of a write, from `Fs-Request-Id` (absent: no deduplication). */
  readonly requestId?: string;
}

export type RpcHandler = (request: unknown, meta: RpcMeta) => Promise<unknown>;

export interface RpcLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

function errorBody(error: unknown): ErrorBody {
  if (error instanceof ForesightError) return error.toJSON();
  return { code: ErrorCodes.INTERNAL, message: 'An internal error occurred; it has been logged.' };
}

/**
 * Serves request/reply on `subject` (in a queue group when given), dispatching on the `Fs-Op`
 * header. Every reply is a MessagePack RpcReply; nothing a client sends can crash the process.
 */
export function serveRpc(
  nc: NatsConnection,
  subject: string,
  handlers: Readonly<Record<string, RpcHandler>>,
  options: { queue?: string; logger: RpcLogger; onRequest?: (op: string, ms: number, ok: boolean) => void },
): Subscription {
  // A reply that cannot be sent still gets an answer, or the caller would wait for its timeout and retry.
  const respond = (msg: Msg, reply: RpcReply<unknown>) => {
    if (!msg.reply) return;
    let data: Uint8Array;
    try {
      data = encode(reply);
    } catch (error) {
      options.logger.error({ err: error, subject }, 'could not encode reply');
      data = encode(failure(ErrorCodes.INTERNAL, 'The reply could not be encoded; it has been logged.'));
    }
    try {
      msg.respond(data);
    } catch (error) {
      if (!isMaxPayloadError(error)) {
        options.logger.error({ err: error, subject }, 'could not send reply');
        return;
      }
      const max = nc.info?.max_payload;
      try {
        msg.respond(
          encode(
            failure(
              ErrorCodes.PAYLOAD_TOO_LARGE,
              `The reply would be ${data.length} bytes, more than the message bus carries (${max ?? 'max_payload'} bytes); ask for less at once (for a session, read some groups with ?groups=).`,
            ),
          ),
        );
      } catch (again) {
        options.logger.error({ err: again, subject }, 'could not send reply');
      }
    }
  };
  return nc.subscribe(subject, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) {
        options.logger.error({ err, subject }, 'subscription error');
        return;
      }
      const started = performance.now();
      const op = msg.headers?.get(Headers.op) ?? '';
      const meta: RpcMeta = {
        op,
        subject: msg.subject,
        // Ids that end up in every event are bounded: an over-long or odd one is replaced.
        correlationId: traceHeader(msg.headers, Headers.correlationId) ?? randomUUID(),
        causationId: traceHeader(msg.headers, Headers.causationId) ?? '',
        ...requestIdOf(msg.headers),
      };
      const handler = Object.prototype.hasOwnProperty.call(handlers, op) ? handlers[op] : undefined;
      if (!handler) {
        respond(msg, { ok: false, error: { code: ErrorCodes.UNKNOWN_OPERATION, message: `Unknown operation "${op.slice(0, 60)}" on ${subject}.` } });
        return;
      }
      let request: unknown;
      try {
        request = decode(msg.data);
      } catch (error) {
        options.logger.warn({ subject, op, correlationId: meta.correlationId }, 'undecodable request');
        respond(msg, { ok: false, error: errorBody(error) });
        return;
      }
      handler(request, meta).then(
        (result) => {
          options.onRequest?.(op, performance.now() - started, true);
          respond(msg, { ok: true, result });
        },
        (error: unknown) => {
          options.onRequest?.(op, performance.now() - started, false);
          if (!(error instanceof ForesightError)) options.logger.error({ err: error, subject, op, correlationId: meta.correlationId }, 'handler failed');
          respond(msg, { ok: false, error: errorBody(error) });
        },
      );
    },
  });
}

/** Longest idempotency key accepted on the wire; longer or empty ones are ignored. */
const MAX_REQUEST_ID_LENGTH = 200;

function requestIdOf(h: MsgHdrs | undefined): { requestId?: string } {
  const id = h?.get(Headers.requestId) ?? '';
  return id.length <= MAX_REQUEST_ID_LENGTH && RequestIds.is(id) ? { requestId: id } : {};
}

function traceHeader(h: MsgHdrs | undefined, name: string): string | undefined {
  const value = h?.get(name);
  return isTraceId(value) ? value : undefined;
}

function failure(code: ErrorBody['code'], message: string): RpcReply<never> {
  return { ok: false, error: { code, message } };
}

function isMaxPayloadError(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'MAX_PAYLOAD_EXCEEDED';
}

/**
 * Encodes a request; failing to is the caller's fault (a value nested too deeply for the encoder's
 * recursion, or one MessagePack cannot carry), so it is REQUEST.INVALID at once, never retried.
 */
function encodeRequest(request: unknown): Uint8Array {
  try {
    return encode(request);
  } catch {
    throw new ForesightError(
      ErrorCodes.VALIDATION,
      'The request cannot be sent: it is nested too deeply or holds a value the message bus cannot carry (such as a huge integer).',
    );
  }
}

/**
 * Calls a request/reply endpoint; failures come back as ForesightErrors with stable codes. A request
 * the bus cannot carry fails at once with REQUEST.INVALID or REQUEST.TOO_LARGE (the caller's fault,
 * not worth a retry); only a missing responder or a timeout is SERVICE.UNAVAILABLE / SERVICE.TIMEOUT.
 */
export async function callRpc<T>(
  nc: NatsConnection,
  subject: string,
  op: string,
  request: unknown,
  options: { timeoutMs: number; correlationId?: string; causationId?: string; requestId?: string },
): Promise<T> {
  const h: MsgHdrs = natsHeaders();
  h.set(Headers.op, op);
  if (isTraceId(options.correlationId)) h.set(Headers.correlationId, options.correlationId);
  if (isTraceId(options.causationId)) h.set(Headers.causationId, options.causationId);
  if (options.requestId) h.set(Headers.requestId, options.requestId);
  const payload = encodeRequest(request);
  let msg: Msg;
  try {
    msg = await nc.request(subject, payload, { timeout: options.timeoutMs, headers: h });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (isMaxPayloadError(error)) {
      const max = nc.info?.max_payload;
      throw new ForesightError(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `The request is ${payload.length} bytes once encoded, more than the message bus carries (${max ?? 'max_payload'} bytes); send less data at once.`,
        { bytes: payload.length, ...(max ? { limit: max } : {}) },
      );
    }
    if (code === '503') throw new ForesightError(ErrorCodes.UNAVAILABLE, `No service is listening on ${subject}.`, { subject, noResponders: true });
    if (code === 'TIMEOUT') throw new ForesightError(ErrorCodes.TIMEOUT, `${subject} did not answer within ${options.timeoutMs} ms.`, { subject });
    throw new ForesightError(ErrorCodes.UNAVAILABLE, `Request to ${subject} failed: ${(error as Error).message}`, { subject });
  }
  let reply: RpcReply<T>;
  try {
    reply = decode<RpcReply<T>>(msg.data);
  } catch {
    // The responder's fault, not the caller's, and asking again would get the same answer.
    throw new ForesightError(ErrorCodes.INTERNAL, `${subject} sent a reply that could not be decoded.`, { subject });
  }
  if (reply && reply.ok === true) return reply.result;
  if (reply && reply.ok === false && isErrorBody(reply.error)) throw new ForesightError(reply.error.code, reply.error.message, reply.error.details);
  throw new ForesightError(ErrorCodes.INTERNAL, `${subject} sent a reply that is not an RpcReply.`, { subject });
}
