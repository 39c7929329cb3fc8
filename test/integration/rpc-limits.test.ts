import { ErrorCodes, ForesightError, Headers } from '@foresight/contracts';
import { callRpc, connectNats, serveRpc, type RpcMeta } from '@foresight/messaging';
import { testInfra, uniqueName } from '@foresight/testing';
import { connect, headers, type NatsConnection, type Subscription } from 'nats';

const quiet = { warn: () => undefined, error: () => undefined };

async function failure(promise: Promise<unknown>): Promise<ForesightError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ForesightError);
    return error as ForesightError;
  }
  throw new Error('expected the call to fail');
}

describe('RPC over a real nats-server: requests and replies the bus cannot carry', () => {
  let nc: NatsConnection;
  let sub: Subscription;
  const subject = `${uniqueName('rpc')}.echo`;
  const seen: { op: string; meta: RpcMeta }[] = [];
  // A generous timeout: a failure that waited for it would show as SERVICE.TIMEOUT, not as the code asserted.
  const timeoutMs = 20_000;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    sub = serveRpc(
      nc,
      subject,
      {
        echo: async (request, meta) => {
          seen.push({ op: 'echo', meta });
          return request;
        },
        big: async (request, meta) => {
          seen.push({ op: 'big', meta });
          return 'x'.repeat((request as { bytes: number }).bytes);
        },
      },
      { logger: quiet },
    );
    await nc.flush();
  });

  afterAll(async () => {
    sub.unsubscribe();
    await nc.drain();
  });

  it('fails a request nested too deeply to encode at once with REQUEST.INVALID, without sending it', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const before = seen.length;
    const error = await failure(callRpc(nc, subject, 'echo', { value: deep }, { timeoutMs }));
    expect(error.code).toBe(ErrorCodes.VALIDATION);
    expect(error.message).toMatch(/nested too deeply/);
    expect(seen.length).toBe(before);
    // The encoder is still usable afterwards.
    await expect(callRpc(nc, subject, 'echo', { ok: [1, 2] }, { timeoutMs })).resolves.toEqual({ ok: [1, 2] });
  });

  it('fails a request larger than max_payload at once with REQUEST.TOO_LARGE', async () => {
    const max = nc.info!.max_payload;
    const before = seen.length;
    const error = await failure(callRpc(nc, subject, 'echo', { value: 'x'.repeat(max + 1) }, { timeoutMs }));
    expect(error.code).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
    expect(error.details).toMatchObject({ limit: max });
    expect(seen.length).toBe(before);
  });

  it('answers a reply too large to send with REQUEST.TOO_LARGE instead of letting the caller time out', async () => {
    const max = nc.info!.max_payload;
    const error = await failure(callRpc(nc, subject, 'big', { bytes: max + 10 }, { timeoutMs }));
    expect(error.code).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
    expect(error.message).toMatch(/reply would be \d+ bytes/);
  });

  it('reports a reply that does not decode as the responder’s internal error, not the caller’s', async () => {
    const garbage = `${uniqueName('rpc')}.garbage`;
    const raw = nc.subscribe(garbage, { callback: (_e, msg) => msg.respond(new Uint8Array([0xc1, 0x00])) });
    try {
      const error = await failure(callRpc(nc, garbage, 'any', {}, { timeoutMs }));
      expect(error.code).toBe(ErrorCodes.INTERNAL);
    } finally {
      raw.unsubscribe();
    }
  });

  it('replaces an over-long or non-visible correlation id and drops such a causation id', async () => {
    const send = async (correlation: string, causation: string) => {
      const h = headers();
      h.set(Headers.op, 'echo');
      h.set(Headers.correlationId, correlation);
      h.set(Headers.causationId, causation);
      await nc.request(subject, new Uint8Array([0x80]), { timeout: timeoutMs, headers: h });
      return seen[seen.length - 1]!.meta;
    };
    const huge = await send('c'.repeat(15_000), 'k'.repeat(15_000));
    expect(huge.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(huge.causationId).toBe('');
    const spaced = await send('has space', 'tab\there');
    expect(spaced.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(spaced.causationId).toBe('');
    const fine = await send('corr-1', 'cause-1');
    expect([fine.correlationId, fine.causationId]).toEqual(['corr-1', 'cause-1']);
  });

  it('refuses to connect to a server that carries less than the configured message size', async () => {
    const max = nc.info!.max_payload;
    await expect(connectNats({ servers: [testInfra().natsUrl], name: 'too-small', requiredMaxPayloadBytes: max + 1 })).rejects.toThrow(
      /carries at most \d+ bytes per message \(max_payload\) but NATS_MAX_PAYLOAD_BYTES is/,
    );
    const ok = await connectNats({ servers: [testInfra().natsUrl], name: 'fits', requiredMaxPayloadBytes: max });
    await ok.close();
  });
});
