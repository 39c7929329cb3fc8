import 'reflect-metadata';
import { Injectable, Module, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { connectRpcTransport, ForesightRpcTransport, RpcContext, RpcController, RpcOp, serveRpcControllers } from '@foresight/platform';
import { testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import { map, type Observable } from 'rxjs';

const quiet = { warn: () => undefined, error: () => undefined };

/** Proves the Nest pipeline runs around transport handlers. */
@Injectable()
class TagInterceptor implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((result: unknown) => ({ tagged: true, result })));
  }
}

@RpcController()
class EchoController {
  @RpcOp('echo', 'say')
  say(@Payload() body: unknown, @Ctx() ctx: RpcContext): unknown {
    return { body, correlationId: ctx.meta.correlationId, requestId: ctx.meta.requestId ?? null };
  }

  @RpcOp('echo', 'fail')
  fail(): never {
    throw new ForesightError(ErrorCodes.SESSION_NOT_FOUND, 'No such session.', { sessionId: 'x' });
  }

  @RpcOp('echo', 'crash')
  async crash(): Promise<never> {
    throw new TypeError('a bug');
  }

  @RpcOp('echo', 'tagged')
  @UseInterceptors(TagInterceptor)
  tagged(): number {
    return 42;
  }

  @RpcOp('named', 'predict')
  predict(@Payload() body: { n?: number }): number {
    return (body.n ?? 0) + 1;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

describe('ForesightRpcTransport: Nest @RpcOp handlers over the MessagePack request/reply', () => {
  let nc: NatsConnection;
  let app: NestFastifyApplication;
  let transport: ForesightRpcTransport;
  const ns = uniqueName('rpc');
  const echo = `${ns}.rpc.echo`;
  const named = `${ns}.rpc.named.predict`;
  const seen: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    app = await NestFactory.create<NestFastifyApplication>(EchoModule, new FastifyAdapter(), { logger: false });
    transport = new ForesightRpcTransport({
      nc,
      logger: quiet,
      endpoints: { echo: { subject: echo, queue: 'echo' }, named: { subject: named, defaultOp: 'predict' } },
      onRequest: (endpoint, op, _ms, ok) => seen.push(`${endpoint}:${op}:${ok}`),
    });
    await connectRpcTransport(app, transport);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await nc.drain();
  });

  const call = <T>(subject: string, op: string, body: unknown, extra: { correlationId?: string; requestId?: string } = {}) =>
    callRpc<T>(nc, subject, op, body, { timeoutMs: 2000, ...extra });

  it('takes no requests until the service opens it', async () => {
    await expect(call(echo, 'say', {})).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    transport.open();
    await expect(call(echo, 'say', { a: 1 })).resolves.toMatchObject({ body: { a: 1 } });
  });

  it('hands the payload and the request metadata to the handler', async () => {
    const r = await call<Record<string, unknown>>(echo, 'say', { a: [1, 'x'] }, { correlationId: 'corr-1', requestId: 'req:abc' });
    expect(r).toEqual({ body: { a: [1, 'x'] }, correlationId: 'corr-1', requestId: 'req:abc' });
  });

  it('keeps a ForesightError code and details on the wire', async () => {
    await expect(call(echo, 'fail', {})).rejects.toMatchObject({
      code: ErrorCodes.SESSION_NOT_FOUND,
      message: 'No such session.',
      details: { sessionId: 'x' },
    });
  });

  it('answers a bug in a handler with an internal error, without its message', async () => {
    const error = await call(echo, 'crash', {}).catch((e: unknown) => e as ForesightError);
    expect(error).toMatchObject({ code: ErrorCodes.INTERNAL });
    expect((error as ForesightError).message).not.toContain('a bug');
  });

  it('answers an op nobody handles with RPC.UNKNOWN_OPERATION, and ops of another endpoint are not reachable', async () => {
    await expect(call(echo, 'nope', {})).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_OPERATION });
    await expect(call(echo, 'predict', {})).rejects.toMatchObject({ code: ErrorCodes.UNKNOWN_OPERATION });
  });

  it('runs Nest interceptors around the handler', async () => {
    await expect(call(echo, 'tagged', {})).resolves.toEqual({ tagged: true, result: 42 });
  });

  it('serves the default op of an endpoint whose subject names it, with or without the header', async () => {
    await expect(call(named, 'predict', { n: 1 })).resolves.toBe(2);
    const reply = await nc.request(named, new Uint8Array([0x80]), { timeout: 2000 }); // {} in MessagePack, no Fs-Op header
    expect(reply.data.length).toBeGreaterThan(0);
    expect(seen).toContain('named::true');
  });

  it('stops taking requests on close', async () => {
    await transport.close();
    await expect(call(echo, 'say', {})).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    transport.open();
    await expect(call(echo, 'say', { b: 2 })).resolves.toMatchObject({ body: { b: 2 } });
  });
});

describe('ForesightRpcTransport with the chaos delay (a slow node, injected by the chaos suite)', () => {
  it('waits at least delayMs before every handler it serves', async () => {
    const nc = await connect({ servers: testInfra().natsUrl });
    const subject = `${uniqueName('rpc-slow')}.rpc.echo`;
    const handled: number[] = [];
    const slow = new ForesightRpcTransport({
      nc,
      logger: quiet,
      endpoints: { echo: { subject } },
      delayMs: 300,
      onRequest: (_endpoint, _op, ms) => handled.push(ms),
    });
    const service = await serveRpcControllers(slow, [EchoController], []);
    try {
      slow.open();
      const started = Date.now();
      await expect(callRpc(nc, subject, 'say', { a: 1 }, { timeoutMs: 5000 })).resolves.toMatchObject({ body: { a: 1 } });
      // A lower bound only: the delay is a floor, whatever the machine's load adds.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(handled[0]).toBeGreaterThanOrEqual(290);
    } finally {
      await slow.close();
      await service.close();
      await nc.drain();
    }
  });
});
