import { subjects, type Envelope } from '@foresight/contracts';
import { encode, ensureStream, publishEvent, runPullConsumer } from '@foresight/messaging';
import { testInfra, uniqueName, eventually } from '@foresight/testing';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';

const quiet = { warn: () => undefined, error: () => undefined };

describe('JetStream layer against a real nats-server', () => {
  let nc: NatsConnection;
  const s = subjects(uniqueName('js'));

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    await ensureStream(nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 60_000, duplicateWindowMs: 60_000 });
  });
  afterAll(async () => {
    await nc.drain();
  });

  const event = (n: number): Envelope => ({
    id: randomUUID(),
    type: 'session.variable_set',
    version: 1,
    sessionId: 's1',
    occurredAt: new Date().toISOString(),
    correlationId: 'c',
    causationId: 'k',
    data: { n },
  });

  it('declares streams idempotently', async () => {
    await ensureStream(nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 60_000, duplicateWindowMs: 60_000 });
    const info = await (await nc.jetstreamManager()).streams.info(s.sessionStream);
    expect(info.config.subjects).toEqual([s.sessionEventsWildcard]);
  });

  it('drops a republished event (message id = event id)', async () => {
    const js = nc.jetstream();
    const e = event(1);
    const first = await publishEvent(js, s.sessionEvent(e.type), e);
    const again = await publishEvent(js, s.sessionEvent(e.type), e);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
  });

  it('acks handled events, retries transient failures, and terminates poison messages', async () => {
    const js = nc.jetstream();
    const seen: number[] = [];
    let failOnce = true;
    const durable = uniqueName('consumer');
    const consumer = await runPullConsumer<Envelope<string, number, { n: number }>>(
      nc,
      { stream: s.sessionStream, durable, filterSubject: s.sessionEventsWildcard, ackWaitMs: 2000, deadLetterSubject: s.deadLetter(durable) },
      async (e) => {
        if (e.data.n === 99 && failOnce) {
          failOnce = false;
          throw new ForesightError(ErrorCodes.UNAVAILABLE, 'downstream is down');
        }
        if (e.data.n === 66) throw new ForesightError(ErrorCodes.VALIDATION, 'cannot handle this one');
        seen.push(e.data.n);
      },
      quiet,
    );
    await publishEvent(js, s.sessionEvent('session.variable_set'), event(99));
    await js.publish(s.sessionEvent('session.variable_set'), new TextEncoder().encode('garbage, not msgpack \u0000'));
    await js.publish(s.sessionEvent('session.variable_set'), encode(event(66)));
    await publishEvent(js, s.sessionEvent('session.variable_set'), event(7));
    await eventually(() => (seen.includes(99) && seen.includes(7) ? true : undefined), 15_000, 'handled events');
    await consumer.stop();
    const info = await (await nc.jetstreamManager()).consumers.info(s.sessionStream, durable);
    // Everything was acked or terminated: nothing left pending or waiting for an ack.
    await eventually(
      async () => {
        const i = await (await nc.jetstreamManager()).consumers.info(s.sessionStream, durable);
        return i.num_ack_pending === 0 && i.num_pending === 0 ? true : undefined;
      },
      10_000,
      'no pending messages',
    );
    expect(info.delivered.stream_seq).toBeGreaterThanOrEqual(4);
    expect(seen.filter((n) => n === 99)).toHaveLength(1);
    expect(seen).not.toContain(66);
  });
});
