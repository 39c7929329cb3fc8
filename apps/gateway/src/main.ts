import { SwaggerModule } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { buildAsyncApiDocument } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import { CLOCK, LOGGER, METRICS, loadConfigOrExit, startService } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { Registry } from 'prom-client';
import { GatewayModule } from './app.module';
import { gatewayHttpErrors } from './common/client-errors';
import { sendError, toHttpError } from './common/error.filter';
import { ASYNCAPI_JSON_PATH, buildOpenApiDocument, OPENAPI_JSON_PATH } from './common/openapi';
import { instrumentHttp } from './common/http-metrics';
import { installHttpSecurity } from './common/http-security';
import { GatewayRuntime } from './gateway.runtime';
import { trackCallers } from './routing/call-context';
import { installFastLane } from './sessions/fast-lane';
import { VariablesService } from './sessions/variables.service';

/**
 * REST gateway: validation, auth, OpenAPI at /docs (JSON at /docs/openapi.json), the event streams' AsyncAPI
 * document at /docs/asyncapi.json, /health, /metrics; routes to owner nodes.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit('gateway');
  let logger: Logger | undefined;
  const configure = async (app: NestFastifyApplication) => {
    logger = app.get<Logger>(LOGGER);
    const fastify = app.getHttpAdapter().getInstance();
    const runtime = app.get(GatewayRuntime);
    instrumentHttp(fastify, app.get<Registry>(METRICS));
    trackCallers(fastify);
    await installHttpSecurity(app, { config, apiKeys: runtime.apiKeys, writeLimits: runtime.writeLimits, logger, clock: app.get<Clock>(CLOCK) });
    runtime.preferredEdges.install(fastify);
    installFastLane(fastify, app.get(VariablesService), runtime.apiKeys, logger);
    // Errors raised by Fastify itself (body parsing, limits, media type) get the same body as ours,
    // whichever plugins are registered later; those raised before routing go through gatewayHttpErrors.
    fastify.setErrorHandler((error, request, reply) => sendError(reply, request, toHttpError(error, request, app.get(LOGGER))));
    SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: OPENAPI_JSON_PATH });
    // Built once from the contracts, for this cluster's namespace: the subjects a subscriber reads.
    const asyncApi = JSON.stringify(buildAsyncApiDocument(config.nats.namespace));
    fastify.get(`/${ASYNCAPI_JSON_PATH}`, (_request, reply) => reply.type('application/json; charset=utf-8').send(asyncApi));
  };
  await startService(
    config,
    GatewayModule.register(config),
    configure,
    gatewayHttpErrors(() => logger),
  );
}

void main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
