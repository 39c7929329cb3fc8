import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { AccessTokenClaims } from '@foresight/token-core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../common/api-key.guard';
import { AccessTokenVerifier } from './access-token-verifier';

/** The verified access-token claims, on requests authenticated by a bearer token. */
export type TokenAuthenticatedRequest = FastifyRequest & { tokenClaims?: AccessTokenClaims };

/** `Bearer <token>` from an Authorization header; undefined when there is none. */
function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : header.trim().length > 0 ? '' : undefined;
}

/**
 * Authenticates `/v1/sessions/:id/**`: either a back end's API key (`x-api-key`), or a client's
 * access token (`Authorization: Bearer <jwt>`) whose `sid` is `:id`. A token for another session
 * is 403 `AUTH.FORBIDDEN`; a bad token is 401 with its `TOKEN.*` code. Tokens are verified here at
 * the gateway, whichever shard node owns the session, so they survive a handover.
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly apiKeys: ApiKeyGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TokenAuthenticatedRequest>();
    if (req.headers['x-api-key'] !== undefined) return this.apiKeys.canActivate(context);
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      throw new ForesightError(ErrorCodes.UNAUTHENTICATED, 'Authenticate with an API key (x-api-key) or an access token (Authorization: Bearer <token>).');
    }
    if (token === '') throw new ForesightError(ErrorCodes.TOKEN_MALFORMED, 'The token is not well formed.');
    const claims = await this.verifier.verify(token);
    const sessionId = (req.params as Record<string, string | undefined>).id;
    if (sessionId === undefined || claims.sid !== sessionId) {
      throw new ForesightError(ErrorCodes.FORBIDDEN, 'This access token does not grant access to this resource.');
    }
    req.tokenClaims = claims;
    return true;
  }
}
