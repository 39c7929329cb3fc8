import fastifyCors from '@fastify/cors';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { ApiKeys, KeyedRequest } from './api-keys';
import { sendError, toHttpError } from './error.filter';
import { securityHeaders } from './security-headers';
import type { WriteLimits } from './write-limits';

export interface HttpSecurityDeps {
  readonly config: ForesightConfig;
  readonly apiKeys: ApiKeys;
  readonly writeLimits: WriteLimits;
  readonly logger: Logger;
  readonly clock: Clock;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Headers a browser page may send cross-origin; not `x-api-key`: a key belongs to a back end, never to a page. */
const CORS_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'lock-token',
  'x-correlation-id',
  'foresight-client-id',
  'foresight-client-zone',
];
const CORS_RESPONSE_HEADERS = ['x-correlation-id', 'retry-after', 'foresight-preferred-edge'];

/**
 * The gateway's defences for browsers and the open internet: security headers (helmet), a CORS
 * allow-list (no origin unless configured), rate limits with Retry-After on every mutating request,
 * and an access log line per request. Client addresses are the socket's, or X-Forwarded-For's only
 * when the peer is a trusted proxy (`HTTP_TRUSTED_PROXIES`, applied by the platform's Fastify).
 */
export async function installHttpSecurity(app: NestFastifyApplication, deps: HttpSecurityDeps): Promise<void> {
  const { config, apiKeys, writeLimits, logger, clock } = deps;
  const security = config.gateway.security;
  // helmet's headers, computed once (see securityHeaders), set on every response before routing goes on.
  const headers = securityHeaders();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
  if (security.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: [...security.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_RESPONSE_HEADERS,
      // Bearer tokens, not cookies: no credentialed requests.
      credentials: false,
      maxAge: 600,
    });
  }
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!MUTATING.has(request.method)) return done();
    try {
      writeLimits.check(apiKeys.authenticate(request)?.id, request.ip, clock.now());
    } catch (error) {
      sendError(reply, request, toHttpError(error, request, logger));
      return;
    }
    done();
  });
  // With the log level above info the lines would be dropped: no hook at all then.
  if (security.accessLog && logger.isLevelEnabled('info')) {
    fastify.addHook('onResponse', (request: FastifyRequest, reply, done) => {
      logger.info(
        {
          correlationId: request.id,
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          client: request.ip,
          ...((request as KeyedRequest).apiKey ? { apiKey: (request as KeyedRequest).apiKey!.id } : {}),
        },
        'http request',
      );
      done();
    });
  }
}
