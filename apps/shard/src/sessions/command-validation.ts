import { ErrorCodes, ForesightError, Headers, isStorableText, isWellFormedText, unstorableTextMessage, type JsonValue } from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';

const bad = (message: string): never => {
  throw new ForesightError(ErrorCodes.VALIDATION, message);
};

/**
 * True for values JSON can carry (no binary, no undefined, finite numbers, strings and keys with a
 * UTF-8 form), up to a nesting depth. NUL is fine: variables are stored as MessagePack bytes.
 */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false;
  if (typeof value === 'string') return isWellFormedText(value);
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value as object).every(([k, v]) => isWellFormedText(k) && isJsonValue(v, depth + 1));
  }
  return false;
}

/** Reads a request body that must be an object. */
export function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('The request must be a map of fields.');
  return raw as Record<string, unknown>;
}

/** A string field; it may end up in a Postgres text column (user id), so it must be storable there. */
export function str(b: Record<string, unknown>, key: string, max = 256): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return bad(`"${key}" must be a non-empty string of at most ${max} characters.`);
  if (!isStorableText(v)) return bad(unstorableTextMessage(key));
  return v;
}

/**
 * The ids a write's events carry into Postgres text columns (correlation, causation, request id)
 * come from NATS headers, which may hold NUL: refuse the request rather than fail its append.
 */
export function checkMeta(meta: RpcMeta): void {
  if (!isStorableText(meta.correlationId)) bad(unstorableTextMessage(`${Headers.correlationId} header`));
  if (!isStorableText(meta.causationId)) bad(unstorableTextMessage(`${Headers.causationId} header`));
  if (meta.requestId !== undefined && !isStorableText(meta.requestId)) bad(unstorableTextMessage(`${Headers.requestId} header`));
}

export function optionalInt(b: Record<string, unknown>, key: string, min = 0): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return bad(`"${key}" must be an integer ≥ ${min}.`);
  return v;
}

export function json(b: Record<string, unknown>, key: string): JsonValue {
  if (!(key in b)) return bad(`"${key}" is required.`);
  const v = b[key];
  if (!isJsonValue(v)) return bad(`"${key}" must be a JSON value (no binary data, no non-finite numbers, no unpaired UTF-16 surrogates, at most 64 levels deep).`);
  return v;
}

export function groupsArg(b: Record<string, unknown>, key: string): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((g) => typeof g === 'string')) return bad(`"${key}" must be a list of group names.`);
  return v as string[];
}
