import type { TSchema } from '@sinclair/typebox';
import fc from 'fast-check';
import {
  CreateSessionBody,
  ErrorEnvelope,
  InvalidateBody,
  IssueTokensBody,
  PatchVariableBody,
  PrefetchBody,
  PutVariableBody,
  RecordActionBody,
  RefreshTokensBody,
  RequirementDeclaration,
  Validator,
} from '@foresight/contracts';
import { anyInput, arbitraryOf } from './schema-arbitrary';

/** One generated HTTP request. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A route of the gateway and the schema of its body. */
interface Route {
  readonly method: string;
  readonly path: string;
  readonly body?: TSchema;
}

const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/sessions', body: CreateSessionBody },
  { method: 'GET', path: '/v1/sessions/:id' },
  { method: 'DELETE', path: '/v1/sessions/:id' },
  { method: 'POST', path: '/v1/sessions/:id/actions', body: RecordActionBody },
  { method: 'GET', path: '/v1/sessions/:id/owner' },
  { method: 'GET', path: '/v1/sessions/:id/vars/:group/:name' },
  { method: 'PUT', path: '/v1/sessions/:id/vars/:group/:name', body: PutVariableBody },
  { method: 'PATCH', path: '/v1/sessions/:id/vars/:group/:name', body: PatchVariableBody },
  { method: 'DELETE', path: '/v1/sessions/:id/vars/:group/:name' },
  { method: 'GET', path: '/v1/sessions/:id/data/:key' },
  { method: 'POST', path: '/v1/sessions/:id/prefetch', body: PrefetchBody },
  { method: 'GET', path: '/v1/sessions/:id/cache-stats' },
  { method: 'GET', path: '/v1/sessions/:id/predictions' },
  { method: 'POST', path: '/v1/sessions/:id/tokens', body: IssueTokensBody },
  { method: 'DELETE', path: '/v1/sessions/:id/tokens' },
  { method: 'POST', path: '/v1/tokens/refresh', body: RefreshTokensBody },
  { method: 'GET', path: '/v1/.well-known/jwks.json' },
  { method: 'PUT', path: '/v1/requirements', body: RequirementDeclaration },
  { method: 'GET', path: '/v1/requirements' },
  { method: 'POST', path: '/v1/invalidate', body: InvalidateBody },
  { method: 'GET', path: '/v1/cache/stats' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/docs/openapi.json' },
];

/** Path segments a client could send: real ids, forged ones, odd characters, percent-encoding gone wrong, very long ones. */
function segment(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '%C0%80', '%ED%A0%80', '..', '.', '%2F', 'a%2Fb', '*', '__proto__', 'constructor') },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{32}$/) },
  );
}

/** A body for a route: valid for its schema, any JSON, values JSON cannot carry, or text that is not JSON. */
function bodyText(schema: TSchema | undefined): fc.Arbitrary<string | undefined> {
  const valid = schema ? arbitraryOf(schema) : fc.constant({});
  return fc.oneof(
    { weight: 5, arbitrary: valid.map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: anyInput().map((v) => safeStringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'null', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"a":1,"a":2}', '\u0000') },
  );
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
  } catch {
    return '{}';
  }
}

/** Requests over every route with real and forged ids, valid and broken bodies, headers right and wrong. */
export function requestArbitrary(ctx: {
  readonly sessionIds: readonly string[];
  readonly apiKey: string;
  readonly groups: readonly string[];
}): fc.Arbitrary<FuzzRequest> {
  const ids = segment(ctx.sessionIds);
  const groups = segment([...ctx.groups, 'nope']);
  const names = segment(['items', 'theme', 'n']);
  const keys = segment(['product:1', 'a', 'x:y']);
  const header = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  );
  return fc
    .record({
      route: fc.constantFrom(...ROUTES),
      id: ids,
      group: groups,
      name: names,
      key: keys,
      query: fc.constantFrom('', '?consistent=true', '?groups=cart,auth', '?groups=,,,', '?n=3', '?n=-1', '?n=999999999', '?n=abc', '?x=%'),
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'HEAD', 'PATCH', 'POST') }),
      auth: fc.oneof(
        { weight: 6, arbitrary: fc.constant({ 'x-api-key': ctx.apiKey }) },
        { weight: 1, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: header.map((h) => (h === undefined ? {} : { 'x-api-key': h })) },
        { weight: 1, arbitrary: header.map((h) => ({ authorization: `Bearer ${h ?? ''}` })) },
      ),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1', 'multipart/form-data', '') },
      ),
      correlation: header,
      idempotency: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: header }),
      body: fc.constant(undefined),
    })
    .chain((r) => bodyText(r.route.body).map((body) => ({ ...r, body })))
    .map((r) => {
      const path = r.route.path.replace(':id', r.id).replace(':group', r.group).replace(':name', r.name).replace(':key', r.key);
      const method = r.method ?? r.route.method;
      const headers: Record<string, string> = { ...(r.auth as Record<string, string>) };
      const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS' && r.body !== undefined;
      if (withBody && r.contentType !== '') headers['content-type'] = r.contentType;
      if (r.correlation !== undefined) headers['x-correlation-id'] = r.correlation;
      if (r.idempotency !== undefined) headers['idempotency-key'] = r.idempotency;
      return { method, path: `${path}${r.query}`, headers, ...(withBody ? { body: r.body } : {}) };
    });
}

/** The requests of a run: `count` of them, the same for the same seed. */
export function generateRequests(ctx: Parameters<typeof requestArbitrary>[0], count: number, seed: number): FuzzRequest[] {
  return fc.sample(requestArbitrary(ctx), { numRuns: count, seed });
}

/** What went wrong with one answer, or undefined when it is as documented. */
export function checkAnswer(status: number, contentType: string | null, text: string, method: string): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (status < 400 || method === 'HEAD') return undefined;
  if (!contentType?.startsWith('application/json')) return `error answer with content-type ${contentType}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'error answer that is not JSON';
  }
  return envelopes.is(body) ? undefined : `error body outside the envelope: ${text.slice(0, 200)}`;
}
const envelopes = new Validator(ErrorEnvelope);

export interface FuzzReport {
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly serverErrors: number;
  readonly envelopeViolations: number;
  readonly transportErrors: number;
  readonly failures: readonly { readonly request: FuzzRequest; readonly problem: string }[];
  readonly seconds: number;
}

/** Sends `requests` to `baseUrl` with `concurrency` in flight and checks every answer. */
export async function runFuzz(
  baseUrl: string,
  requests: readonly FuzzRequest[],
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<FuzzReport> {
  const byStatus: Record<string, number> = {};
  const failures: { request: FuzzRequest; problem: string }[] = [];
  let serverErrors = 0;
  let envelopeViolations = 0;
  let transportErrors = 0;
  let next = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      let problem: string | undefined;
      try {
        const r = await fetch(`${baseUrl}${request.path}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await r.text();
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        problem = checkAnswer(r.status, r.headers.get('content-type'), text, request.method);
        if (problem?.startsWith('status')) serverErrors++;
        else if (problem) envelopeViolations++;
      } catch (error) {
        transportErrors++;
        problem = `no answer: ${(error as Error).message}`;
      }
      if (problem && failures.length < 50) failures.push({ request, problem });
      if (++done % 1000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    requests: requests.length,
    byStatus,
    serverErrors,
    envelopeViolations,
    transportErrors,
    failures,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
