import { ErrorCodes, ForesightError, type JsonValue } from '@foresight/contracts';

const bad = (message: string): never => {
  throw new ForesightError(ErrorCodes.VALIDATION, message);
};

/** True for values JSON can carry (no binary, no undefined, finite numbers), up to a nesting depth. */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value as object).every((v) => isJsonValue(v, depth + 1));
  }
  return false;
}

/** Reads a request body that must be an object. */
export function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('The request must be a map of fields.');
  return raw as Record<string, unknown>;
}

export function str(b: Record<string, unknown>, key: string, max = 256): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) return bad(`"${key}" must be a non-empty string of at most ${max} characters.`);
  return v;
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
  if (!isJsonValue(v)) return bad(`"${key}" must be a JSON value (no binary data, no non-finite numbers, at most 64 levels deep).`);
  return v;
}

export function groupsArg(b: Record<string, unknown>, key: string): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((g) => typeof g === 'string')) return bad(`"${key}" must be a list of group names.`);
  return v as string[];
}
