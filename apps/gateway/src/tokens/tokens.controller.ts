import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ForesightConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, IssueTokensBody, Jwks, RefreshTokensBody, RevokeReply, TokenPair, Validator } from '@foresight/contracts';
import { CLOCK, CONFIG } from '@foresight/platform';
import { checkIssuedId } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import { hashRefreshToken, isWellFormedRefreshToken } from '@foresight/token-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_ERRORS, ApiContract, BODY_ERRORS, OWNER_ERRORS, SESSION_AUTH_ERRORS } from '../common/api-contract';
import { ApiKeyGuard } from '../common/api-key.guard';
import { checkTenantUser, type KeyedRequest } from '../common/api-keys';
import { ShardClient } from '../routing/shard-client.service';
import { JwksCache } from './jwks-cache';
import { RefreshLimits } from './refresh-limits';
import { familyOfJti } from './revocation-list';
import { SessionAuthGuard, type TokenAuthenticatedRequest } from './session-auth.guard';
import { TokenClient } from './token-client';

const issueBodies = new Validator(IssueTokensBody, 'The request body');
const refreshBodies = new Validator(RefreshTokensBody, 'The request body');

const REFRESH_ERRORS = [
  ErrorCodes.TOKEN_MALFORMED,
  ErrorCodes.TOKEN_UNKNOWN,
  ErrorCodes.TOKEN_EXPIRED,
  ErrorCodes.TOKEN_REVOKED,
  ErrorCodes.TOKEN_REUSED,
  ErrorCodes.RATE_LIMITED,
];

/** Tokens over REST: JWKS, issuing a pair for a session, refreshing, revoking. */
@ApiTags('tokens')
@Controller('v1')
export class TokensController {
  constructor(
    private readonly tokens: TokenClient,
    private readonly jwks: JwksCache,
    private readonly limits: RefreshLimits,
    private readonly shards: ShardClient,
    @Inject(CONFIG) private readonly config: ForesightConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: 'Public keys (Ed25519 JWKs) that verify access tokens; a new key appears here before it signs' })
  @ApiContract({ response: Jwks })
  async jwksDocument(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('cache-control', 'public, max-age=60').send(await this.jwks.jwks());
  }

  @Post('sessions/:id/tokens')
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'Issue an access + refresh token pair for a live session (back ends only, API key)' })
  @ApiContract({ body: IssueTokensBody, response: TokenPair, errors: [...API_KEY_ERRORS, ...BODY_ERRORS, ...OWNER_ERRORS] })
  async issue(@Param('id') id: string, @Body() raw: unknown, @Req() req: FastifyRequest): Promise<TokenPair> {
    const body = issueBodies.parse(raw ?? {});
    checkIssuedId(id, this.config.session.idSecret);
    const ctx = { correlationId: String(req.id), causationId: String(req.id) };
    const session = await this.shards.call(id, 'session.get', { sessionId: id, groups: [] }, ctx);
    if (session.status !== 'active') throw new ForesightError(ErrorCodes.SESSION_ENDED, 'The session has ended; create a new one.');
    const userId = body.userId ?? session.userId;
    if (!userId) throw new ForesightError(ErrorCodes.VALIDATION, 'The session has no userId: send {"userId": "..."}.');
    if (session.userId && userId !== session.userId) throw new ForesightError(ErrorCodes.VALIDATION, '"userId" does not match the session\'s user.');
    checkTenantUser((req as KeyedRequest).apiKey, userId);
    return this.tokens.call('issue', { sessionId: id, userId }, String(req.id));
  }

  @Post('tokens/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token: a new pair; a racing duplicate within the grace window gets the same pair' })
  @ApiContract({ body: RefreshTokensBody, response: TokenPair, errors: [...BODY_ERRORS, ...REFRESH_ERRORS] })
  async refresh(@Body() raw: unknown, @Req() req: FastifyRequest): Promise<TokenPair> {
    // Counted before the body is checked: malformed attempts share one budget per address.
    const presented = (raw as { refreshToken?: unknown } | null)?.refreshToken;
    this.limits.check(
      req.ip,
      typeof presented === 'string' && isWellFormedRefreshToken(presented) ? hashRefreshToken(presented) : 'malformed',
      this.clock.now(),
    );
    const { refreshToken } = refreshBodies.parse(raw);
    return this.tokens.call('refresh', { refreshToken }, String(req.id));
  }

  @Delete('sessions/:id/tokens')
  @HttpCode(200)
  @UseGuards(SessionAuthGuard)
  @ApiSecurity('apiKey')
  @ApiBearerAuth('bearer')
  @ApiContract({ response: RevokeReply, errors: [...SESSION_AUTH_ERRORS, ErrorCodes.SESSION_NOT_FOUND] })
  @ApiOperation({ summary: "Revoke tokens: with an API key every family of the session, with a bearer token the caller's family (logout)" })
  async revoke(@Param('id') id: string, @Req() req: TokenAuthenticatedRequest): Promise<{ revoked: number }> {
    const familyId = req.tokenClaims ? familyOfJti(req.tokenClaims.jti)?.familyId : undefined;
    return this.tokens.call('revoke', { sessionId: id, ...(familyId ? { familyId } : {}), reason: 'logout' }, String(req.id));
  }
}
