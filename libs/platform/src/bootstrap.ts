import 'reflect-metadata';
import { ConfigError, loadConfig, type ForesightConfig, type ServiceName } from '@foresight/config';
import { MAX_PATH_PARAM_LENGTH, isTraceId } from '@foresight/contracts';
import type { LoggerService, Type, DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { installJsonBodyParser } from './json-body';
import { LOGGER } from './tokens';

/** Reads the configuration or exits with every problem listed (fail fast). */
export function loadConfigOrExit(service: ServiceName): ForesightConfig {
  try {
    return loadConfig(service);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`[${service}] ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Routes Nest's own log lines into the service's pino logger. */
class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

/** How a service answers errors raised before a request reaches a route (see the gateway's error envelope). */
export interface HttpErrorHandlers {
  /** Fastify's routing errors: a URL that does not decode, a path parameter longer than the router takes. */
  readonly frameworkErrors?: FastifyServerOptions['frameworkErrors'];
  /** Node's HTTP parser errors, before Fastify sees a request: oversized headers, malformed requests. */
  readonly clientErrorHandler?: FastifyServerOptions['clientErrorHandler'];
}

/**
 * Creates a service's Nest application on Fastify, with the correlation id taken from
 * `x-correlation-id` when it is 1–128 visible ASCII characters (else a fresh one), JSON as the
 * only body type (depth and key counts checked before parsing), graceful shutdown on
 * SIGTERM/SIGINT, and listens.
 */
export async function startService(
  config: ForesightConfig,
  module: Type<unknown> | DynamicModule,
  configure?: (app: NestFastifyApplication) => void | Promise<void>,
  errors: HttpErrorHandlers = {},
): Promise<NestFastifyApplication> {
  let logger: Logger | undefined;
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    logger: false,
    // HTTPS only when configured; a plain-HTTP request to it fails the TLS handshake.
    ...(config.http.tls ? { https: { cert: config.http.tls.cert, key: config.http.tls.key } } : {}),
    // Path parameters as long as the documented limits, percent-encoded.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // request.ip is the socket's peer unless that peer is a configured proxy; then X-Forwarded-For's client.
    trustProxy: config.http.trustedProxies.length > 0 ? [...config.http.trustedProxies] : false,
    genReqId: (req: IncomingMessage) => {
      const sent = req.headers['x-correlation-id'];
      if (sent === undefined || isTraceId(sent)) return sent ?? randomUUID();
      const id = randomUUID();
      logger?.debug({ correlationId: id, sentLength: String(sent).length }, 'x-correlation-id replaced: not 1-128 visible ASCII characters');
      return id;
    },
    ...(errors.frameworkErrors ? { frameworkErrors: errors.frameworkErrors } : {}),
    ...(errors.clientErrorHandler ? { clientErrorHandler: errors.clientErrorHandler } : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true, bodyParser: false });
  installJsonBodyParser(app.getHttpAdapter().getInstance(), config.http.bodyLimitBytes);
  logger = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(logger));
  // The signals that mean "stop": Nest's default list also holds SIGUSR2 (nodemon's restart, and the
  // chaos suite's slow-node toggle) and fault signals, which must not start a graceful shutdown.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);
  await configure?.(app);
  await app.listen(config.http.port, config.http.host);
  logger.info({ port: config.http.port }, `${config.service} listening on ${config.http.tls ? 'https' : 'http'}://${config.http.host}:${config.http.port}`);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  if (config.exitWithParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) {
        logger.warn('parent process is gone; shutting down');
        void app.close().finally(() => process.exit(0));
      }
    }, 500).unref();
  }
  return app;
}
