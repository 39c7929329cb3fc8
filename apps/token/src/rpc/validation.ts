import { ErrorCodes, ForesightError, isStorableText, unstorableTextMessage } from '@foresight/contracts';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const invalid = (message: string) => new ForesightError(ErrorCodes.VALIDATION, message);

export function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('The request must be a map.');
  return raw as Record<string, unknown>;
}

export function sessionIdOf(b: Record<string, unknown>): string {
  const v = b.sessionId;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64 || !BASE64URL.test(v)) throw invalid('"sessionId" must be a session id.');
  return v;
}

export function familyIdOf(b: Record<string, unknown>, required: true): string;
export function familyIdOf(b: Record<string, unknown>, required: false): string | undefined;
export function familyIdOf(b: Record<string, unknown>, required: boolean): string | undefined {
  const v = b.familyId;
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !UUID.test(v)) throw invalid('"familyId" must be a token family id (UUID).');
  return v;
}

export function text(b: Record<string, unknown>, key: string, max: number): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw invalid(`"${key}" must be a non-empty string of at most ${max} characters.`);
  return v;
}

/** {@link text} kept in a Postgres text column (a user id): no NUL, no unpaired surrogate. */
export function storableText(b: Record<string, unknown>, key: string, max: number): string {
  const v = text(b, key, max);
  if (!isStorableText(v)) throw invalid(unstorableTextMessage(key));
  return v;
}

export function generationOf(b: Record<string, unknown>, key: string): number {
  const v = b[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalid(`"${key}" must be a non-negative integer.`);
  return v;
}
