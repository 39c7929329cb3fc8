import { Headers, subjects, type Envelope } from '@foresight/contracts';
import { connectNats, decode, ensureStream, publishEvent, StreamPublisher, StreamPublishError } from '@foresight/messaging';
import { testInfra, uniqueName } from '@foresight/testing';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';

describe('StreamPublisher (one reply subscription for all publications) against a real nats-server', () => {
  let nc: NatsConnection;
  let publisher: StreamPublisher;
  const s = subjects(uniqueName('pub'));

  beforeAll(async () => {
    // As the services connect: write coalescing on.
    nc = await connectNats({ servers: [testInfra().natsUrl], name: 'stream-publisher-test' });
    await ensureStream(nc, { name: s.sessionStream, subjects: [s.sessionEventsWildcard], replicas: 1, maxAgeMs: 60_000, duplicateWindowMs: 60_000 });
    publisher = new StreamPublisher(nc);
  });
  afterAll(async () => {
    publisher.close();
    await nc.drain();
  });

  const event = (n: number, sessionId = 's1'): Envelope => ({
    id: randomUUID(),
    type: 'session.variable_set',
    version: 1,
    sessionId,
    occurredAt: new Date().toISOString(),
    correlationId: `c${n}`,
    causationId: 'k',
    data: { n },
  });

  it('stores the event with the same headers and body as publishEvent, and the stream drops a republication', async () => {
    const jsm = await nc.jetstreamManager();
    const mine = event(1);
    const theirs = event(2);
    const a = await publisher.publish(s.sessionEvent(mine.type), mine);
    const b = await publishEvent(nc.jetstream(), s.sessionEvent(theirs.type), theirs);
    expect(a).toEqual({ stream: s.sessionStream, seq: expect.any(Number), duplicate: false });
    const [ma, mb] = [await jsm.streams.getMessage(s.sessionStream, { seq: a.seq }), await jsm.streams.getMessage(s.sessionStream, { seq: b.seq })];
    expect(decode(ma.data)).toEqual(mine);
    expect(ma.subject).toBe(mb.subject);
    for (const h of [Headers.eventType, Headers.eventVersion, Headers.sessionId]) expect(ma.header.get(h)).toBe(mb.header.get(h));
    expect(ma.header.get(Headers.eventType)).toBe('session.variable_set');
    expect(ma.header.get(Headers.correlationId)).toBe(mine.correlationId);
    expect(ma.header.get('Nats-Msg-Id')).toBe(mine.id);
    // The same event again (a sweep after a crash), by either path: dropped, same sequence.
    const again = await publisher.publish(s.sessionEvent(mine.type), mine);
    expect(again).toEqual({ stream: s.sessionStream, seq: a.seq, duplicate: true });
    expect((await publishEvent(nc.jetstream(), s.sessionEvent(mine.type), mine)).duplicate).toBe(true);
  });

  it('pipelines many publications and matches every acknowledgement to its event', async () => {
    const jsm = await nc.jetstreamManager();
    const before = (await jsm.streams.info(s.sessionStream)).state.messages;
    const events = Array.from({ length: 500 }, (_, i) => event(i, `p${i % 7}`));
    const acks = await Promise.all(events.map((e) => publisher.publish(s.sessionEvent(e.type), e)));
    expect(new Set(acks.map((a) => a.seq)).size).toBe(events.length);
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    expect(publisher.pending).toBe(0);
    expect((await jsm.streams.info(s.sessionStream)).state.messages).toBe(before + events.length);
    // Each acknowledgement names the sequence its own event was stored at.
    for (const k of [0, 137, 499]) {
      const stored = await jsm.streams.getMessage(s.sessionStream, { seq: acks[k].seq });
      expect(stored.header.get('Nats-Msg-Id')).toBe(events[k].id);
    }
  });

  it('fails a publication to a subject no stream listens on (no responders)', async () => {
    const e = event(3);
    await expect(publisher.publish(`${uniqueName('nostream')}.session.variable_set`, e)).rejects.toMatchObject({ reason: 'no_stream' });
    expect(publisher.pending).toBe(0);
  });

  it('fails a publication nobody acknowledges after its timeout, and the ones pending when it closes', async () => {
    const subject = `${uniqueName('silent')}.x`;
    // A plain subscriber: a responder exists (no 503), but it never answers.
    const silent = nc.subscribe(subject, { callback: () => undefined });
    await nc.flush();
    const short = new StreamPublisher(nc, 300);
    try {
      const started = Date.now();
      const error = await short.publish(subject, event(4)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamPublishError);
      expect((error as StreamPublishError).reason).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      const pending = short.publish(subject, event(5));
      short.close();
      await expect(pending).rejects.toMatchObject({ reason: 'closed' });
      await expect(short.publish(subject, event(6))).rejects.toMatchObject({ reason: 'closed' });
    } finally {
      short.close();
      silent.unsubscribe();
    }
  });
});
