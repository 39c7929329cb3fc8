import { Kind, OptionalKind, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { ErrorCodes, ForesightError } from '../errors';
import { unstorableTextMessage } from '../text';
import { ERROR_MESSAGE, Formats } from './fields';
import { JSON_VALUE_KIND, jsonValueProblem, type JsonValueLimits } from './json-value';

/** The field a JSON pointer names, as a person reads it: `/context/userId` → `context.userId`, `/keys/3` → `keys[3]`. */
export function fieldName(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

type Described = TSchema & { [ERROR_MESSAGE]?: string };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A noun phrase for what a schema accepts, for `"x" must be <phrase>`. */
export function describe(schema: Described): string {
  if (schema[ERROR_MESSAGE]) return schema[ERROR_MESSAGE];
  switch (schema[Kind]) {
    case 'String': {
      const min = schema.minLength as number | undefined;
      const max = schema.maxLength as number | undefined;
      const noun = `${min !== undefined && min >= 1 ? 'non-empty ' : ''}string`;
      return `a ${noun}${max !== undefined ? ` of at most ${plural(max, 'character')}` : ''}`;
    }
    case 'Integer':
    case 'Number': {
      const noun = schema[Kind] === 'Integer' ? 'an integer' : 'a number';
      const min = schema.minimum as number | undefined;
      const max = schema.maximum as number | undefined;
      if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
      if (min !== undefined) return `${noun} ≥ ${min}`;
      if (max !== undefined) return `${noun} ≤ ${max}`;
      return noun;
    }
    case 'Boolean':
      return 'true or false';
    case 'Null':
      return 'null';
    case 'Literal':
      return JSON.stringify(schema.const);
    case 'Array': {
      const items = describe(schema.items as Described);
      const min = schema.minItems as number | undefined;
      const max = schema.maxItems as number | undefined;
      const range =
        min !== undefined && max !== undefined ? `${min}–${max}` : max !== undefined ? `at most ${max}` : min !== undefined ? `at least ${min}` : '';
      return `a list of ${range ? `${range} ` : ''}items, each ${items}`;
    }
    case 'Object':
    case 'Record':
      return 'a map of fields (a JSON object)';
    case 'Union':
      return (schema.anyOf as Described[]).map(describe).join(' or ');
    case 'Never':
      return 'absent';
    case JSON_VALUE_KIND:
      return 'a JSON value';
    default:
      return 'of the documented type';
  }
}

/** Errors that only say the value has another type: they explain less than a broken constraint. */
const MISMATCH = new Set<ValueErrorType>([
  ValueErrorType.Array,
  ValueErrorType.Boolean,
  ValueErrorType.Integer,
  ValueErrorType.Literal,
  ValueErrorType.Null,
  ValueErrorType.Number,
  ValueErrorType.Object,
  ValueErrorType.ObjectRequiredProperty,
  ValueErrorType.String,
  ValueErrorType.Uint8Array,
  ValueErrorType.Never,
  ValueErrorType.Union,
  ValueErrorType.Undefined,
]);

/**
 * The error worth reporting: for a union, the variant's error that breaks a constraint of a
 * variant the value otherwise fits (the deepest such), else the union's own.
 */
function explainable(error: ValueError): ValueError {
  if (error.type !== ValueErrorType.Union) return error;
  let best: ValueError | undefined;
  for (const variant of error.errors) {
    const first = variant.First();
    if (!first) continue;
    const e = explainable(first);
    if (!MISMATCH.has(e.type) && (!best || e.path.length > best.path.length)) best = e;
  }
  return best ?? error;
}

const MAX_POINTER = 80;

/** The sentence for one schema error; `what` names the whole value (e.g. "The request body"). */
function errorSentence(e: ValueError, what: string): string {
  const field = fieldName(e.path);
  const subject = field === '' ? what : `"${field}"`;
  const schema = e.schema as Described;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${subject} is required: it must be ${describe(schema)}.`;
    case ValueErrorType.Never:
      return `${subject} must not be sent together with the other fields.`;
    case ValueErrorType.ObjectAdditionalProperties: {
      const parent = fieldName(e.path.slice(0, e.path.lastIndexOf('/')));
      return `${parent === '' ? what : `"${parent}"`} must be ${describe(schema)}; ${JSON.stringify(fieldName(e.path.slice(e.path.lastIndexOf('/'))).slice(0, 64))} is not accepted.`;
    }
    case ValueErrorType.StringFormat:
      if (schema.format === Formats.storableText) return unstorableTextMessage(field || what);
      if (schema.format === Formats.wellFormedText) return `${subject} contains an unpaired UTF-16 surrogate, which has no UTF-8 form. Remove it.`;
      break;
    case ValueErrorType.Kind:
      if (schema[Kind] === JSON_VALUE_KIND) {
        const problem = jsonValueProblem(e.value, (schema as { 'x-json-limits'?: JsonValueLimits })['x-json-limits']);
        if (problem) {
          const at =
            problem.pointer === '' ? '' : ` (see ${problem.pointer.length > MAX_POINTER ? `${problem.pointer.slice(0, MAX_POINTER)}…` : problem.pointer})`;
          return `${subject} must be a JSON value ${problem.rule}${at}.`;
        }
      }
      break;
  }
  return `${subject} must be ${describe(schema)}.`;
}

/**
 * A compiled check for one schema: `is` for the hot path, `parse` to accept or refuse with
 * `REQUEST.INVALID` and a sentence naming the field (details: `path`, a JSON pointer).
 */
export class Validator<T extends TSchema> {
  private readonly compiled: TypeCheck<T>;

  /** `what` names the whole value in sentences: "The request body", "The request". */
  constructor(
    readonly schema: T,
    readonly what = 'The request',
  ) {
    this.compiled = TypeCompiler.Compile(schema);
  }

  is(value: unknown): value is Static<T> {
    return this.compiled.Check(value);
  }

  /** The first problem as a sentence with its JSON pointer, or undefined when the value is valid. */
  problem(value: unknown): { message: string; path: string } | undefined {
    if (this.compiled.Check(value)) return undefined;
    const first = this.compiled.Errors(value).First();
    if (!first) return { message: `${this.what} is not valid.`, path: '' };
    // Union errors iterate their variants lazily: explain once.
    const e = explainable(first);
    return { message: errorSentence(e, this.what), path: e.path };
  }

  /** `value` as the schema's type, or a `REQUEST.INVALID` ForesightError. */
  parse(value: unknown): Static<T> {
    if (this.compiled.Check(value)) return value;
    const p = this.problem(value)!;
    throw new ForesightError(ErrorCodes.VALIDATION, p.message, { path: p.path });
  }
}

const cache = new WeakMap<TSchema, Validator<TSchema>>();

/** {@link Validator.parse} with a validator compiled once per schema. */
export function validate<T extends TSchema>(schema: T, value: unknown, what = 'The request'): Static<T> {
  let v = cache.get(schema);
  if (!v || v.what !== what) {
    v = new Validator(schema, what);
    cache.set(schema, v);
  }
  return (v as Validator<T>).parse(value);
}

/** Whether a property schema is optional (for documentation helpers). */
export const isOptional = (schema: TSchema): boolean => (schema as { [OptionalKind]?: string })[OptionalKind] === 'Optional';

/** One compiled request validator per operation of a command table (`{ op: { request, reply } }`). */
export function requestValidators<S extends Readonly<Record<string, { readonly request: TSchema }>>>(
  table: S,
): { readonly [K in keyof S]: Validator<S[K]['request']> } {
  return Object.fromEntries(Object.entries(table).map(([op, c]) => [op, new Validator(c.request)])) as { [K in keyof S]: Validator<S[K]['request']> };
}
