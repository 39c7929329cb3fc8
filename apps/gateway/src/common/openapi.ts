import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Kind, type TSchema } from '@sinclair/typebox';
import * as Contracts from '@foresight/contracts';
import { ErrorCodes, ErrorEnvelope, type ErrorCode } from '@foresight/contracts';
import { COMMON_ERRORS, ROUTE_CONTRACTS, type RouteContract } from './api-contract';
import { STATUS_BY_CODE } from './error.filter';

/** Where the gateway serves the document (and the UI at /docs). */
export const OPENAPI_JSON_PATH = 'docs/openapi.json';
/** Where the gateway serves the AsyncAPI document of the event streams (`buildAsyncApiDocument`). */
export const ASYNCAPI_JSON_PATH = 'docs/asyncapi.json';

type Json = Record<string, unknown>;

/**
 * Component names of the contracts' schemas: every exported TypeBox schema under its export name,
 * so a route's `$ref` names the very schema the handler validates with.
 */
function componentNames(): Map<TSchema, string> {
  const names = new Map<TSchema, string>();
  for (const [name, value] of Object.entries(Contracts)) {
    if (typeof value === 'object' && value !== null && Kind in value && !names.has(value as TSchema)) names.set(value as TSchema, name);
  }
  return names;
}

/** A schema as JSON (TypeBox's symbol keys dropped), as it appears in the document. */
export const toJsonSchema = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

function refTo(schema: TSchema, names: Map<TSchema, string>, components: Record<string, Json>): Json {
  const name = names.get(schema);
  if (!name) return toJsonSchema(schema);
  components[name] ??= toJsonSchema(schema);
  return { $ref: `#/components/schemas/${name}` };
}

/** Error responses by status: the envelope, with the codes the route can answer under that status. */
function errorResponses(contract: RouteContract, envelope: Json, mutating: boolean): Record<string, Json> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  // Every mutating route is rate limited (429 with Retry-After), whatever its controller declares.
  for (const code of [...COMMON_ERRORS, ...(contract.errors ?? []), ...(mutating ? [ErrorCodes.RATE_LIMITED] : [])]) {
    const status = STATUS_BY_CODE[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const out: Record<string, Json> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const list = [...codes];
    out[String(status)] = {
      description: list.join(', '),
      content: {
        'application/json': {
          schema: { allOf: [envelope, { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: list } } } } }] },
        },
      },
    };
  }
  return out;
}

/**
 * Puts the contracts into the document @nestjs/swagger generated from the controllers: each
 * route's request body, success body and error responses, with the schemas as components. Routes
 * without a contract are left as they are (the e2e test refuses them).
 */
export function applyContracts(document: OpenAPIObject): OpenAPIObject {
  const names = componentNames();
  const components: Record<string, Json> = {};
  const envelope = refTo(ErrorEnvelope, names, components);
  for (const item of Object.values(document.paths)) {
    for (const [method, op] of Object.entries(item) as [string, Json][]) {
      const contract = typeof op === 'object' && op !== null ? ROUTE_CONTRACTS.get(String(op.operationId)) : undefined;
      if (!contract) continue;
      if (contract.body) op.requestBody = { required: true, content: { 'application/json': { schema: refTo(contract.body, names, components) } } };
      const responses = (op.responses ?? {}) as Record<string, Json>;
      const success = Object.keys(responses).find((s) => s.startsWith('2')) ?? '200';
      op.responses = {
        [success]: {
          description: responses[success]?.description || 'Success',
          content: { 'application/json': { schema: refTo(contract.response, names, components) } },
        },
        ...errorResponses(contract, envelope, ['post', 'put', 'patch', 'delete'].includes(method)),
      };
    }
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...components } };
  // TypeBox writes JSON Schema 2020-12 (`const`, `type: "null"`), which is OpenAPI 3.1's dialect.
  document.openapi = '3.1.0';
  return document;
}

/** The gateway's OpenAPI document, built from its controllers and the contracts. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Foresight')
    .setDescription('Distributed, predictive session platform. Every error is {"error": {"code", "message", "correlationId", "details"?}} with a stable code.')
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: "A back end's API key" }, 'apiKey')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "A client's access token for the session in the path (POST /v1/sessions/{id}/tokens)",
      },
      'bearer',
    )
    .build();
  return applyContracts(SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller}_${method}` }));
}
