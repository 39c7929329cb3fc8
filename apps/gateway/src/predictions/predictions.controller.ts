import { Controller, Get, Inject, Param, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ForesightConfig } from '@foresight/config';
import {
  DEFAULT_PREDICTIONS,
  ErrorCodes,
  MAX_PREDICTIONS,
  PredictionCount,
  PredictionResult,
  predictionSubjects,
  Validator,
  type PredictionCommands,
} from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { CONFIG, NATS } from '@foresight/platform';
import { checkIssuedId } from '@foresight/session-domain';
import type { FastifyRequest } from 'fastify';
import type { NatsConnection } from 'nats';
import { ApiContract, SESSION_AUTH_ERRORS } from '../common/api-contract';
import { PredictionOutcomes } from '../dashboard/prediction-outcomes';
import { SessionAuthGuard } from '../tokens/session-auth.guard';

const counts = new Validator(PredictionCount, 'Query parameter "n"');

/** `?n=` of `GET /v1/sessions/:id/predictions`: plain decimal digits, then the same schema as the bus's `n`. */
export function predictionCountParam(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_PREDICTIONS;
  return counts.parse(typeof raw === 'string' && /^[0-9]{1,6}$/.test(raw) ? Number(raw) : raw);
}

/** `GET /v1/sessions/:id/predictions`: the session's most likely next actions, from the prediction service. */
@ApiTags('predictions')
@ApiSecurity('apiKey')
@ApiBearerAuth('bearer')
@ApiHeader({ name: 'x-correlation-id', required: false, description: 'Traced through every service and event' })
@UseGuards(SessionAuthGuard)
@Controller('v1/sessions')
export class PredictionsController {
  private readonly subject: string;

  constructor(
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly outcomes: PredictionOutcomes,
  ) {
    this.subject = predictionSubjects(config.nats.namespace).predictionRpc('predict');
  }

  @Get(':id/predictions')
  @ApiOperation({
    summary: 'The most likely next actions of a session, with probabilities and the model version',
    description:
      'Learned online from recorded actions (POST /v1/sessions/:id/actions). A session with no action yet gets the ' +
      'start-of-session distribution (popularity). 404 SESSION.NOT_FOUND for unknown or forged ids, 400 REQUEST.INVALID for a bad n.',
  })
  @ApiQuery({ name: 'n', required: false, description: `How many predictions, 1–${MAX_PREDICTIONS} (default ${DEFAULT_PREDICTIONS})` })
  @ApiContract({ response: PredictionResult, errors: [...SESSION_AUTH_ERRORS, ErrorCodes.SESSION_NOT_FOUND] })
  async predictions(@Param('id') id: string, @Query('n') n: unknown, @Req() req: FastifyRequest): Promise<PredictionResult> {
    const request: PredictionCommands['predict']['request'] = { n: predictionCountParam(n), sessionId: checkIssuedId(id, this.config.session.idSecret) };
    const result = await callRpc<PredictionResult>(this.nc, this.subject, 'predict', request, {
      timeoutMs: this.config.nats.requestTimeoutMs,
      correlationId: String(req.id),
    });
    // Scored against the session's next recorded action (the dashboard's prediction accuracy).
    this.outcomes.served(result);
    return result;
  }
}
