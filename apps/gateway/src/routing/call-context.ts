import { ErrorCodes, ForesightError, RequestIds } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import type { CallContext } from './shard-client.service';

/** `Idempotency-Key`: printable ASCII without spaces, as in the IETF draft's examples (UUIDs, ULIDs). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The context of one API call: its correlation id (from `x-correlation-id` or generated) and, when
 * the client sent an `Idempotency-Key` header, the request id every attempt of the write carries, so
 * a client's own retry is applied once (within the session's last 32 writes). Without the header the
 * gateway still makes its internal retries idempotent with a fresh id per call.
 */
export function callContext(req: FastifyRequest): CallContext {
  const id = String(req.id);
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return { correlationId: id, causationId: id };
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new ForesightError(ErrorCodes.VALIDATION, 'The Idempotency-Key header must be 1–128 printable ASCII characters without spaces (e.g. a UUID).');
  }
  return { correlationId: id, causationId: id, requestId: RequestIds.fromClient(raw) };
}
