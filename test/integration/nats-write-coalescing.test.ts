import { callRpc, coalesceWrites, connectNats, serveRpc } from '@foresight/messaging';
import { eventually, testInfra, uniqueName } from '@foresight/testing';
import type { NatsConnection, Subscription } from 'nats';

const quiet = { warn: () => undefined, error: () => undefined };

/** Counts the socket writes a connection makes (its transport is replaced on reconnect; none happens here). */
function countWrites(nc: NatsConnection): { readonly writes: () => number } {
  const transport = (nc as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol.transport;
  const send = transport.send.bind(transport);
  let writes = 0;
  transport.send = (frame: Uint8Array) => {
    writes++;
    send(frame);
  };
  return { writes: () => writes };
}

describe('NATS write coalescing over a real nats-server', () => {
  let plain: NatsConnection;
  let coalesced: NatsConnection;
  let receiver: NatsConnection;
  const subjectOf = (what: string) => `${uniqueName('coalesce')}.${what}`;

  beforeAll(async () => {
    const servers = [testInfra().natsUrl];
    plain = await connectNats({ servers, name: 'coalesce-off', coalesceWrites: false });
    coalesced = await connectNats({ servers, name: 'coalesce-on' });
    receiver = await connectNats({ servers, name: 'coalesce-receiver' });
  });

  afterAll(async () => {
    for (const nc of [plain, coalesced, receiver]) await nc.drain();
  });

  async function publishFromSeparateCallbacks(nc: NatsConnection, subject: string, n: number): Promise<number[]> {
    const got: number[] = [];
    const sub: Subscription = receiver.subscribe(subject, { callback: (_err, msg) => got.push(Number(new TextDecoder().decode(msg.data))) });
    await receiver.flush();
    // Each publish from its own callback, as requests arriving on separate sockets would be.
    await new Promise<void>((resolve) => {
      let left = n;
      for (let i = 0; i < n; i++) {
        setTimeout(() => {
          nc.publish(subject, new TextEncoder().encode(String(i)));
          if (--left === 0) resolve();
        }, 0);
      }
    });
    await nc.flush();
    await eventually(async () => (got.length === n ? true : undefined), 10_000, `all ${n} messages received`);
    sub.unsubscribe();
    return got;
  }

  it('delivers every message in order with fewer socket writes than messages; without it, one write per message', async () => {
    const n = 200;
    const on = countWrites(coalesced);
    const gotOn = await publishFromSeparateCallbacks(coalesced, subjectOf('on'), n);
    expect(gotOn).toEqual(Array.from({ length: n }, (_, i) => i));
    // All timers due in one turn run in one timers phase: one write for them, plus the flush's PING.
    expect(on.writes()).toBeLessThan(n / 4);

    const off = countWrites(plain);
    const gotOff = await publishFromSeparateCallbacks(plain, subjectOf('off'), n);
    expect(gotOff).toEqual(gotOn);
    expect(off.writes()).toBeGreaterThanOrEqual(n);
  });

  it('serves request/reply both ways on coalescing connections', async () => {
    const subject = subjectOf('rpc');
    const sub = serveRpc(coalesced, subject, { echo: async (request) => request }, { logger: quiet });
    await coalesced.flush();
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => callRpc(coalesced, subject, 'echo', { i }, { timeoutMs: 20_000 })));
    expect(replies).toEqual(Array.from({ length: 100 }, (_, i) => ({ i })));
    sub.unsubscribe();
  });

  it('writes what is buffered before closing', async () => {
    const subject = subjectOf('close');
    const got: string[] = [];
    const sub = receiver.subscribe(subject, { callback: (_err, msg) => got.push(new TextDecoder().decode(msg.data)) });
    await receiver.flush();
    const nc = await connectNats({ servers: [testInfra().natsUrl], name: 'coalesce-close' });
    nc.publish(subject, new TextEncoder().encode('last words'));
    await nc.close();
    await eventually(async () => (got.length === 1 ? true : undefined), 10_000, 'the message published right before close');
    expect(got).toEqual(['last words']);
    sub.unsubscribe();
  });

  it('refuses to patch a client it does not know, changing nothing', () => {
    expect(coalesceWrites({} as NatsConnection)).toBe(false);
  });
});
