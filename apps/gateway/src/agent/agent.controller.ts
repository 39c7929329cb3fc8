import { Body, Controller, Get, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ForesightConfig } from '@foresight/config';
import { AgentReportAccepted, AgentReportBody, AgentReportsList, CONTRACT_VERSION, ContractInfo, ErrorCodes, Limits, Validator } from '@foresight/contracts';
import { CONFIG } from '@foresight/platform';
import type { FastifyRequest } from 'fastify';
import { API_KEY_ERRORS, ApiContract, BODY_ERRORS, SESSION_AUTH_ERRORS } from '../common/api-contract';
import { ApiKeyGuard } from '../common/api-key.guard';
import { AgentAuthGuard } from './agent-auth.guard';
import { AgentReports } from './agent-reports';

const reports = new Validator(AgentReportBody, 'The request body');

/**
 * What client libraries need from a gateway besides the session API: the contract version and the
 * limits they enforce before sending, and a place to report what their agent measured.
 */
@ApiTags('clients')
@Controller('v1')
export class AgentController {
  private readonly contract: ContractInfo;

  constructor(
    private readonly reports: AgentReports,
    @Inject(CONFIG) config: ForesightConfig,
  ) {
    this.contract = {
      contractVersion: CONTRACT_VERSION,
      api: 'v1',
      limits: {
        maxVariableBytes: config.session.maxVariableBytes,
        maxSessionBytes: config.session.maxSessionBytes,
        maxBodyBytes: config.http.bodyLimitBytes,
        variableNameLength: Limits.variableNameLength,
        dataKeyLength: Limits.dataKeyLength,
      },
      groups: [...config.session.groups],
      agentReportIntervalMs: reports.options.intervalMs,
    };
  }

  @Get('contract')
  @ApiOperation({ summary: "The gateway's contract version, its input limits and state groups (no auth): a client checks it before its first call" })
  @ApiContract({ response: ContractInfo })
  contractInfo(): ContractInfo {
    return this.contract;
  }

  @Post('agent/reports')
  @HttpCode(202)
  @UseGuards(AgentAuthGuard)
  @ApiSecurity('apiKey')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: "A client agent's measurements of the gateways it uses: round-trip time, error rate, throughput",
    description:
      'API key, or any valid access token. The latest report per client is kept for a few minutes and exposed in /metrics. 429 REQUEST.RATE_LIMITED when a client reports more than about once a second.',
  })
  @ApiContract({ body: AgentReportBody, response: AgentReportAccepted, errors: [...SESSION_AUTH_ERRORS, ...BODY_ERRORS, ErrorCodes.RATE_LIMITED] })
  report(@Body() raw: unknown, @Req() req: FastifyRequest): AgentReportAccepted {
    return this.reports.accept(reports.parse(raw), req.ip);
  }

  @Get('agent/reports')
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'The latest report of every client agent heard from recently by this gateway, newest first' })
  @ApiContract({ response: AgentReportsList, errors: API_KEY_ERRORS })
  list(): AgentReportsList {
    return { reports: this.reports.list().map((s) => ({ ...s.report, receivedAt: new Date(s.receivedAt).toISOString() })) };
  }
}
