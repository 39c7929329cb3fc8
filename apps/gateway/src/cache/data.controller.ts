import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ErrorCodes, ForesightError, type DataGetReply, type DataPrefetchReply, type SessionCacheStats } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { ShardClient, type CallContext } from '../routing/shard-client.service';
import { VariablesService } from '../sessions/variables.service';
import { SessionAuthGuard } from '../tokens/session-auth.guard';
import { dataKeyParam } from './data-key';
import { PrefetchDto } from './dto';

/** Predictive data access of a session (P9), routed to the session's owner node (S5). */
@ApiTags('predictive cache')
@ApiSecurity('apiKey')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(SessionAuthGuard)
@Controller('v1/sessions')
export class DataController {
  constructor(
    private readonly shards: ShardClient,
    private readonly variables: VariablesService,
  ) {}

  private ctx(req: FastifyRequest): CallContext {
    return { correlationId: String(req.id), causationId: String(req.id) };
  }

  @Get(':id/data/:key')
  @ApiOperation({
    summary: 'getWithPrediction: a data key for this session, from the owner node\'s cache or its origin',
    description:
      'source = cache | prefetched (first read of a prefetched value) | inflight (joined a load already running) | origin. ' +
      'Errors: 400 REQUEST.INVALID (bad key), 404 ORIGIN.NOT_FOUND (no origin serves the key), 404 DATA.NOT_FOUND (the origin has no such key), 502 ORIGIN.FAILED / ORIGIN.BAD_RESPONSE, ' +
      '504 ORIGIN.TIMEOUT, 503 ORIGIN.CIRCUIT_OPEN (the origin keeps failing; retry later).',
  })
  async get(@Param('id') id: string, @Param('key') key: string, @Req() req: FastifyRequest): Promise<DataGetReply> {
    const k = dataKeyParam(key);
    return this.shards.call(this.variables.checkId(id), 'data.get', { sessionId: id, key: k }, this.ctx(req));
  }

  @Post(':id/prefetch')
  @HttpCode(202)
  @ApiOperation({ summary: 'prefetch: load the keys an action needs (declared and learned requirements) for this session, in the background' })
  async prefetch(@Param('id') id: string, @Body() raw: PrefetchDto, @Req() req: FastifyRequest): Promise<DataPrefetchReply> {
    const b = raw as unknown as Record<string, unknown> | null;
    if (typeof b !== 'object' || b === null || typeof b.action !== 'string') {
      throw new ForesightError(ErrorCodes.VALIDATION, 'The body must be {"action": "<name>", "context"?: {...}}.');
    }
    return this.shards.call(
      this.variables.checkId(id),
      'data.prefetch',
      { sessionId: id, action: b.action, context: b.context as Record<string, string | number> | undefined },
      this.ctx(req),
    );
  }

  @Get(':id/cache-stats')
  @ApiOperation({ summary: "The session's predictive-cache counters on its owner node (requests, hits, misses, prefetches used)" })
  async stats(@Param('id') id: string, @Req() req: FastifyRequest): Promise<SessionCacheStats> {
    return this.shards.call(this.variables.checkId(id), 'data.stats', { sessionId: id }, this.ctx(req));
  }
}
