import { Type } from '@sinclair/typebox';
import { ErrorCodes, ForesightError } from '../errors';
import { ERROR_MESSAGE, StorableText } from './fields';
import { isJsonValue, jsonValueProblem, JsonValueSchema } from './json-value';
import { fieldName, requestValidators, validate, Validator } from './validate';

const refusal = (run: () => unknown): ForesightError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ForesightError) return error;
    throw error;
  }
  throw new Error('accepted');
};

describe('Validator', () => {
  const v = new Validator(Type.Object({ name: StorableText(8), tags: Type.Optional(Type.Array(Type.String(), { maxItems: 2 })) }), 'The request body');

  it('returns the value itself when it is valid (no copy on the hot path)', () => {
    const value = { name: 'ok', extra: 1 };
    expect(v.parse(value)).toBe(value);
    expect(v.is(value)).toBe(true);
    expect(v.problem(value)).toBeUndefined();
  });

  it('refuses with REQUEST.INVALID, one sentence naming the field, and its JSON pointer in details', () => {
    const e = refusal(() => v.parse({ name: 'x'.repeat(9) }));
    expect(e.code).toBe(ErrorCodes.VALIDATION);
    expect(e.message).toBe('"name" must be a non-empty string of at most 8 characters.');
    expect(e.details).toEqual({ path: '/name' });
    expect(refusal(() => v.parse({ name: 'a', tags: ['a', 'b', 'c'] })).message).toBe('"tags" must be a list of at most 2 items, each a string.');
    expect(refusal(() => v.parse({})).message).toBe('"name" is required: it must be a non-empty string of at most 8 characters.');
    expect(refusal(() => v.parse([])).message).toBe('The request body must be a map of fields (a JSON object).');
    expect(refusal(() => v.parse('{}')).message).toBe('The request body must be a map of fields (a JSON object).');
  });

  it('says why a string cannot be stored (NUL, unpaired surrogates)', () => {
    for (const name of ['a\u0000', 'a\ud800', '\udc00b']) {
      expect(refusal(() => v.parse({ name })).message).toBe(
        '"name" contains a character that cannot be stored: NUL (\\u0000) or an unpaired UTF-16 surrogate. Remove it.',
      );
    }
    expect(v.parse({ name: 'ünï 😀' })).toEqual({ name: 'ünï 😀' });
  });

  it("uses a schema's own sentence when it has one, and explains the variant of a union the value fits", () => {
    const code = new Validator(Type.Object({ code: Type.String({ pattern: '^[a-z]+$', [ERROR_MESSAGE]: 'lower-case letters' }) }));
    expect(refusal(() => code.parse({ code: 'A' })).message).toBe('"code" must be lower-case letters.');
    const either = new Validator(Type.Object({ id: Type.Union([StorableText(4), Type.Null()]) }));
    expect(refusal(() => either.parse({ id: 'toolong' })).message).toBe('"id" must be a non-empty string of at most 4 characters.');
    expect(refusal(() => either.parse({ id: 3 })).message).toBe('"id" must be a non-empty string of at most 4 characters or null.');
  });

  it('names nested fields as a person reads them', () => {
    expect(fieldName('/context/userId')).toBe('context.userId');
    expect(fieldName('/keys/3')).toBe('keys[3]');
    expect(fieldName('/a~1b/c~0d')).toBe('a/b.c~d');
    expect(fieldName('')).toBe('');
  });

  it('validate() compiles once per schema; requestValidators() builds one validator per operation', () => {
    const schema = Type.Object({ n: Type.Integer({ minimum: 1, maximum: 3 }) });
    expect(validate(schema, { n: 2 })).toEqual({ n: 2 });
    expect(refusal(() => validate(schema, { n: 4 })).message).toBe('"n" must be an integer from 1 to 3.');
    const table = requestValidators({ a: { request: schema }, b: { request: Type.Object({}) } });
    expect(table.a.parse({ n: 1 })).toEqual({ n: 1 });
    expect(refusal(() => table.a.parse(null)).message).toBe('The request must be a map of fields (a JSON object).');
  });
});

describe('JSON values', () => {
  const nested = (levels: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { k: v };
    return v;
  };

  it('accepts JSON, NUL inside strings and keys, and exactly 64 levels of nesting', () => {
    for (const ok of [null, true, 0, -1.5, '', 'a\u0000b', [], {}, { 'k\u0000': ['x', { y: null }] }, '😀', nested(64)]) expect(isJsonValue(ok)).toBe(true);
  });

  it('refuses what JSON cannot carry or the bus cannot keep, saying where', () => {
    expect(jsonValueProblem(nested(65))).toEqual({ rule: 'at most 64 levels deep', pointer: expect.stringMatching(/^(\/k\/0){32}$/) });
    expect(jsonValueProblem({ a: [1, { b: 'x\ud800' }] })).toEqual({ rule: expect.stringMatching(/^without unpaired UTF-16 surrogates/), pointer: '/a/1/b' });
    expect(jsonValueProblem({ a: { '\udc00': 1 } })).toEqual({ rule: expect.stringMatching(/^without unpaired UTF-16 surrogates/), pointer: '/a/\udc00' });
    expect(jsonValueProblem([Number.NaN])?.rule).toMatch(/finite numbers only/);
    expect(jsonValueProblem({ b: new Uint8Array(2) })).toEqual({ rule: 'without binary data (JSON cannot carry it)', pointer: '/b' });
    expect(jsonValueProblem({ d: new Date(0) })?.pointer).toBe('/d');
    expect(jsonValueProblem([undefined])?.rule).toMatch(/undefined/);
    expect(jsonValueProblem({ 'a/b': { '~': Infinity } })?.pointer).toBe('/a~1b/~0');
  });

  it('refuses more keys per object or in all than the limits allow', () => {
    const wide = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
    expect(jsonValueProblem(wide)?.rule).toBe('with at most 10000 keys per object');
    const many = Array.from({ length: 11 }, () => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 0])));
    expect(jsonValueProblem(many)?.rule).toBe('with at most 100000 keys in all');
    expect(jsonValueProblem({ a: { b: 1, c: 2 } }, { maxDepth: 64, maxKeysPerObject: 10, maxKeysTotal: 2 })?.rule).toBe('with at most 2 keys in all');
  });

  it('is a schema kind: the sentence names the field and the rule broken', () => {
    const v = new Validator(Type.Object({ value: JsonValueSchema() }), 'The request body');
    expect(refusal(() => v.parse({ value: nested(65) })).message).toMatch(/^"value" must be a JSON value at most 64 levels deep \(see \/k\/0/);
    expect(refusal(() => v.parse({ value: { a: 'x\ud800' } })).message).toBe(
      '"value" must be a JSON value without unpaired UTF-16 surrogates, which have no UTF-8 form and cannot be stored (see /a).',
    );
    expect(refusal(() => v.parse({})).message).toBe('"value" is required: it must be a JSON value.');
    expect(v.parse({ value: null })).toEqual({ value: null });
  });
});
