import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { histogram } from '@foresight/observability';

/** Request latency by route and status, and the correlation id echoed on every response. */
export function instrumentHttp(fastify: FastifyInstance, registry: Registry): void {
  const seconds = histogram(registry, 'foresight_http_request_seconds', 'Gateway HTTP latency', ['method', 'route', 'status']);
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-correlation-id', request.id);
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    seconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
