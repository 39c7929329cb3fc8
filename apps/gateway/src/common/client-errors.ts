import { ErrorCodes, type ErrorBody } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import type { HttpErrorHandlers } from '@foresight/platform';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_BY_CODE, sendError, toHttpError } from './error.filter';

/** What Node's HTTP parser refused, in our terms (the request never reached Fastify). */
export function clientErrorBody(code: string | undefined): ErrorBody {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        code: ErrorCodes.HEADERS_TOO_LARGE,
        message: `The request headers are larger than the gateway accepts (${maxHeaderSize} bytes in all); send fewer or shorter headers.`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT':
      return { code: ErrorCodes.REQUEST_TIMEOUT, message: 'The request did not arrive in time; send it again.' };
    default:
      return { code: ErrorCodes.VALIDATION, message: 'The request is not valid HTTP/1.1.' };
  }
}

/** The raw HTTP/1.1 response for a client error, in the error envelope, closing the connection. */
export function clientErrorResponse(body: ErrorBody, correlationId: string): string {
  const status = STATUS_BY_CODE[body.code];
  const json = JSON.stringify({ error: { ...body, correlationId } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\n` +
    `x-correlation-id: ${correlationId}\r\nconnection: close\r\n\r\n${json}`
  );
}

/**
 * Errors raised before a request reaches a route, answered in the same envelope as every other
 * error: Fastify's routing errors (a URL that does not decode, an over-long path parameter) and
 * Node's parser errors (oversized headers, malformed requests), which would otherwise get Fastify's
 * or Node's own bodies.
 */
export function gatewayHttpErrors(logger: () => Logger | undefined): HttpErrorHandlers {
  const quiet = { error: () => undefined, debug: () => undefined } as unknown as Logger;
  return {
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendError(reply, request, toHttpError(error, request, logger() ?? quiet)),
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      // Nothing to answer when the client is gone already.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const correlationId = randomUUID();
      const body = clientErrorBody(error.code);
      logger()?.debug({ correlationId, code: error.code }, 'refused a request Node could not parse');
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(clientErrorResponse(body, correlationId), () => socket.destroy());
    },
  };
}
