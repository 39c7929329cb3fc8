import { Kind, type TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import {
  CacheRequirementsCommandSchemas,
  CreateSessionBody,
  DataKeyParam,
  ErrorCodes,
  ForesightError,
  InvalidateBody,
  IssueTokensBody,
  MetadataCommandSchemas,
  PatchVariableBody,
  PredictionCommandSchemas,
  PredictionCount,
  PrefetchBody,
  PutVariableBody,
  RecordActionBody,
  RefreshTokensBody,
  RequirementDeclaration,
  ShardCommandSchemas,
  TokenCommandSchemas,
  Validator,
} from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { anyInput, arbitraryOf } from './schema-arbitrary';

/**
 * Properties of every REST body and every NATS command schema of the contracts (fast-check):
 * whatever arrives, validation answers a 400-style REQUEST.INVALID with a sentence and a JSON pointer
 * into the input, or accepts it untouched; what the schema describes is accepted, survives the wire
 * (JSON for REST, MessagePack for NATS) and still passes; breaking one field is refused at that field.
 */
const REST: Record<string, TSchema> = {
  'POST /v1/sessions': CreateSessionBody,
  'POST /v1/sessions/:id/actions': RecordActionBody,
  'PUT a variable': PutVariableBody,
  'PATCH a variable': PatchVariableBody,
  'POST /v1/sessions/:id/prefetch': PrefetchBody,
  'PUT /v1/requirements': RequirementDeclaration,
  'POST /v1/invalidate': InvalidateBody,
  'POST /v1/sessions/:id/tokens': IssueTokensBody,
  'POST /v1/tokens/refresh': RefreshTokensBody,
  'the data key in the URL': DataKeyParam,
  'the n of /predictions': PredictionCount,
};

const tables: Record<string, Record<string, { request: TSchema }>> = {
  shard: ShardCommandSchemas,
  token: TokenCommandSchemas,
  metadata: MetadataCommandSchemas,
  prediction: PredictionCommandSchemas,
  'cache requirements': CacheRequirementsCommandSchemas,
};
const NATS: Record<string, TSchema> = Object.fromEntries(
  Object.entries(tables).flatMap(([service, table]) => Object.entries(table).map(([op, c]) => [`${service} ${op}`, c.request])),
);

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const params = { seed: SEED, numRuns: RUNS };

/** The value the JSON pointer names in `input`, or a marker when it names nothing there. */
function at(input: unknown, pointer: string): unknown {
  let v = input;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, part)) return MISSING;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
const MISSING = Symbol('missing');

/** Runs `parse` and says how it ended: accepted, refused as documented, or anything else (a defect). */
function outcome(validator: Validator<TSchema>, input: unknown): 'accepted' | { message: string; path: string } {
  try {
    const out = validator.parse(input);
    if (out !== input) throw new Error('parse returned another value than it was given');
    return 'accepted';
  } catch (error) {
    if (!(error instanceof ForesightError) || error.code !== ErrorCodes.VALIDATION) throw error;
    const path = (error.details as { path?: unknown } | undefined)?.path;
    if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new Error(`no JSON pointer in details: ${String(path)}`);
    return { message: error.message, path };
  }
}

describe.each([
  ['REST body', REST, (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown],
  ['NATS command', NATS, (v: unknown) => decode(encode(v))],
] as const)('%s schemas (fast-check)', (_, schemas, wire) => {
  it('covers every schema', () => {
    expect(Object.keys(schemas).length).toBeGreaterThan(_ === 'REST body' ? 10 : 25);
  });

  describe.each(Object.entries(schemas))('%s', (name, schema) => {
    const validator = new Validator(schema, 'The request body');
    const valid = arbitraryOf(schema);

    it('answers any input with acceptance or a REQUEST.INVALID sentence pointing into it', () => {
      fc.assert(
        fc.property(anyInput(), (input) => {
          const r = outcome(validator, input);
          if (r === 'accepted') return;
          expect(r.message.length).toBeGreaterThan(10);
          expect(r.message.length).toBeLessThan(600);
          // The pointer names a field of the input, or the missing field of an object that is there.
          const parent = r.path.slice(0, r.path.lastIndexOf('/'));
          expect(at(input, r.path) !== MISSING || at(input, parent) !== MISSING).toBe(true);
        }),
        params,
      );
    });

    it('accepts what the schema describes, also after crossing the wire', () => {
      fc.assert(
        fc.property(valid, (value) => {
          expect(outcome(validator, value)).toBe('accepted');
          expect(outcome(validator, wire(value))).toBe('accepted');
        }),
        params,
      );
    });

    it('refuses a value with one field broken, naming that field', () => {
      // Values no wire carries as they are (undefined is an absent optional field, so it is not among them).
      const broken = fc.constantFrom(Symbol('x'), () => 1, new Date(0), Number.NaN, 1n, new Uint8Array(1));
      // In a union the sentence may explain the variant the rest of the value fits, naming another field.
      const names = (schema as unknown as Record<symbol, unknown>)[Kind] !== 'Union';
      fc.assert(
        fc.property(valid, broken, (value, bad) => {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
          const keys = Object.keys(value);
          if (keys.length === 0) return;
          const key = keys[0]!;
          const r = outcome(validator, { ...value, [key]: bad });
          expect(r).not.toBe('accepted');
          if (names) expect((r as { path: string }).path.startsWith(`/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)).toBe(true);
        }),
        params,
      );
    });
  });
});
