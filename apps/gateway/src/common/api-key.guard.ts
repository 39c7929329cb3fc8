import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { CONFIG } from '@foresight/platform';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

/** Back-end callers authenticate with an API key in `x-api-key` (an API key per back end). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(CONFIG) config: ForesightConfig) {
    this.keys = config.gateway.apiKeys.map((k) => Buffer.from(k));
  }

  /** True when the request carries one of the configured API keys (constant-time comparison). */
  hasValidKey(request: FastifyRequest): boolean {
    const header = request.headers['x-api-key'];
    const presented = Buffer.from(typeof header === 'string' ? header : '');
    return this.keys.some((k) => k.length === presented.length && timingSafeEqual(k, presented));
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.hasValidKey(context.switchToHttp().getRequest<FastifyRequest>())) {
      throw new ForesightError(ErrorCodes.UNAUTHENTICATED, 'Missing or unknown API key: send it in the x-api-key header.');
    }
    return true;
  }
}
