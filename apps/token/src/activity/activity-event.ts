import { ErrorCodes, ForesightError, SESSION_EVENT_TYPES, type Envelope } from '@foresight/contracts';

/** What the token service takes from a session event: activity, or the end of the session. */
export type ActivityEvent =
  | { readonly kind: 'ended'; readonly sessionId: string; readonly eventId: string; readonly correlationId: string; readonly type: 'session.ended' }
  | { readonly kind: 'activity'; readonly sessionId: string; readonly at: number; readonly idleTimeoutMs?: number; readonly type: string };

/** Session ids are base64url; anything else is not a session of ours and must not reach Postgres. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function malformed(why: string): ForesightError {
  return new ForesightError(ErrorCodes.MALFORMED_MESSAGE, `Not a usable session event: ${why}.`);
}

/**
 * Checks a session event's envelope fields and the `data` the token service reads; throws
 * MESSAGE.MALFORMED (a poison message, terminated) when unusable. `type` is a metrics label, so an
 * unknown type is reported as `other` (a newer event still counts as activity).
 */
export function parseActivityEvent(event: Envelope): ActivityEvent {
  if (typeof event.sessionId !== 'string' || !SESSION_ID.test(event.sessionId)) throw malformed('the session id is not base64url');
  const at = typeof event.occurredAt === 'string' ? Date.parse(event.occurredAt) : Number.NaN;
  if (!Number.isFinite(at)) throw malformed('occurredAt is not an instant');
  if (event.type === 'session.ended') {
    if (typeof event.id !== 'string' || typeof event.correlationId !== 'string') throw malformed('no event or correlation id');
    return { kind: 'ended', sessionId: event.sessionId, eventId: event.id, correlationId: event.correlationId, type: 'session.ended' };
  }
  const type = (SESSION_EVENT_TYPES as readonly string[]).includes(event.type) ? event.type : 'other';
  if (event.type === 'session.created' && event.version === 1) {
    const idle = (event.data as { idleTimeoutMs?: unknown } | null)?.idleTimeoutMs;
    if (typeof idle !== 'number' || !Number.isSafeInteger(idle) || idle <= 0) throw malformed('data.idleTimeoutMs is not a positive integer');
    return { kind: 'activity', sessionId: event.sessionId, at, idleTimeoutMs: idle, type };
  }
  return { kind: 'activity', sessionId: event.sessionId, at, type };
}
