import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { ForesightConfig } from '@foresight/config';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { ApiKeys, KeyedRequest } from './api-keys';
import { sendError, toHttpError } from './error.filter';
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
  await app.register(fastifyHelmet, {
    // The API docs and pages are served from this origin only; plain-HTTP deployments keep working.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, frameAncestors: ["'none'"] } },
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
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    try {
      writeLimits.check(apiKeys.authenticate(request)?.id, request.ip, clock.now());
    } catch (error) {
      sendError(reply, request, toHttpError(error, request, logger));
      return reply;
    }
  });
  if (security.accessLog) {
    fastify.addHook('onResponse', async (request: FastifyRequest, reply) => {
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
    });
  }
}
