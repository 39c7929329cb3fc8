import { Controller, Get, Inject, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ForesightConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, MAX_PREDICTIONS, predictionSubjects, type PredictionCommands, type PredictionResult } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { CONFIG, NATS } from '@foresight/platform';
import { isIssuedSessionId } from '@foresight/session-domain';
import type { FastifyRequest } from 'fastify';
import type { NatsConnection } from 'nats';
import { SessionAuthGuard } from '../tokens/session-auth.guard';
import { predictionCountParam } from './prediction-query';

/** `GET /v1/sessions/:id/predictions`: the session's most likely next actions, from the prediction service. */
@ApiTags('predictions')
@ApiSecurity('apiKey')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(SessionAuthGuard)
@Controller('v1/sessions')
export class PredictionsController {
  private readonly subject: string;

  constructor(
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {
    this.subject = predictionSubjects(config.nats.namespace).predictionRpc('predict');
  }

  @Get(':id/predictions')
  @ApiOperation({
    summary: 'The most likely next actions of a session (P2/P3), with probabilities and the model version',
    description:
      'Learned online from recorded actions (POST /v1/sessions/:id/actions). A session with no action yet gets the ' +
      'start-of-session distribution (popularity). 404 SESSION.NOT_FOUND for unknown or forged ids, 400 REQUEST.INVALID for a bad n.',
  })
  @ApiQuery({ name: 'n', required: false, description: `How many predictions, 1–${MAX_PREDICTIONS} (default 5)` })
  async predictions(@Param('id') id: string, @Query('n') n: unknown, @Req() req: FastifyRequest): Promise<PredictionResult> {
    const count = predictionCountParam(n);
    if (!isIssuedSessionId(id, this.config.session.idSecret)) {
      throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: the id was not issued by this cluster.');
    }
    const request: PredictionCommands['predict']['request'] = { sessionId: id, n: count };
    return callRpc<PredictionResult>(this.nc, this.subject, 'predict', request, {
      timeoutMs: this.config.nats.requestTimeoutMs,
      correlationId: String(req.id),
    });
  }
}
