import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeys, scopeOfMethod } from './api-keys';
import { SessionTenants } from './session-tenants';

/**
 * Back-end callers authenticate with an API key in `x-api-key`. GET needs the key's `read` scope,
 * every other method `write`; a tenant's key (with a user-id prefix) reaches only its users' sessions.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeys,
    private readonly tenants: SessionTenants,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = this.keys.require(request, scopeOfMethod(request.method));
    const sessionId = (request.params as Record<string, string | undefined> | undefined)?.id;
    if (principal.userPrefix !== undefined && sessionId !== undefined) {
      await this.tenants.check(principal, sessionId, { correlationId: String(request.id), causationId: String(request.id) });
    }
    return true;
  }
}

/** Cluster-wide operations (data requirements, invalidation, per-node statistics) need the `admin` scope. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeys) {}

  canActivate(context: ExecutionContext): boolean {
    this.keys.require(context.switchToHttp().getRequest<FastifyRequest>(), 'admin');
    return true;
  }
}
