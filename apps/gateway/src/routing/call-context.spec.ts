import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callContext, trackCallers } from './call-context';

/** The caller-gone signal on a real Fastify server over loopback. */
describe('callContext: the signal of a caller going away', () => {
  let app: FastifyInstance;
  let port: number;
  const signals: AbortSignal[] = [];
  let release: () => void = () => undefined;

  beforeAll(async () => {
    app = Fastify();
    trackCallers(app);
    app.put('/slow', async (req) => {
      const ctx = callContext(req);
      signals.push(ctx.signal!);
      // Answers when the test says so, or when the caller has gone.
      await new Promise<void>((resolve) => {
        release = resolve;
        ctx.signal!.addEventListener('abort', () => resolve(), { once: true });
      });
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    signals.length = 0;
  });

  /** Sends a PUT on its own connection; resolves with the status, or 'aborted' if `abortWhenSeen`. */
  function put(abortWhenSeen: boolean): Promise<number | 'aborted'> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/slow', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', (error) => (abortWhenSeen ? resolve('aborted') : reject(error)));
      req.end('{}');
      if (abortWhenSeen) {
        const poll = setInterval(() => {
          if (signals.length > 0) {
            clearInterval(poll);
            req.destroy();
          }
        }, 5);
      } else {
        const poll = setInterval(() => {
          if (signals.length > 0) {
            clearInterval(poll);
            release();
          }
        }, 5);
      }
    });
  }

  it('aborts when the caller closes its connection before the answer', async () => {
    await expect(put(true)).resolves.toBe('aborted');
    await new Promise<void>((resolve) => (signals[0]!.aborted ? resolve() : signals[0]!.addEventListener('abort', () => resolve(), { once: true })));
    expect(signals[0]!.aborted).toBe(true);
  });

  it('does not abort once the answer has been written, even when the connection closes after it', async () => {
    await expect(put(false)).resolves.toBe(200);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
  });

  it('refuses a malformed Idempotency-Key and carries a valid one as the request id', () => {
    const fake = (headers: Record<string, string>) => ({ id: 'r1', raw: {}, headers }) as never;
    expect(() => callContext(fake({ 'idempotency-key': 'has space' }))).toThrow(expect.objectContaining({ code: 'REQUEST.INVALID' }));
    expect(callContext(fake({ 'idempotency-key': 'order-42' }))).toMatchObject({ correlationId: 'r1', requestId: expect.stringContaining('order-42') });
  });
});

/** The signal is made when a call needs it: a caller that has already gone gets an aborted one. */
describe('callContext: the signal made after the caller went', () => {
  const { EventEmitter } = jest.requireActual<typeof import('node:events')>('node:events');
  const request = (response: object) => ({ id: 'r2', headers: {}, callerResponse: response }) as never;

  it('is aborted at once when the connection is already closed', () => {
    const response = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, socket: null });
    expect(callContext(request(response)).signal?.aborted).toBe(true);
  });

  it('aborts on close before the answer, not after it', () => {
    const live = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, socket: { destroyed: false } });
    const signal = callContext(request(live)).signal!;
    expect(signal.aborted).toBe(false);
    live.emit('close');
    expect(signal.aborted).toBe(true);

    const answered = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false, socket: { destroyed: false } });
    const kept = callContext(request(answered)).signal!;
    answered.writableFinished = true;
    answered.emit('close');
    expect(kept.aborted).toBe(false);
  });
});
