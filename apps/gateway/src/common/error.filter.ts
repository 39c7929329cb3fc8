import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import { ErrorCodes, ForesightError, Limits, MAX_PATH_PARAM_LENGTH, type ErrorBody, type ErrorCode } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import { LOGGER } from '@foresight/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The one place where stable error codes become HTTP status codes, so every transport answers a code with the same status. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  [ErrorCodes.VALIDATION]: 400,
  [ErrorCodes.MALFORMED_MESSAGE]: 400,
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.SESSION_NOT_FOUND]: 404,
  [ErrorCodes.SESSION_INVALID_ID]: 404,
  [ErrorCodes.SESSION_ENDED]: 410,
  [ErrorCodes.SESSION_VERSION_CONFLICT]: 409,
  [ErrorCodes.VARIABLE_NOT_FOUND]: 404,
  [ErrorCodes.VARIABLE_TOO_LARGE]: 413,
  [ErrorCodes.SESSION_TOO_LARGE]: 413,
  [ErrorCodes.UNKNOWN_GROUP]: 400,
  [ErrorCodes.NOT_OWNER]: 503,
  [ErrorCodes.STALE_EPOCH]: 503,
  [ErrorCodes.NO_OWNER]: 503,
  [ErrorCodes.NODE_INCARNATION_CONFLICT]: 409,
  [ErrorCodes.EDGE_NOT_FOUND]: 404,
  [ErrorCodes.EDGE_INCARNATION_CONFLICT]: 409,
  [ErrorCodes.AFFINITY_NO_EDGE]: 503,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.TIMEOUT]: 504,
  [ErrorCodes.INTERNAL]: 500,
  [ErrorCodes.UNKNOWN_OPERATION]: 400,
  [ErrorCodes.ROUTE_NOT_FOUND]: 404,
  [ErrorCodes.RATE_LIMITED]: 429,
  [ErrorCodes.IDEMPOTENCY_KEY_REUSED]: 422,
  [ErrorCodes.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCodes.URI_TOO_LONG]: 414,
  [ErrorCodes.HEADERS_TOO_LARGE]: 431,
  [ErrorCodes.REQUEST_TIMEOUT]: 408,
  // nginx's "client closed request": only in access logs and metrics, the caller has gone.
  [ErrorCodes.CANCELLED]: 499,
  [ErrorCodes.TOKEN_EXPIRED]: 401,
  [ErrorCodes.TOKEN_MALFORMED]: 401,
  [ErrorCodes.TOKEN_BAD_SIGNATURE]: 401,
  [ErrorCodes.TOKEN_UNSUPPORTED_ALG]: 401,
  [ErrorCodes.TOKEN_UNKNOWN_KEY]: 401,
  [ErrorCodes.TOKEN_REVOKED]: 401,
  [ErrorCodes.TOKEN_CLAIM_MISMATCH]: 401,
  [ErrorCodes.TOKEN_REUSED]: 401,
  [ErrorCodes.TOKEN_UNKNOWN]: 401,
  [ErrorCodes.PREDICTION_MODEL_NOT_FOUND]: 404,
  [ErrorCodes.ORIGIN_TIMEOUT]: 504,
  [ErrorCodes.ORIGIN_FAILED]: 502,
  [ErrorCodes.ORIGIN_BAD_RESPONSE]: 502,
  [ErrorCodes.ORIGIN_CIRCUIT_OPEN]: 503,
  [ErrorCodes.ORIGIN_NOT_FOUND]: 404,
  [ErrorCodes.DATA_NOT_FOUND]: 404,
  [ErrorCodes.CACHE_INVALID_PATTERN]: 400,
  [ErrorCodes.REQUIREMENT_INVALID_TEMPLATE]: 400,
  [ErrorCodes.LOCK_HELD]: 423,
  [ErrorCodes.LOCK_EXPIRED]: 409,
  [ErrorCodes.LOCK_NOT_HOLDER]: 403,
  [ErrorCodes.LOCK_TOKEN_INVALID]: 403,
};

/** Fastify's own errors (body parsing, limits, media type, routing) as ours, never echoing the input. */
function fromFastify(error: { code?: unknown; statusCode?: unknown }): ErrorBody | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      // The parser also refuses a "__proto__" key and "constructor" holding "prototype" (prototype poisoning).
      return {
        code: ErrorCodes.VALIDATION,
        message:
          'The request body is not valid JSON, or uses a "__proto__" or "constructor.prototype" key, which is refused. Send a JSON object with content-type application/json.',
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: ErrorCodes.PAYLOAD_TOO_LARGE, message: 'The request body is larger than the gateway accepts (HTTP_BODY_LIMIT_BYTES).' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: ErrorCodes.UNSUPPORTED_MEDIA_TYPE, message: 'Unsupported content type: send the body as JSON with content-type application/json.' };
    case 'FST_ERR_BAD_URL':
      return {
        code: ErrorCodes.VALIDATION,
        message: 'The URL is not valid: every "%" must start a percent-encoded byte such as %2F (send a literal "%" as %25).',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        code: ErrorCodes.URI_TOO_LONG,
        message: `A path segment is longer than the gateway routes (${MAX_PATH_PARAM_LENGTH} characters); variable names are at most ${Limits.variableNameLength} characters and data keys ${Limits.dataKeyLength}.`,
      };
  }
  // Any other refusal of Fastify's (a content length that does not match the body, …): the caller's fault.
  if (
    typeof error.code === 'string' &&
    error.code.startsWith('FST_') &&
    typeof error.statusCode === 'number' &&
    error.statusCode >= 400 &&
    error.statusCode < 500
  ) {
    return { code: ErrorCodes.VALIDATION, message: 'The request could not be read: check its headers against its body.' };
  }
  return undefined;
}

/** The client went away while sending its body: nothing to answer and nothing wrong on our side. */
function isAbortedUpload(exception: unknown, request: FastifyRequest): boolean {
  const code = (exception as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || request.raw.readableAborted;
}

/** Maps anything thrown while handling a request to a status and the public error body. */
export function toHttpError(exception: unknown, request: FastifyRequest, logger: Logger): { status: number; body: ErrorBody } {
  if (exception instanceof ForesightError) return { status: STATUS_BY_CODE[exception.code] ?? 500, body: exception.toJSON() };
  const fastifyBody = typeof exception === 'object' && exception !== null ? fromFastify(exception) : undefined;
  if (fastifyBody) return { status: STATUS_BY_CODE[fastifyBody.code], body: fastifyBody };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code =
      status === 404
        ? ErrorCodes.ROUTE_NOT_FOUND
        : status === 401
          ? ErrorCodes.UNAUTHENTICATED
          : status === 403
            ? ErrorCodes.FORBIDDEN
            : status === 413
              ? ErrorCodes.PAYLOAD_TOO_LARGE
              : status < 500
                ? ErrorCodes.VALIDATION
                : ErrorCodes.INTERNAL;
    const message = status === 404 ? `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 100)}. See /docs for the API.` : exception.message;
    return { status, body: { code, message } };
  }
  if (isAbortedUpload(exception, request)) {
    logger.debug(
      { correlationId: request.id, code: (exception as { code?: unknown }).code },
      'the client closed the connection before its request body arrived',
    );
    return { status: 400, body: { code: ErrorCodes.VALIDATION, message: 'The connection closed before the whole request body arrived.' } };
  }
  logger.error({ err: exception, correlationId: request.id }, 'unhandled error');
  return { status: 500, body: { code: ErrorCodes.INTERNAL, message: 'An internal error occurred; it has been logged with the correlation id.' } };
}

/** Sends the public error body `{"error": {code, message, correlationId}}`, with `Retry-After` (seconds) on a 429. */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: { status: number; body: ErrorBody }): void {
  const retryAfterMs = (error.body.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  if (error.body.code === ErrorCodes.RATE_LIMITED && typeof retryAfterMs === 'number')
    reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  void reply
    .status(error.status)
    .header('x-correlation-id', request.id)
    .send({ error: { ...error.body, correlationId: request.id } });
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    sendError(http.getResponse<FastifyReply>(), request, toHttpError(exception, request, this.logger));
  }
}
