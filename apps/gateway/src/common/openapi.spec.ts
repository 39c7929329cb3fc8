import 'reflect-metadata';
import { Module, type INestApplication, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';
import {
  AffinityRecord,
  AffinityViewReply,
  ClusterCacheStats,
  CreateSessionBody,
  DataGetReply,
  DataPrefetchReply,
  EdgeDetail,
  ErrorEnvelope,
  InvalidateAccepted,
  InvalidateBody,
  IssueTokensBody,
  Jwks,
  OwnerView,
  PatchVariableBody,
  PredictionResult,
  PrefetchBody,
  PutVariableBody,
  RecordActionBody,
  RefreshTokensBody,
  RequirementDeclaration,
  RequirementsListReply,
  RequirementsPutReply,
  RevokeReply,
  SessionCacheStats,
  SessionView,
  SetWeightBody,
  TokenPair,
  VariableReply,
  VersionReply,
} from '@foresight/contracts';
import { CLOCK, CONFIG, NATS } from '@foresight/platform';
import { CacheAdminController } from '../cache/cache-admin.controller';
import { DataController } from '../cache/data.controller';
import { PredictionOutcomes } from '../dashboard/prediction-outcomes';
import { EdgeCacheService } from '../edge-cache/edge-cache.service';
import { AffinityClient } from '../edges/affinity-client';
import { EdgesController } from '../edges/edges.controller';
import { PreferredEdges } from '../edges/preferred-edge.hook';
import { PredictionsController } from '../predictions/predictions.controller';
import { OwnerDirectory } from '../routing/owner-directory.service';
import { ShardClient } from '../routing/shard-client.service';
import { SessionsController } from '../sessions/sessions.controller';
import { VariablesService } from '../sessions/variables.service';
import { AccessTokenVerifier } from '../tokens/access-token-verifier';
import { JwksCache } from '../tokens/jwks-cache';
import { RefreshLimits } from '../tokens/refresh-limits';
import { TokenClient } from '../tokens/token-client';
import { TokensController } from '../tokens/tokens.controller';
import { AdminKeyGuard, ApiKeyGuard } from './api-key.guard';
import { ApiKeys } from './api-keys';
import { SessionTenants } from './session-tenants';
import { buildOpenApiDocument, toJsonSchema } from './openapi';

// The controllers only, with inert dependencies: building the document calls none of them.
const stubs: Provider[] = [
  ShardClient,
  VariablesService,
  EdgeCacheService,
  OwnerDirectory,
  TokenClient,
  JwksCache,
  RefreshLimits,
  AccessTokenVerifier,
  ApiKeys,
  SessionTenants,
  PredictionOutcomes,
  AffinityClient,
  PreferredEdges,
  CLOCK,
  NATS,
].map((provide) => ({
  provide,
  useValue: {},
}));

@Module({
  controllers: [SessionsController, TokensController, DataController, CacheAdminController, PredictionsController, EdgesController],
  providers: [...stubs, ApiKeyGuard, AdminKeyGuard, { provide: CONFIG, useValue: { gateway: { apiKeys: [] }, nats: { namespace: 'fs' }, session: {} } }],
})
class DocsModule {}

/** Every route, with the contracts' schema of its request body (if any) and success body. */
const ROUTES: readonly [method: string, path: string, body: TSchema | undefined, response: TSchema][] = [
  ['post', '/v1/sessions', CreateSessionBody, SessionView],
  ['get', '/v1/sessions/{id}', undefined, SessionView],
  ['delete', '/v1/sessions/{id}', undefined, VersionReply],
  ['post', '/v1/sessions/{id}/actions', RecordActionBody, VersionReply],
  ['get', '/v1/sessions/{id}/owner', undefined, OwnerView],
  ['get', '/v1/sessions/{id}/vars/{group}/{name}', undefined, VariableReply],
  ['put', '/v1/sessions/{id}/vars/{group}/{name}', PutVariableBody, VersionReply],
  ['patch', '/v1/sessions/{id}/vars/{group}/{name}', PatchVariableBody, VariableReply],
  ['delete', '/v1/sessions/{id}/vars/{group}/{name}', undefined, VersionReply],
  ['get', '/v1/sessions/{id}/data/{key}', undefined, DataGetReply],
  ['post', '/v1/sessions/{id}/prefetch', PrefetchBody, DataPrefetchReply],
  ['get', '/v1/sessions/{id}/cache-stats', undefined, SessionCacheStats],
  ['get', '/v1/sessions/{id}/predictions', undefined, PredictionResult],
  ['get', '/v1/.well-known/jwks.json', undefined, Jwks],
  ['post', '/v1/sessions/{id}/tokens', IssueTokensBody, TokenPair],
  ['post', '/v1/tokens/refresh', RefreshTokensBody, TokenPair],
  ['delete', '/v1/sessions/{id}/tokens', undefined, RevokeReply],
  ['put', '/v1/requirements', RequirementDeclaration, RequirementsPutReply],
  ['get', '/v1/requirements', undefined, RequirementsListReply],
  ['post', '/v1/invalidate', InvalidateBody, InvalidateAccepted],
  ['get', '/v1/cache/stats', undefined, ClusterCacheStats],
  ['get', '/v1/edges', undefined, AffinityViewReply],
  ['get', '/v1/edges/{edgeId}', undefined, EdgeDetail],
  ['get', '/v1/sessions/{id}/affinity', undefined, AffinityRecord],
  ['put', '/v1/sessions/{id}/affinity/weight', SetWeightBody, AffinityRecord],
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks a JSON document of any shape
type Json = Record<string, any>;

describe('the OpenAPI document is built from the contracts', () => {
  let app: INestApplication;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    app = await NestFactory.create(DocsModule, new FastifyAdapter(), { logger: false });
    doc = buildOpenApiDocument(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  const resolve = (schema: Json): Json => {
    const ref = schema.$ref as string | undefined;
    return ref ? (doc.components!.schemas as Json)[ref.replace('#/components/schemas/', '')] : schema;
  };

  it('documents exactly the routes listed here', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  it.each(ROUTES)("%s %s: the body and success schemas are the contracts' own", (method, path, body, response) => {
    const op = (doc.paths[path] as Json)[method] as Json;
    if (body) expect(resolve(op.requestBody.content['application/json'].schema)).toEqual(toJsonSchema(body));
    else expect(op.requestBody).toBeUndefined();
    const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
    expect(success).toHaveLength(1);
    expect(resolve(op.responses[success[0]!].content['application/json'].schema)).toEqual(toJsonSchema(response));
  });

  it('answers every error in the envelope, and declares both security schemes', () => {
    expect((doc.components!.schemas as Json).ErrorEnvelope).toEqual(toJsonSchema(ErrorEnvelope));
    expect(Object.keys(doc.components!.securitySchemes!).sort()).toEqual(['apiKey', 'bearer']);
    const put = (doc.paths['/v1/sessions/{id}/vars/{group}/{name}'] as Json).put as Json;
    expect(put.responses['400'].content['application/json'].schema.allOf[0]).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
    expect(put.responses['400'].content['application/json'].schema.allOf[1].properties.error.properties.code.enum).toEqual(
      expect.arrayContaining(['REQUEST.INVALID', 'SESSION.UNKNOWN_GROUP']),
    );
  });
});
