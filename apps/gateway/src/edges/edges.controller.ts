import { Body, Controller, Get, Param, Put, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AffinityRecord, AffinityViewReply, EdgeDetail, EdgeId, ErrorCodes, ForesightError, SetWeightBody, Validator } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { API_KEY_ERRORS, ApiContract, BODY_ERRORS } from '../common/api-contract';
import { ApiKeyGuard } from '../common/api-key.guard';
import { VariablesService } from '../sessions/variables.service';
import { AffinityClient } from './affinity-client';

const weightBodies = new Validator(SetWeightBody, 'The request body');
const EDGE_ID = new RegExp(EdgeId.pattern as string);

/**
 * The edge registry and the session affinity records over HTTP: what the affinity service answers on
 * NATS, read live (never from this edge's cached view), behind the API key (GET: read scope, PUT: write).
 */
@ApiTags('edges')
@ApiSecurity('apiKey')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class EdgesController {
  constructor(
    private readonly affinity: AffinityClient,
    private readonly variables: VariablesService,
  ) {}

  @Get('edges')
  @ApiOperation({ summary: 'The edge registry: every edge with its zone, health, lease and live sessions, and the routing settings' })
  @ApiContract({ response: AffinityViewReply, errors: API_KEY_ERRORS })
  async list(@Req() req: FastifyRequest): Promise<AffinityViewReply> {
    return this.affinity.call('view', {}, String(req.id));
  }

  @Get('edges/:edgeId')
  @ApiOperation({ summary: 'One edge of the registry: 404 EDGE.NOT_FOUND when it never registered' })
  @ApiContract({ response: EdgeDetail, errors: [...API_KEY_ERRORS, ErrorCodes.EDGE_NOT_FOUND] })
  async one(@Param('edgeId') edgeId: string, @Req() req: FastifyRequest): Promise<EdgeDetail> {
    if (!EDGE_ID.test(edgeId)) throw new ForesightError(ErrorCodes.VALIDATION, 'An edge id is 1-64 letters, digits, "_" and "-".');
    const view = await this.affinity.call('view', {}, String(req.id));
    const edge = view.edges.find((e) => e.edgeId === edgeId);
    if (!edge) throw new ForesightError(ErrorCodes.EDGE_NOT_FOUND, `No edge ${edgeId} has registered; GET /v1/edges lists the edges.`);
    return { edge, threshold: view.threshold, hashByUser: view.hashByUser };
  }

  @Get('sessions/:id/affinity')
  @ApiOperation({ summary: "A session's affinity record: its edge, stickiness weight (0-100), record version and lease" })
  @ApiContract({ response: AffinityRecord, errors: [...API_KEY_ERRORS, ErrorCodes.SESSION_NOT_FOUND] })
  async record(@Param('id') id: string, @Req() req: FastifyRequest): Promise<AffinityRecord> {
    return this.affinity.call('record', { sessionId: this.variables.checkId(id) }, String(req.id));
  }

  @Put('sessions/:id/affinity/weight')
  @ApiOperation({
    summary: "Set a session's stickiness weight (an integer 0-100)",
    description:
      'Below the routing threshold (GET /v1/edges) the session is placed again at its next routing decision; at or above it, it stays on its edge while that edge is healthy. 404 SESSION.NOT_FOUND while the session has no affinity record.',
  })
  @ApiContract({
    body: SetWeightBody,
    response: AffinityRecord,
    errors: [...API_KEY_ERRORS, ...BODY_ERRORS, ErrorCodes.SESSION_NOT_FOUND, ErrorCodes.SESSION_VERSION_CONFLICT],
  })
  async setWeight(@Param('id') id: string, @Body() raw: unknown, @Req() req: FastifyRequest): Promise<AffinityRecord> {
    const sessionId = this.variables.checkId(id);
    const { weight } = weightBodies.parse(raw);
    return this.affinity.call('weight', { sessionId, weight }, String(req.id));
  }
}
