import type { TSchema } from '@sinclair/typebox';
import { CacheRequirementsCommandSchemas } from '../cache-subjects';
import { MetadataCommandSchemas } from '../metadata-commands';
import { PredictionCommandSchemas } from '../prediction-commands';
import { ShardCommandSchemas } from '../shard-commands';
import { TokenCommandSchemas } from '../token-commands';
import { DataKeyParam, InvalidateBody, PrefetchBody, RequirementDeclaration } from './cache';
import { PredictionCount } from './predictions';
import { CreateSessionBody, PatchVariableBody, PutVariableBody, RecordActionBody } from './sessions';
import { IssueTokensBody, RefreshTokensBody } from './tokens';
import { Validator } from './validate';

const FAMILY = '0b5c8f7e-3a1d-4c2b-9e8f-1a2b3c4d5e6f';
const SID = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const deep = (levels: number): unknown => Array.from({ length: levels }).reduce<unknown>((v) => [v], 0);
const wide = (keys: number) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]));

/** Per schema: values it accepts, and values it refuses with the sentence's start. */
const CASES: readonly [name: string, schema: TSchema, valid: unknown[], invalid: [unknown, RegExp][]][] = [
  [
    'POST /v1/sessions',
    CreateSessionBody,
    [{}, { userId: 'u1' }, { userId: null }, { data: { cart: { items: [], 'n\u0000': 'a\u0000' } } }, { idleTimeoutMs: 1000, absoluteTimeoutMs: 60_000 }],
    [
      [{ userId: 'x\u0000' }, /^"userId" contains a character that cannot be stored/],
      [{ userId: 'x\ud800' }, /^"userId" contains a character that cannot be stored/],
      [{ userId: 'x'.repeat(257) }, /^"userId" must be a non-empty string of at most 256 characters/],
      [{ userId: 7 }, /^"userId" must be a non-empty string of at most 256 characters, or null/],
      [{ data: { cart: { x: '\udfff' } } }, /^"data.cart.x" must be a JSON value without unpaired UTF-16 surrogates/],
      [{ data: { cart: { x: deep(65) } } }, /^"data.cart.x" must be a JSON value at most 64 levels deep/],
      [{ data: { cart: { x: wide(10_001) } } }, /^"data.cart.x" must be a JSON value with at most 10000 keys per object/],
      [{ data: { cart: 5 } }, /^"data.cart" must be a map of fields/],
      [{ idleTimeoutMs: 999 }, /^"idleTimeoutMs" must be an integer ≥ 1000/],
      [[], /^The request must be a map of fields/],
    ],
  ],
  [
    'PUT a variable',
    PutVariableBody,
    [{ value: null }, { value: { sku: 'A-1', qty: 2 }, expectedVersion: 3 }, { value: 'a\u0000' }, { value: deep(64) }],
    [
      [{}, /^"value" is required/],
      [{ value: 'x\ud800' }, /^"value" must be a JSON value without unpaired UTF-16 surrogates/],
      [{ value: deep(65) }, /^"value" must be a JSON value at most 64 levels deep/],
      [{ value: wide(10_001) }, /^"value" must be a JSON value with at most 10000 keys per object/],
      [{ value: new Uint8Array(1) }, /^"value" must be a JSON value without binary data/],
      [{ value: 1, expectedVersion: 0 }, /^"expectedVersion" must be an integer ≥ 1/],
      [{ value: 1, expectedVersion: 1.5 }, /^"expectedVersion" must be an integer ≥ 1/],
    ],
  ],
  [
    'PATCH a variable',
    PatchVariableBody,
    [{ patch: { qty: 3, gone: null } }],
    [
      [{ value: 1 }, /^"patch" is required/],
      [{ patch: '\ud83d' }, /^"patch" must be a JSON value without unpaired UTF-16 surrogates/],
    ],
  ],
  [
    'POST actions',
    RecordActionBody,
    [{ action: 'view_product:42' }, { action: 'a/b.c-d:e_f' }, { action: 'x'.repeat(128) }],
    [
      [{ action: 'has space' }, /^"action" must be 1–128 characters from letters, digits and _ \. : \/ -/],
      [{ action: 'x'.repeat(129) }, /^"action" must be 1–128 characters/],
      [{ action: 'a\u0000' }, /^"action" must be 1–128 characters/],
      [{}, /^"action" is required/],
    ],
  ],
  [
    'POST prefetch',
    PrefetchBody,
    [{ action: 'home' }, { action: 'home', context: { userId: 'u7', page: 2 } }],
    [
      [{ action: 'home', context: { nested: { a: 1 } } }, /^"context.nested" must be a string of at most 256 characters or a number/],
      [{ action: 'home', context: ['a'] }, /^"context" must be a map of at most 32 names/],
      [{ action: 'home', context: { 'bad key': 'x' } }, /^"context" must be a map of at most 32 names .*; "bad key" is not accepted/],
      [{ action: 'home', context: wide(33) }, /^"context" must be a map of at most 32 names/],
      [{ action: 'home', context: { k: 'x'.repeat(257) } }, /^"context.k" must be a string of at most 256 characters/],
      [{ action: 'home', context: { k: Number.NaN } }, /^"context.k" must be/],
    ],
  ],
  [
    'PUT requirements',
    RequirementDeclaration,
    [
      { pattern: 'view_product:{id}', keys: ['product:{id}'] },
      { pattern: 'home', keys: [] },
    ],
    [
      [{ pattern: 'a', keys: 'b' }, /^"keys" must be a list of at most 64 key templates/],
      [{ pattern: 'a', keys: Array.from({ length: 65 }, (_, i) => `k${i}`) }, /^"keys" must be a list of at most 64 key templates/],
      [{ pattern: 'x'.repeat(513), keys: [] }, /^"pattern" must be a non-empty string of at most 512 characters/],
      [null, /^The request must be a map \{"pattern"/],
    ],
  ],
  [
    'POST invalidate',
    InvalidateBody,
    [{ keys: ['product:1'] }, { pattern: 'product:*' }],
    [
      [{}, /^The request must be either \{"keys"/],
      [{ keys: ['a'], pattern: 'b*' }, /^The request must be either .* not both/],
      [{ keys: [] }, /^"keys" must be a list of 1–1000 items/],
      [{ keys: ['has space'] }, /^"keys\[0\]" must be a data key/],
      [{ keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }, /^"keys" must be a list of 1–1000 items/],
      [{ pattern: '' }, /^"pattern" must be a non-empty string of at most 512 characters/],
    ],
  ],
  [
    'POST tokens',
    IssueTokensBody,
    [{}, { userId: 'u1' }],
    [
      [{ userId: '\u0000' }, /^"userId" contains a character that cannot be stored/],
      [{ userId: '' }, /^"userId" must be a non-empty string of at most 256 characters/],
    ],
  ],
  [
    'POST tokens/refresh',
    RefreshTokensBody,
    [{ refreshToken: 'x'.repeat(43) }],
    [
      [{}, /^"refreshToken" is required/],
      [{ refreshToken: 'x'.repeat(513) }, /^"refreshToken" must be a non-empty string of at most 512 characters/],
    ],
  ],
  [
    'a data key in the URL',
    DataKeyParam,
    ['product:42', 'user/7:orders', 'k'.repeat(512)],
    [
      ['', /data key/],
      ['a b', /data key/],
      ['prod*', /data key/],
      ['ünï', /data key/],
      ['k'.repeat(513), /data key/],
    ],
  ],
  [
    "?n= and the bus's n",
    PredictionCount,
    [1, 50],
    [
      [0, /from 1 to 50/],
      [51, /from 1 to 50/],
      [2.5, /from 1 to 50/],
      ['3', /from 1 to 50/],
    ],
  ],
];

describe.each(CASES)('%s', (_name, schema, valid, invalid) => {
  const v = new Validator(schema);

  it.each(valid.map((value) => [value]))('accepts valid case %#', (value) => {
    expect(v.problem(value)).toBeUndefined();
  });

  it.each(invalid.map(([value, message]) => [message, value] as const))('refuses invalid case %#: %s', (message, value) => {
    expect(v.problem(value)?.message).toMatch(message);
  });
});

describe('NATS commands', () => {
  const shard = (op: keyof typeof ShardCommandSchemas) => new Validator(ShardCommandSchemas[op].request);

  it('have a request and a reply schema for every operation', () => {
    for (const table of [ShardCommandSchemas, TokenCommandSchemas, MetadataCommandSchemas, PredictionCommandSchemas, CacheRequirementsCommandSchemas]) {
      for (const c of Object.values(table)) expect(c).toEqual({ request: expect.any(Object), reply: expect.any(Object) });
    }
  });

  it('check what the owner node relies on', () => {
    expect(shard('var.put').problem({ sessionId: SID, group: 'cart', name: 'n', value: { 'k\u0000': 'v\u0000' } })).toBeUndefined();
    expect(shard('var.put').problem({ sessionId: SID, group: 'cart', name: 'n', value: ['\ud800'] })?.message).toMatch(
      /^"value" must be a JSON value without unpaired/,
    );
    expect(shard('session.create').problem({ sessionId: SID, userId: 'x\u0000', groups: {} })?.message).toMatch(
      /^"userId" contains a character that cannot be stored/,
    );
    expect(shard('session.create').problem({ sessionId: SID, groups: {} })?.message).toMatch(/^"userId" is required/);
    expect(shard('sessions.touch').problem({ sessionIds: Array.from({ length: 10_001 }, () => SID) })?.message).toBe(
      '"sessionIds" must be a list of at most 10,000 session ids.',
    );
    expect(shard('data.get').problem({ sessionId: SID, key: 'a*' })?.message).toMatch(/^"key" must be a data key/);
    expect(shard('var.get').problem({ sessionId: 'a b', group: 'cart', name: 'n' })?.message).toBe(
      '"sessionId" must be a session id: 1–64 characters of A–Z a–z 0–9 _ -.',
    );
    expect(shard('session.get').problem({ sessionId: SID, groups: 'cart' })?.message).toBe('"groups" must be a list of at most 64 group names.');
  });

  it('check the token, prediction and metadata requests', () => {
    const token = (op: keyof typeof TokenCommandSchemas) => new Validator(TokenCommandSchemas[op].request);
    expect(token('revoke').problem({ sessionId: SID, reason: 'logout' })).toBeUndefined();
    expect(token('revoke').problem({ sessionId: SID, reason: 'reuse-detected' })?.message).toBe('"reason" must be one of logout, session-ended, admin.');
    expect(token('pending').problem({ sessionId: SID, familyId: 'nope', haveGeneration: 0 })?.message).toBe('"familyId" must be a token family id (UUID).');
    expect(token('ack').problem({ sessionId: SID, familyId: FAMILY, generation: -1 })?.message).toBe('"generation" must be an integer ≥ 0.');
    expect(token('renew').problem({ sessionId: SID, familyId: FAMILY, generation: 3 })).toBeUndefined();
    expect(token('renew').problem({ sessionId: SID, familyId: FAMILY, generation: '3' })?.message).toBe('"generation" must be an integer ≥ 0.');
    expect(token('issue').problem({ sessionId: SID, userId: 'u\u0000' })?.message).toMatch(/^"userId" contains a character that cannot be stored/);
    const predict = new Validator(PredictionCommandSchemas.predict.request);
    expect(predict.problem({ sessionId: SID })).toBeUndefined();
    expect(predict.problem({ sessionId: SID, n: 51 })?.message).toBe('"n" must be an integer from 1 to 50.');
    expect(new Validator(PredictionCommandSchemas.model.request).problem({ chunk: -1 })?.message).toBe('"chunk" must be an integer ≥ 0.');
    const heartbeat = new Validator(MetadataCommandSchemas.heartbeat.request);
    expect(heartbeat.problem({ incarnation: 'i1', appliedVersion: 3 })).toBeUndefined();
    expect(heartbeat.problem({ incarnation: '' })?.message).toBe('"incarnation" must be a non-empty string of at most 64 characters.');
    expect(new Validator(MetadataCommandSchemas.owner.request).problem({ sessionId: 'x'.repeat(129) })?.message).toBe(
      '"sessionId" must be a non-empty string of at most 128 characters.',
    );
  });
});
