import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ForesightConfig } from '@foresight/config';
import { ErrorCodes, ForesightError, isStorableText, unstorableTextMessage, type TokenPair } from '@foresight/contracts';
import { CLOCK, CONFIG } from '@foresight/platform';
import { isIssuedSessionId } from '@foresight/session-domain';
import type { Clock } from '@foresight/time';
import { hashRefreshToken, isWellFormedRefreshToken } from '@foresight/token-core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../common/api-key.guard';
import { ShardClient } from '../routing/shard-client.service';
import { IssueTokensDto, RefreshTokensDto, TokenPairDto } from './dto';
import { JwksCache } from './jwks-cache';
import { RefreshLimits } from './refresh-limits';
import { familyOfJti } from './revocation-list';
import { SessionAuthGuard, type TokenAuthenticatedRequest } from './session-auth.guard';
import { TokenClient } from './token-client';

function object(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ForesightError(ErrorCodes.VALIDATION, 'The request body must be a JSON object.');
  return raw as Record<string, unknown>;
}

/** Tokens over REST (T1): JWKS, issuing a pair for a session, refreshing, revoking. */
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
  async jwksDocument(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('cache-control', 'public, max-age=60').send(await this.jwks.jwks());
  }

  @Post('sessions/:id/tokens')
  @UseGuards(ApiKeyGuard)
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: 'Issue an access + refresh token pair for a live session (back ends only, API key)' })
  @ApiOkResponse({ type: TokenPairDto })
  async issue(@Param('id') id: string, @Body() raw: IssueTokensDto, @Req() req: FastifyRequest): Promise<TokenPair> {
    const body = object(raw ?? {});
    if (body.userId !== undefined && (typeof body.userId !== 'string' || body.userId.length === 0 || body.userId.length > 256)) {
      throw new ForesightError(ErrorCodes.VALIDATION, '"userId" must be a non-empty string of at most 256 characters.');
    }
    if (typeof body.userId === 'string' && !isStorableText(body.userId)) throw new ForesightError(ErrorCodes.VALIDATION, unstorableTextMessage('userId'));
    if (!isIssuedSessionId(id, this.config.session.idSecret)) throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session: the id was not issued by this cluster.');
    const ctx = { correlationId: String(req.id), causationId: String(req.id) };
    const session = await this.shards.call(id, 'session.get', { sessionId: id, groups: [] }, ctx);
    if (session.status !== 'active') throw new ForesightError(ErrorCodes.SESSION_ENDED, 'The session has ended; create a new one.');
    const userId = (body.userId as string | undefined) ?? session.userId;
    if (!userId) throw new ForesightError(ErrorCodes.VALIDATION, 'The session has no userId: send {"userId": "..."}.');
    if (session.userId && userId !== session.userId) throw new ForesightError(ErrorCodes.VALIDATION, "\"userId\" does not match the session's user.");
    return this.tokens.call('issue', { sessionId: id, userId }, String(req.id));
  }

  @Post('tokens/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token: a new pair; a racing duplicate within the grace window gets the same pair' })
  @ApiOkResponse({ type: TokenPairDto })
  async refresh(@Body() raw: RefreshTokensDto, @Req() req: FastifyRequest): Promise<TokenPair> {
    const body = object(raw);
    const refreshToken = body.refreshToken;
    this.limits.check(req.ip, typeof refreshToken === 'string' && isWellFormedRefreshToken(refreshToken) ? hashRefreshToken(refreshToken) : 'malformed', this.clock.now());
    if (typeof refreshToken !== 'string' || refreshToken.length > 512) throw new ForesightError(ErrorCodes.VALIDATION, 'The body must be {"refreshToken": "<token>"}.');
    return this.tokens.call('refresh', { refreshToken }, String(req.id));
  }

  @Delete('sessions/:id/tokens')
  @HttpCode(200)
  @UseGuards(SessionAuthGuard)
  @ApiSecurity('apiKey')
  @ApiOperation({ summary: "Revoke tokens: with an API key every family of the session, with a bearer token the caller's family (logout)" })
  async revoke(@Param('id') id: string, @Req() req: TokenAuthenticatedRequest): Promise<{ revoked: number }> {
    const familyId = req.tokenClaims ? familyOfJti(req.tokenClaims.jti)?.familyId : undefined;
    return this.tokens.call('revoke', { sessionId: id, ...(familyId ? { familyId } : {}), reason: 'logout' }, String(req.id));
  }
}
