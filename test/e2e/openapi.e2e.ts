import { ErrorEnvelope, Validator } from '@foresight/contracts';
import type { LocalStack } from '../../scripts/local-stack';
import { api, startTestStack } from './support';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks a JSON document of any shape
type Json = Record<string, any>;

const envelopes = new Validator(ErrorEnvelope);

/**
 * Routes a back end or an operator calls with its API key only (a client's token can neither mint
 * tokens nor read or steer where its session is served).
 */
const API_KEY_ONLY = new Set(['post /v1/sessions/{id}/tokens', 'get /v1/sessions/{id}/affinity', 'put /v1/sessions/{id}/affinity/weight']);

/** The OpenAPI document the gateway serves, checked against the gateway's own behaviour. */
describe('OpenAPI document (gateway, metadata, shard as processes)', () => {
  let stack: LocalStack;
  let doc: Json;
  const schemas = () => doc.components.schemas as Json;
  const resolve = (schema: Json): Json => (schema.$ref ? schemas()[String(schema.$ref).replace('#/components/schemas/', '')] : schema);
  const operations = () =>
    Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json, key: `${method} ${path}` })),
    );

  beforeAll(async () => {
    // The token service publishes the keys the gateway verifies bearer tokens with.
    stack = await startTestStack('openapi', { shardNodes: 1, extraServices: ['token'] });
    const r = await fetch(`${stack.gatewayUrl}/docs/openapi.json`);
    expect([r.status, r.headers.get('content-type')]).toEqual([200, expect.stringMatching(/^application\/json/)]);
    doc = (await r.json()) as Json;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('is OpenAPI 3.1 with the API key and bearer JWT schemes and the error envelope', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    const envelope = schemas().ErrorEnvelope;
    expect(envelope.required).toEqual(['error']);
    expect(envelope.properties.error.required).toEqual(['code', 'message', 'correlationId']);
    expect(Object.keys(envelope.properties.error.properties)).toEqual(['code', 'message', 'correlationId', 'details']);
  });

  it('documents every route with a success body schema and its errors in the envelope', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const { key, op } of ops) {
      const success = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      expect([key, success.length]).toEqual([key, 1]);
      const body = resolve(op.responses[success[0]!].content?.['application/json']?.schema ?? {});
      expect([key, typeof body.type === 'string' || Array.isArray(body.anyOf)]).toEqual([key, true]);
      const errors = Object.keys(op.responses).filter((s) => /^[45]\d\d$/.test(s));
      expect([key, errors.includes('400'), errors.includes('500')]).toEqual([key, true, true]);
      for (const status of errors) {
        const schema = op.responses[status].content['application/json'].schema;
        expect([key, status, schema.allOf[0]]).toEqual([key, status, { $ref: '#/components/schemas/ErrorEnvelope' }]);
        expect([key, status, schema.allOf[1].properties.error.properties.code.enum.length > 0]).toEqual([key, status, true]);
      }
      if (op.requestBody) {
        const request = resolve(op.requestBody.content['application/json'].schema);
        expect([key, typeof request.type === 'string' || Array.isArray(request.anyOf)]).toEqual([key, true]);
      }
    }
  });

  it('declares both schemes on the session routes, and each declared scheme is one the route accepts', async () => {
    const id = (await api(stack).create({})).body.id;
    const sessionRoutes = operations().filter(({ path }) => path.startsWith('/v1/sessions/{id}'));
    expect(sessionRoutes.length).toBeGreaterThanOrEqual(13);
    for (const { key, path, method, op } of sessionRoutes) {
      const schemes = (op.security as Json[]).flatMap((s) => Object.keys(s)).sort();
      expect([key, schemes]).toEqual([key, API_KEY_ONLY.has(key) ? ['apiKey'] : ['apiKey', 'bearer']]);
      // A malformed bearer token and no API key: a route that takes tokens judges the token (TOKEN.*),
      // an API-key-only route asks for the key.
      const url = path.replace('{id}', id).replace('{group}', 'cart').replace('{name}', 'n').replace('{key}', 'k');
      const r = await fetch(`${stack.gatewayUrl}${url}`, {
        method: method.toUpperCase(),
        headers: { authorization: 'Bearer not.a.token', ...(op.requestBody ? { 'content-type': 'application/json' } : {}) },
        body: op.requestBody ? '{}' : undefined,
      });
      const body = (await r.json()) as { error: { code: string; correlationId: string } };
      expect([key, r.status, body.error.code]).toEqual([key, 401, API_KEY_ONLY.has(key) ? 'AUTH.UNAUTHENTICATED' : expect.stringMatching(/^TOKEN\./)]);
      expect([key, envelopes.problem(body)]).toEqual([key, undefined]);
    }
  }, 60_000);

  it('answers a refused body as documented: the envelope, a sentence naming the field, its JSON pointer', async () => {
    const id = (await api(stack).create({})).body.id;
    const r = await api(stack).call('PUT', `/v1/sessions/${id}/vars/cart/n`, { value: 1, expectedVersion: 0 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: {
        code: 'REQUEST.INVALID',
        message: '"expectedVersion" must be an integer ≥ 1.',
        correlationId: expect.any(String),
        details: { path: '/expectedVersion' },
      },
    });
    expect(envelopes.problem(r.body)).toBeUndefined();
    const put = doc.paths['/v1/sessions/{id}/vars/{group}/{name}'].put;
    expect(put.responses['400'].content['application/json'].schema.allOf[1].properties.error.properties.code.enum).toContain('REQUEST.INVALID');
    expect(resolve(put.requestBody.content['application/json'].schema).properties.expectedVersion).toEqual(
      expect.objectContaining({ type: 'integer', minimum: 1 }),
    );
  });
});
