import { ErrorCodes, ForesightError, LOCK_TOKEN_PATTERN, RequestIds } from '@foresight/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { CallContext } from './shard-client.service';

/** `Idempotency-Key`: printable ASCII without spaces, as in the IETF draft's examples (UUIDs, ULIDs). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

const LOCK_TOKEN = new RegExp(LOCK_TOKEN_PATTERN);

/** The response of each request, kept for {@link callContext}'s caller-gone signal (a decoration set by {@link trackCallers}). */
const RESPONSE = 'callerResponse';
type TrackedRequest = FastifyRequest & { [RESPONSE]?: ServerResponse | null };

/**
 * Notices a caller that goes away: a client whose attempt timed out closes its connection and
 * retries, and the gateway must then stop retrying the abandoned attempt. Left running, the
 * abandoned attempt could reach the session's owner after the client's retry and many later writes,
 * when the session no longer remembers its request id, and apply the write a second time.
 *
 * Per request this only remembers the response; the signal itself is made by {@link callContext},
 * when a call to an owner needs it (a read answered from the edge cache never does).
 */
export function trackCallers(fastify: FastifyInstance): void {
  fastify.decorateRequest(RESPONSE, null);
  fastify.addHook('onRequest', (request, reply, done) => {
    (request as TrackedRequest)[RESPONSE] = reply.raw;
    done();
  });
}

/** Aborted when the caller closes its connection before the answer was written (already aborted if it has). */
function callerGone(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (response.writableFinished) return controller.signal;
  const socket = response.socket;
  if (response.destroyed || !socket || socket.destroyed) {
    controller.abort();
    return controller.signal;
  }
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The context of one API call: its correlation id (from `x-correlation-id` or generated), the signal
 * of its caller going away and, when the client sent an `Idempotency-Key` header, the request id
 * every attempt of the write carries, so a client's own retry is applied once (within the session's
 * last 32 writes). Without the header the gateway still makes its internal retries idempotent with
 * a fresh id per call.
 */
export function callContext(req: FastifyRequest): CallContext {
  const id = String(req.id);
  const response = (req as TrackedRequest)[RESPONSE];
  const signal = response ? callerGone(response) : undefined;
  const base: CallContext = { correlationId: id, causationId: id, ...(signal ? { signal } : {}), ...lockTokenOf(req) };
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return base;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new ForesightError(ErrorCodes.VALIDATION, 'The Idempotency-Key header must be 1–128 printable ASCII characters without spaces (e.g. a UUID).');
  }
  return { ...base, requestId: RequestIds.fromClient(raw) };
}

/** The `lock-token` header: a write's proof that it holds the session's exclusive lock. */
function lockTokenOf(req: FastifyRequest): { lockToken?: string } {
  const raw = req.headers['lock-token'];
  if (raw === undefined) return {};
  if (typeof raw !== 'string' || !LOCK_TOKEN.test(raw)) {
    throw new ForesightError(
      ErrorCodes.VALIDATION,
      'The lock-token header must be one lock token as returned by POST /v1/sessions/{id}/locks (lk_ and 22 base64url characters).',
    );
  }
  return { lockToken: raw };
}
