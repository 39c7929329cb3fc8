import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import fc from 'fast-check';

type Schema = TSchema & Record<string, unknown>;

const MAX_ITEMS = 4;
const MAX_STRING = 24;

/** Strings for a string schema: from its pattern when it has one, then cut to its length and checked. */
function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0;
  const max = Math.max(min, Math.min((schema.maxLength as number | undefined) ?? MAX_STRING, MAX_STRING));
  const check = TypeCompiler.Compile(schema);
  // A pattern fixes its own lengths (a UUID's 36 characters); only the schema's maxLength cuts it.
  const cut = (schema.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY;
  const base =
    typeof schema.pattern === 'string'
      ? fc.stringMatching(new RegExp(schema.pattern)).map((s) => (s.length > cut ? s.slice(0, cut) : s))
      : fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
  return base.filter((s) => check.Check(s));
}

/**
 * Values a TypeBox schema of the contracts accepts (objects, records, unions, intersections, arrays,
 * strings with patterns and formats, numbers within bounds, literals, JSON values), kept small: lists
 * of at most four items, strings of at most 24 characters unless the schema needs more.
 */
export function arbitraryOf(schema: TSchema): fc.Arbitrary<unknown> {
  const s = schema as Schema;
  switch (s[Kind]) {
    case 'String':
      return stringArbitrary(s);
    case 'Integer':
      return fc.integer({ min: (s.minimum as number | undefined) ?? -1_000_000, max: (s.maximum as number | undefined) ?? 1_000_000 });
    case 'Number':
      return fc.double({ min: (s.minimum as number | undefined) ?? -1e6, max: (s.maximum as number | undefined) ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'Boolean':
      return fc.boolean();
    case 'Null':
      return fc.constant(null);
    case 'Literal':
      return fc.constant(s.const);
    case 'Union':
      return fc.oneof(...(s.anyOf as TSchema[]).map(arbitraryOf));
    case 'Array': {
      const minLength = (s.minItems as number | undefined) ?? 0;
      const maxLength = Math.max(minLength, Math.min((s.maxItems as number | undefined) ?? MAX_ITEMS, MAX_ITEMS));
      const items = arbitraryOf(s.items as TSchema);
      return s.uniqueItems ? fc.uniqueArray(items, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(items, { minLength, maxLength });
    }
    case 'Object': {
      const properties = (s.properties ?? {}) as Record<string, TSchema>;
      const entries = Object.entries(properties).filter(([, p]) => (p as Schema)[Kind] !== 'Never');
      const requiredKeys = entries.filter(([, p]) => (p as Schema)[OptionalKind] !== 'Optional').map(([k]) => k);
      return fc.record(Object.fromEntries(entries.map(([k, p]) => [k, arbitraryOf(p)])), { requiredKeys });
    }
    case 'Record': {
      const [pattern, value] = Object.entries(s.patternProperties as Record<string, TSchema>)[0]!;
      const keys = pattern === '^(.*)$' || pattern === '^.*$' ? fc.string({ minLength: 1, maxLength: 12 }) : fc.stringMatching(new RegExp(pattern));
      const maxKeys = Math.min((s.maxProperties as number | undefined) ?? MAX_ITEMS, MAX_ITEMS);
      return fc.dictionary(
        keys.filter((k) => k !== '__proto__'),
        arbitraryOf(value),
        { maxKeys, minKeys: (s.minProperties as number | undefined) ?? 0 },
      );
    }
    case 'Intersect':
      return fc.tuple(...(s.allOf as TSchema[]).map(arbitraryOf)).map((parts) => Object.assign({}, ...(parts as object[])) as unknown);
    case 'Unknown':
    case 'JsonValue':
      return fc.jsonValue({ maxDepth: 3 });
    default:
      throw new Error(`no arbitrary for the schema kind ${String(s[Kind])}`);
  }
}

/** Anything a client could send as a JSON body, and values JSON cannot carry, for robustness properties. */
export function anyInput(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.anything({ maxDepth: 3, withBoxedValues: false, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }),
    fc.dictionary(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'value', 'patch', 'userId', 'action', 'keys', 'pattern'),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  );
}
