import { ErrorCodes } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import type { FastifyRequest } from 'fastify';
import { clientErrorBody, clientErrorResponse } from './client-errors';
import { toHttpError } from './error.filter';

function fakeLogger() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_obj: object, msg: string) => lines.push({ level, msg });
  return { lines, logger: { error: at('error'), debug: at('debug'), warn: at('warn'), info: at('info') } as unknown as Logger };
}

const request = (aborted = false) => ({ id: 'corr-1', method: 'GET', url: '/v1/sessions/%ZZ', raw: { readableAborted: aborted } }) as unknown as FastifyRequest;
const fastifyError = (code: string, statusCode: number, message = `'/v1/sessions/%ZZ' is not a valid url component`) =>
  Object.assign(new Error(message), { code, statusCode });

describe('toHttpError', () => {
  it('maps Fastify refusals to stable codes and statuses without echoing the input', () => {
    const { logger, lines } = fakeLogger();
    const cases: [Error, number, string][] = [
      [fastifyError('FST_ERR_BAD_URL', 400), 400, ErrorCodes.VALIDATION],
      [fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414), 414, ErrorCodes.URI_TOO_LONG],
      [fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 415, ErrorCodes.UNSUPPORTED_MEDIA_TYPE],
      [fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 413, ErrorCodes.PAYLOAD_TOO_LARGE],
      [fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), 400, ErrorCodes.VALIDATION],
    ];
    for (const [error, status, code] of cases) {
      const mapped = toHttpError(error, request(), logger);
      expect([mapped.status, mapped.body.code]).toEqual([status, code]);
      expect(mapped.body.message).not.toContain('%ZZ');
    }
    expect(lines).toEqual([]);
  });

  it('logs a client that hung up mid-upload at debug, not as an unhandled error', () => {
    const { logger, lines } = fakeLogger();
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toHttpError(aborted, request(true), logger).status).toBe(400);
    expect(lines.map((l) => l.level)).toEqual(['debug']);
    toHttpError(new Error('boom'), request(), logger);
    expect(lines.map((l) => l.level)).toEqual(['debug', 'error']);
  });
});

describe('client errors', () => {
  it('answers oversized headers with 431 and anything unparsable with 400, in the envelope', () => {
    expect(clientErrorBody('HPE_HEADER_OVERFLOW').code).toBe(ErrorCodes.HEADERS_TOO_LARGE);
    expect(clientErrorBody('HPE_INVALID_METHOD').code).toBe(ErrorCodes.VALIDATION);
    const raw = clientErrorResponse(clientErrorBody('HPE_HEADER_OVERFLOW'), 'c-1');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toEqual({ error: { code: 'REQUEST.HEADERS_TOO_LARGE', message: expect.any(String), correlationId: 'c-1' } });
  });
});
