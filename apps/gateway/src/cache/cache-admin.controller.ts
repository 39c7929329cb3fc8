import { Body, Controller, Get, HttpCode, Inject, Post, Put, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { KeyPattern } from '@foresight/cache-core';
import type { ForesightConfig } from '@foresight/config';
import {
  cacheSubjects,
  ClusterCacheStats,
  ErrorCodes,
  ForesightError,
  InvalidateAccepted,
  InvalidateBody,
  RequirementDeclaration,
  RequirementsListReply,
  RequirementsPutReply,
  Validator,
  type CacheInvalidateV1,
  type CacheRequirementsCommands,
  type NodeCacheStats,
} from '@foresight/contracts';
import { callRpc, encode } from '@foresight/messaging';
import { CONFIG, NATS } from '@foresight/platform';
import type { FastifyRequest } from 'fastify';
import type { NatsConnection } from 'nats';
import { API_KEY_ERRORS, ApiContract, BODY_ERRORS } from '../common/api-contract';
import { AdminKeyGuard } from '../common/api-key.guard';
import { OwnerDirectory } from '../routing/owner-directory.service';

const invalidations = new Validator(InvalidateBody, 'The request body');
const declarations = new Validator(RequirementDeclaration, 'The request body');

/** Checks a `POST /v1/invalidate` body; returns the message to publish. */
export function invalidation(raw: unknown, correlationId: string): CacheInvalidateV1 {
  const b = invalidations.parse(raw);
  if (b.keys !== undefined) return { type: 'cache.invalidate', version: 1, keys: b.keys, correlationId };
  try {
    new KeyPattern(b.pattern!);
  } catch {
    throw new ForesightError(
      ErrorCodes.CACHE_INVALID_PATTERN,
      '"pattern" must be 1-512 visible ASCII characters where "*" matches one or more characters (no "**").',
    );
  }
  return { type: 'cache.invalidate', version: 1, pattern: b.pattern!, correlationId };
}

/** Cluster-wide predictive-cache administration: data requirements, invalidation, per-node stats (API keys with the admin scope). */
@ApiTags('predictive cache')
@ApiSecurity('apiKey')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(AdminKeyGuard)
@Controller('v1')
export class CacheAdminController {
  constructor(
    private readonly directory: OwnerDirectory,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  @Put('requirements')
  @ApiOperation({
    summary: 'Declare what an action needs: action pattern → key templates; stored in Postgres and applied by every shard node',
    description: '400 CACHE.INVALID_PATTERN (bad action pattern), 400 REQUIREMENT.INVALID_TEMPLATE (bad key template). "keys": [] removes the declaration.',
  })
  @ApiContract({
    body: RequirementDeclaration,
    response: RequirementsPutReply,
    errors: [...API_KEY_ERRORS, ...BODY_ERRORS, ErrorCodes.CACHE_INVALID_PATTERN, ErrorCodes.REQUIREMENT_INVALID_TEMPLATE],
  })
  async putRequirement(@Body() raw: unknown, @Req() req: FastifyRequest): Promise<CacheRequirementsCommands['put']['reply']> {
    const { pattern, keys } = declarations.parse(raw);
    const declaration: CacheRequirementsCommands['put']['request'] = { pattern, keys };
    return callRpc(this.nc, cacheSubjects(this.config.nats.namespace).requirementsRpc, 'put', declaration, {
      timeoutMs: this.config.nats.requestTimeoutMs,
      correlationId: String(req.id),
    });
  }

  @Get('requirements')
  @ApiOperation({ summary: 'Declared data requirements (configuration and REST)' })
  @ApiContract({ response: RequirementsListReply, errors: API_KEY_ERRORS })
  async listRequirements(@Req() req: FastifyRequest): Promise<CacheRequirementsCommands['list']['reply']> {
    return callRpc(
      this.nc,
      cacheSubjects(this.config.nats.namespace).requirementsRpc,
      'list',
      {},
      {
        timeoutMs: this.config.nats.requestTimeoutMs,
        correlationId: String(req.id),
      },
    );
  }

  @Post('invalidate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Announce changed data: every shard node drops the keys (core NATS broadcast on <ns>.cache.invalidate)' })
  @ApiContract({ body: InvalidateBody, response: InvalidateAccepted, errors: [...API_KEY_ERRORS, ...BODY_ERRORS, ErrorCodes.CACHE_INVALID_PATTERN] })
  async invalidate(@Body() raw: unknown, @Req() req: FastifyRequest): Promise<{ accepted: true; keys?: readonly string[]; pattern?: string }> {
    const message = invalidation(raw, String(req.id));
    this.nc.publish(cacheSubjects(this.config.nats.namespace).invalidate, encode(message));
    await this.nc.flush();
    return { accepted: true, ...(message.keys ? { keys: message.keys } : { pattern: message.pattern }) };
  }

  @Get('cache/stats')
  @ApiOperation({ summary: 'Per-node predictive-cache counters, gathered from every live shard node' })
  @ApiContract({ response: ClusterCacheStats, errors: API_KEY_ERRORS })
  async stats(@Req() req: FastifyRequest): Promise<{ nodes: (NodeCacheStats | { nodeId: string; error: { code: string; message: string } })[] }> {
    if (!this.directory.assignment) await this.directory.refresh();
    const nodes = (this.directory.assignment?.nodes ?? []).filter((n) => n.status === 'active');
    const replies = await Promise.all(
      nodes.map((n) =>
        callRpc<NodeCacheStats>(
          this.nc,
          n.rpcSubject,
          'cache.stats',
          {},
          { timeoutMs: this.config.nats.requestTimeoutMs, correlationId: String(req.id) },
        ).catch((error: unknown) => ({
          nodeId: n.nodeId,
          error: error instanceof ForesightError ? { code: error.code, message: error.message } : { code: ErrorCodes.INTERNAL, message: 'no answer' },
        })),
      ),
    );
    return { nodes: replies };
  }
}
