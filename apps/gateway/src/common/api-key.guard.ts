import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { CONFIG } from '@foresight/platform';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

/** Back-end callers authenticate with an API key in `x-api-key` (X7). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(CONFIG) config: ForesightConfig) {
    this.keys = config.gateway.apiKeys.map((k) => Buffer.from(k));
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers['x-api-key'];
    const presented = Buffer.from(typeof header === 'string' ? header : '');
    if (!this.keys.some((k) => k.length === presented.length && timingSafeEqual(k, presented))) {
      throw new ForesightError(ErrorCodes.UNAUTHENTICATED, 'Missing or unknown API key: send it in the x-api-key header.');
    }
    return true;
  }
}
