import { Kind, Type, TypeRegistry, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Limits } from '../limits';
import type { JsonValue } from '../session-events';
import { isWellFormedText } from '../text';

/** Options of the JsonValue kind; they travel in the schema, so the document shows the limits. */
export interface JsonValueLimits {
  readonly maxDepth: number;
  readonly maxKeysPerObject: number;
  readonly maxKeysTotal: number;
}

const DEFAULT_LIMITS: JsonValueLimits = {
  maxDepth: Limits.jsonMaxDepth,
  maxKeysPerObject: Limits.jsonMaxKeysPerObject,
  maxKeysTotal: Limits.jsonMaxKeysTotal,
};

/** What is wrong with a would-be JSON value, with the JSON pointer of the culprit. */
export interface JsonValueProblem {
  /** Where, as a JSON pointer into the value ("" for the value itself). */
  readonly pointer: string;
  /** The rule broken, completing "must be a JSON value …". */
  readonly rule: string;
}

const escape = (p: string | number) => String(p).replace(/~/g, '~0').replace(/\//g, '~1');

/** A problem found `depth` levels down; `path` is filled in on the way back up (reversed). */
interface Found {
  readonly rule: string;
  readonly path: (string | number)[];
}

const SURROGATE = 'without unpaired UTF-16 surrogates, which have no UTF-8 form and cannot be stored';

function scalarProblem(v: unknown): string | undefined {
  if (typeof v === 'string') return isWellFormedText(v) ? undefined : SURROGATE;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'with finite numbers only (NaN and Infinity are not JSON)';
  if (v instanceof Uint8Array) return 'without binary data (JSON cannot carry it)';
  return `without ${v === undefined ? 'undefined' : `a ${typeof v}`} (JSON cannot carry it)`;
}

// Recursion is bounded by maxDepth (64 by default), far below the stack's limit.
function find(v: unknown, depth: number, limits: JsonValueLimits, count: { keys: number }): Found | undefined {
  if (v === null || typeof v === 'boolean') return undefined;
  if (typeof v !== 'object') {
    const rule = scalarProblem(v);
    return rule === undefined ? undefined : { rule, path: [] };
  }
  const isArray = Array.isArray(v);
  if (!isArray && Object.getPrototypeOf(v) !== Object.prototype) return { rule: scalarProblem(v)!, path: [] };
  if (depth >= limits.maxDepth) return { rule: `at most ${limits.maxDepth} levels deep`, path: [] };
  if (isArray) {
    for (let i = 0; i < v.length; i++) {
      const found = find(v[i], depth + 1, limits, count);
      if (found) return (found.path.push(i), found);
    }
    return undefined;
  }
  const names = Object.keys(v);
  if (names.length > limits.maxKeysPerObject) return { rule: `with at most ${limits.maxKeysPerObject} keys per object`, path: [] };
  count.keys += names.length;
  if (count.keys > limits.maxKeysTotal) return { rule: `with at most ${limits.maxKeysTotal} keys in all`, path: [] };
  for (const k of names) {
    if (!isWellFormedText(k)) return { rule: SURROGATE, path: [k] };
    const found = find((v as Record<string, unknown>)[k], depth + 1, limits, count);
    if (found) return (found.path.push(k), found);
  }
  return undefined;
}

/**
 * Why `value` is not a JSON value a session can keep, or undefined. A JSON value here: null, a
 * boolean, a finite number, a string with a UTF-8 form, an array or a plain object of them (keys
 * with a UTF-8 form too), nested at most `maxDepth` containers deep, with at most
 * `maxKeysPerObject` members per object and `maxKeysTotal` in all. NUL is fine: values are stored
 * as MessagePack bytes, not in text columns.
 */
export function jsonValueProblem(value: unknown, limits: JsonValueLimits = DEFAULT_LIMITS): JsonValueProblem | undefined {
  const found = find(value, 0, limits, { keys: 0 });
  if (!found) return undefined;
  return {
    rule: found.rule,
    pointer: found.path
      .reverse()
      .map((p) => `/${escape(p)}`)
      .join(''),
  };
}

/** True when {@link jsonValueProblem} finds nothing. */
export function isJsonValue(value: unknown, limits: JsonValueLimits = DEFAULT_LIMITS): value is JsonValue {
  return jsonValueProblem(value, limits) === undefined;
}

export const JSON_VALUE_KIND = 'JsonValue';

type JsonValueSchema = TSchema & { 'x-json-limits'?: JsonValueLimits };

TypeRegistry.Set<JsonValueSchema>(JSON_VALUE_KIND, (schema, value) => isJsonValue(value, schema['x-json-limits'] ?? DEFAULT_LIMITS));

/**
 * Any JSON value within the limits above. In JSON Schema it is an unconstrained schema with a
 * description (and the limits under `x-json-limits`); the check is the function above.
 */
export function JsonValueSchema(options: { description?: string; example?: unknown } = {}, limits: JsonValueLimits = DEFAULT_LIMITS): TUnsafe<JsonValue> {
  return Type.Unsafe<JsonValue>({
    [Kind]: JSON_VALUE_KIND,
    description: `${options.description ?? 'Any JSON value'} (at most ${limits.maxDepth} levels deep, ${limits.maxKeysPerObject} keys per object, ${limits.maxKeysTotal} keys in all; no unpaired UTF-16 surrogates)`,
    'x-json-limits': limits,
    ...(options.example !== undefined ? { example: options.example } : {}),
  });
}
