import { ErrorCodes, ForesightError, type SessionActionRecordedV1 } from '@foresight/contracts';
import type { ActionObservation } from './online-model';

/** `session.action_recorded` as published: the envelope plus its stream version and global position. */
export type PublishedActionEvent = SessionActionRecordedV1 & { readonly streamVersion: number; readonly position: number };

const MAX_ACTION_LENGTH = 256;
/** Session ids are base64url; anything else is not one of ours and must not reach a Postgres query. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function malformed(why: string): ForesightError {
  return new ForesightError(ErrorCodes.MALFORMED_MESSAGE, `Not a usable session.action_recorded event: ${why}.`);
}

/** Checks a decoded stream message; throws MESSAGE.MALFORMED (a poison message) when unusable. */
export function parseActionEvent(raw: unknown): ActionObservation {
  const e = raw as Partial<PublishedActionEvent> | null;
  if (e === null || typeof e !== 'object') throw malformed('not an object');
  if (e.type !== 'session.action_recorded' || e.version !== 1) throw malformed(`type ${String(e.type)} v${String(e.version)}`);
  if (typeof e.sessionId !== 'string' || !SESSION_ID.test(e.sessionId)) throw malformed('no base64url session id');
  if (!Number.isSafeInteger(e.streamVersion) || e.streamVersion! < 1) throw malformed('no stream version');
  if (!Number.isSafeInteger(e.position) || e.position! < 1) throw malformed('no position');
  const data = e.data as { action?: unknown; userId?: unknown } | undefined;
  if (typeof data?.action !== 'string' || data.action.length === 0 || data.action.length > MAX_ACTION_LENGTH) throw malformed('no action');
  if (data.action.includes('\u0000')) throw malformed('the action contains a NUL character');
  if (data.userId !== null && data.userId !== undefined && typeof data.userId !== 'string') throw malformed('userId is not a string');
  return {
    sessionId: e.sessionId,
    userId: typeof data.userId === 'string' && data.userId.length > 0 ? data.userId : null,
    action: data.action,
    streamVersion: e.streamVersion!,
    position: e.position!,
  };
}
