import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DataGetReply, DataKeyParam, DataPrefetchReply, ErrorCodes, PrefetchBody, SessionCacheStats, Validator } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiContract, BODY_ERRORS, OWNER_ERRORS, SESSION_AUTH_ERRORS } from '../common/api-contract';
import { callContext } from '../routing/call-context';
import { ShardClient, type CallContext } from '../routing/shard-client.service';
import { VariablesService } from '../sessions/variables.service';
import { SessionAuthGuard } from '../tokens/session-auth.guard';

const dataKeys = new Validator(DataKeyParam, 'The data key in the URL');
const prefetchBodies = new Validator(PrefetchBody, 'The request body');

const ORIGIN_ERRORS = [
  ErrorCodes.ORIGIN_NOT_FOUND,
  ErrorCodes.DATA_NOT_FOUND,
  ErrorCodes.ORIGIN_FAILED,
  ErrorCodes.ORIGIN_BAD_RESPONSE,
  ErrorCodes.ORIGIN_TIMEOUT,
  ErrorCodes.ORIGIN_CIRCUIT_OPEN,
];

/** Predictive data access of a session, routed to the session's owner node. */
@ApiTags('predictive cache')
@ApiSecurity('apiKey')
@ApiBearerAuth('bearer')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(SessionAuthGuard)
@Controller('v1/sessions')
export class DataController {
  constructor(
    private readonly shards: ShardClient,
    private readonly variables: VariablesService,
  ) {}

  private ctx(req: FastifyRequest): CallContext {
    return callContext(req);
  }

  @Get(':id/data/:key')
  @ApiOperation({
    summary: "getWithPrediction: a data key for this session, from the owner node's cache or its origin",
    description:
      'source = cache | prefetched (first read of a prefetched value) | inflight (joined a load already running) | origin. ' +
      'Errors: 400 REQUEST.INVALID (bad key), 404 ORIGIN.NOT_FOUND (no origin serves the key), 404 DATA.NOT_FOUND (the origin has no such key), 502 ORIGIN.FAILED / ORIGIN.BAD_RESPONSE, ' +
      '504 ORIGIN.TIMEOUT, 503 ORIGIN.CIRCUIT_OPEN (the origin keeps failing; retry later).',
  })
  @ApiContract({ response: DataGetReply, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS, ...ORIGIN_ERRORS] })
  async get(@Param('id') id: string, @Param('key') key: string, @Req() req: FastifyRequest): Promise<DataGetReply> {
    const k = dataKeys.parse(key);
    return this.shards.call(this.variables.checkId(id), 'data.get', { sessionId: id, key: k }, this.ctx(req));
  }

  @Post(':id/prefetch')
  @HttpCode(202)
  @ApiOperation({ summary: 'prefetch: load the keys an action needs (declared and learned requirements) for this session, in the background' })
  @ApiContract({ body: PrefetchBody, response: DataPrefetchReply, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS, ...BODY_ERRORS] })
  async prefetch(@Param('id') id: string, @Body() raw: unknown, @Req() req: FastifyRequest): Promise<DataPrefetchReply> {
    const { action, context } = prefetchBodies.parse(raw);
    return this.shards.call(this.variables.checkId(id), 'data.prefetch', { sessionId: id, action, context }, this.ctx(req));
  }

  @Get(':id/cache-stats')
  @ApiOperation({ summary: "The session's predictive-cache counters on its owner node (requests, hits, misses, prefetches used)" })
  @ApiContract({ response: SessionCacheStats, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS] })
  async stats(@Param('id') id: string, @Req() req: FastifyRequest): Promise<SessionCacheStats> {
    return this.shards.call(this.variables.checkId(id), 'data.stats', { sessionId: id }, this.ctx(req));
  }
}
