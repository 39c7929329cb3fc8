import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../common/api-key.guard';
import { ApiKeys } from '../common/api-keys';
import { SessionTenants } from '../common/session-tenants';
import { AccessTokenVerifier } from '../tokens/access-token-verifier';

/**
 * Agent reports come from back ends (API key) and from browsers, which hold only their session's
 * access token: any valid token will do, whichever session it belongs to.
 */
@Injectable()
export class AgentAuthGuard implements CanActivate {
  private readonly apiKeys: ApiKeyGuard;

  constructor(
    private readonly verifier: AccessTokenVerifier,
    keys: ApiKeys,
    tenants: SessionTenants,
  ) {
    this.apiKeys = new ApiKeyGuard(keys, tenants);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (req.headers['x-api-key'] !== undefined) return this.apiKeys.canActivate(context);
    const m = typeof req.headers.authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization) : null;
    if (!m)
      throw new ForesightError(ErrorCodes.UNAUTHENTICATED, 'Authenticate with an API key (x-api-key) or an access token (Authorization: Bearer <token>).');
    await this.verifier.verify(m[1]);
    return true;
  }
}
