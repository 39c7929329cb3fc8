import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { histogram } from '@foresight/observability';

/** Request latency by route and status, and the correlation id echoed on every response (callback-style hooks: no promise per request). */
export function instrumentHttp(fastify: FastifyInstance, registry: Registry): void {
  const seconds = histogram(registry, 'foresight_http_request_seconds', 'Gateway HTTP latency', ['method', 'route', 'status']);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-correlation-id', request.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    seconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
