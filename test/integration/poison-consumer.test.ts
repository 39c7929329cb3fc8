import {
  ErrorCodes,
  ForesightError,
  Headers,
  subjects,
  TOKEN_STREAM_DUPLICATE_WINDOW_MS,
  TOKEN_STREAM_MAX_AGE_MS,
  tokenSubjects,
  type Envelope,
} from '@foresight/contracts';
import { consumerHealthProbe, ensureStream, publishEvent, runPullConsumer, type RunningConsumer } from '@foresight/messaging';
import { envelopeAround, eventually, garbagePayloads, testInfra, uniqueName } from '@foresight/testing';
import { systemClock } from '@foresight/time';
import { connect, type Msg, type NatsConnection } from 'nats';
import { Registry, type Counter } from 'prom-client';
import { RevocationCache } from '../../apps/gateway/src/tokens/revocation-cache';

const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

type TestEvent = Envelope<string, number, { n: number }>;

describe('a durable consumer survives any payload and any end of its loop (real nats-server)', () => {
  let nc: NatsConnection;
  const s = subjects(uniqueName('poison'));
  const streamOf = (ns: ReturnType<typeof subjects>) => ({
    name: ns.sessionStream,
    subjects: [ns.sessionEventsWildcard],
    replicas: 1,
    maxAgeMs: 600_000,
    duplicateWindowMs: 60_000,
  });
  const running: RunningConsumer[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
    await ensureStream(nc, streamOf(s));
  });
  afterAll(async () => {
    for (const c of running) await c.stop();
    await nc.drain();
  });

  const event = (n: number): TestEvent => envelopeAround('session.variable_set', { n }) as unknown as TestEvent;

  /**
   * A consumer on one subject whose handler needs a numeric `data.n` (anything else it rejects as
   * poison) and fails transiently, with `null` as the error, on `data.n === failing`.
   */
  async function start(
    ns: ReturnType<typeof subjects>,
    subject: string,
    durable: string,
    registry: Registry,
    opts: { maxDeliver?: number; failing?: number } = {},
  ) {
    const seen: number[] = [];
    const consumer = await runPullConsumer<TestEvent>(
      nc,
      { stream: ns.sessionStream, durable, filterSubject: subject, ackWaitMs: 2000, maxDeliver: opts.maxDeliver, deadLetterSubject: ns.deadLetter(durable) },
      async (e) => {
        if (typeof e.data.n !== 'number') throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'data.n is not a number');
        if (e.data.n === opts.failing) throw null;
        seen.push(e.data.n);
      },
      quiet,
      { metrics: registry, restartDelayMs: { initial: 50, max: 500 } },
    );
    running.push(consumer);
    return { consumer, seen };
  }

  async function collect(subject: string): Promise<Msg[]> {
    const got: Msg[] = [];
    nc.subscribe(subject, { callback: (_err, m) => got.push(m) });
    await nc.flush();
    return got;
  }

  async function counted(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
    const metric = registry.getSingleMetric(name) as Counter<string> | undefined;
    const values = (await metric?.get())?.values ?? [];
    return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
  }

  it('terminates, counts and dead-letters every kind of garbage, keeps running, and handles the valid event after them', async () => {
    const subject = s.sessionEvent('session.garbage');
    const durable = 'garbage';
    const registry = new Registry();
    const letters = await collect(s.deadLetter(durable));
    const { consumer, seen } = await start(s, subject, durable, registry);
    const garbage = garbagePayloads('session.garbage', nc.info!.max_payload);
    const js = nc.jetstream();
    const bySeq = new Map<number, (typeof garbage)[number]>();
    for (const g of garbage) bySeq.set((await js.publish(subject, g.bytes)).seq, g);
    await publishEvent(js, subject, event(7));

    await eventually(() => (seen.includes(7) ? true : undefined), 30_000, 'the valid event after the garbage');
    await eventually(() => (letters.length >= garbage.length ? true : undefined), 30_000, `${garbage.length} dead letters`);
    expect(letters).toHaveLength(garbage.length);
    expect(seen).toEqual([7]);
    const reasons = new Map<string, number>();
    for (const letter of letters) {
      const h = letter.headers!;
      const g = bySeq.get(Number(h.get(Headers.deadLetterSequence)));
      expect(g).toBeDefined();
      expect(h.get(Headers.deadLetterSubject)).toBe(subject);
      expect(h.get(Headers.deadLetterStream)).toBe(s.sessionStream);
      expect(h.get(Headers.deadLetterConsumer)).toBe(durable);
      const reason = h.get(Headers.deadLetterReason);
      expect({ name: g!.name, reason, allowed: g!.verdicts.includes(reason as never) }).toMatchObject({ name: g!.name, allowed: true });
      expect(h.get(Headers.deadLetterDetail).length).toBeGreaterThan(0);
      const truncated = h.get(Headers.deadLetterTruncated);
      if (truncated) {
        expect(Number(truncated)).toBe(g!.bytes.length);
        expect(Buffer.from(letter.data).equals(Buffer.from(g!.bytes.subarray(0, letter.data.length)))).toBe(true);
      } else {
        expect(Buffer.from(letter.data).equals(Buffer.from(g!.bytes))).toBe(true);
      }
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    for (const [reason, n] of reasons) expect(await counted(registry, 'foresight_consumer_poison_total', { stream: s.sessionStream, durable, reason })).toBe(n);

    // Terminated on first delivery: nothing pending, nothing redelivered, the loop never restarted.
    await eventually(
      async () => {
        const info = await (await nc.jetstreamManager()).consumers.info(s.sessionStream, durable);
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
      },
      10_000,
      'nothing pending',
    );
    expect((await (await nc.jetstreamManager()).consumers.info(s.sessionStream, durable)).num_redelivered).toBe(0);
    expect(consumer.state()).toMatchObject({ status: 'running', restarts: 0 });
    await expect(consumerHealthProbe(consumer)()).resolves.toBeUndefined();
    expect(await counted(registry, 'foresight_consumer_restarts_total', { durable })).toBe(0);
  }, 90_000);

  it('dead-letters an event that still fails (throwing null) on its last allowed delivery, and moves on', async () => {
    const subject = s.sessionEvent('session.exhausted');
    const durable = 'exhausted';
    const registry = new Registry();
    const letters = await collect(s.deadLetter(durable));
    const { seen } = await start(s, subject, durable, registry, { maxDeliver: 2, failing: 13 });
    const js = nc.jetstream();
    const failing = await publishEvent(js, subject, event(13));
    await publishEvent(js, subject, event(14));
    await eventually(() => (seen.includes(14) && letters.length === 1 ? true : undefined), 30_000, 'the failing event dead-lettered');
    expect(letters[0]!.headers!.get(Headers.deadLetterReason)).toBe('exhausted');
    expect(letters[0]!.headers!.get(Headers.deadLetterSequence)).toBe(String(failing.seq));
    expect(await counted(registry, 'foresight_consumer_poison_total', { durable, reason: 'exhausted' })).toBe(1);
  }, 60_000);

  it('a consumer deleted under a running loop is recreated and counted, and events flow again', async () => {
    const subject = s.sessionEvent('session.deleted');
    const durable = 'deleted';
    const registry = new Registry();
    const { consumer, seen } = await start(s, subject, durable, registry);
    const js = nc.jetstream();
    await publishEvent(js, subject, event(1));
    await eventually(() => (seen.includes(1) ? true : undefined), 15_000, 'first event');

    await (await nc.jetstreamManager()).consumers.delete(s.sessionStream, durable);
    await eventually(() => (consumer.state().restarts >= 1 && consumer.state().status === 'running' ? true : undefined), 60_000, 'the loop restarted');
    await publishEvent(js, subject, event(2));
    await eventually(() => (seen.includes(2) ? true : undefined), 15_000, 'an event after the restart');
    expect(await counted(registry, 'foresight_consumer_restarts_total', { durable })).toBeGreaterThanOrEqual(1);
    expect(consumer.state().lastError).toBeTruthy();

    await consumer.stop();
    expect(consumer.state().status).toBe('stopped');
    await expect(consumerHealthProbe(consumer)()).rejects.toThrow(/stopped/);
  }, 90_000);

  it('health reports a consumer waiting for its stream or failing repeatedly, and is ok again once it runs', async () => {
    const other = subjects(uniqueName('gone'));
    const subject = other.sessionEvent('session.x');
    const registry = new Registry();
    // No stream yet: the consumer starts anyway and keeps trying.
    const { consumer, seen } = await start(other, subject, 'gone', registry);
    const probe = consumerHealthProbe(consumer);
    expect(consumer.state().status).toBe('starting');
    await expect(probe()).rejects.toThrow(/starting since .*stream not found/i);
    await ensureStream(nc, streamOf(other));
    await eventually(() => (consumer.state().status === 'running' ? true : undefined), 30_000, 'running once the stream exists');
    await expect(probe()).resolves.toBeUndefined();

    // The stream disappears: the loop ends, every restart fails, health says so with the cause.
    await (await nc.jetstreamManager()).streams.delete(other.sessionStream);
    await eventually(() => (consumer.state().status === 'restarting' && consumer.state().failures >= 2 ? true : undefined), 60_000, 'repeated failures');
    await expect(probe()).rejects.toThrow(/restarting since .*failed attempts/);
    await ensureStream(nc, streamOf(other));
    await eventually(() => (consumer.state().status === 'running' ? true : undefined), 30_000, 'running again');
    await expect(probe()).resolves.toBeUndefined();
    await publishEvent(nc.jetstream(), subject, event(3));
    await eventually(() => (seen.includes(3) ? true : undefined), 15_000, 'an event on the new stream');
    await consumer.stop();
    await (await nc.jetstreamManager()).streams.delete(other.sessionStream);
  }, 120_000);

  it("the gateway's revocation cache ignores every kind of garbage on token.revoked and applies the revocation after it", async () => {
    const t = tokenSubjects(s.namespace);
    await ensureStream(nc, {
      name: t.tokenStream,
      subjects: [t.tokenEventsWildcard],
      replicas: 1,
      maxAgeMs: TOKEN_STREAM_MAX_AGE_MS,
      duplicateWindowMs: TOKEN_STREAM_DUPLICATE_WINDOW_MS,
    });
    const cache = new RevocationCache(nc, { namespace: s.namespace, replicas: 1, retainMs: 600_000, clock: systemClock }, quiet);
    await cache.start();
    try {
      const js = nc.jetstream();
      const subject = t.tokenEvent('token.revoked');
      for (const g of garbagePayloads('token.revoked', nc.info!.max_payload)) await js.publish(subject, g.bytes);
      await js.publish(subject, Buffer.from(JSON.stringify({ not: 'msgpack' })));
      const revoked = envelopeAround('token.revoked', { familyId: 'fam-after-garbage', reason: 'logout', revokedAt: new Date().toISOString() });
      await publishEvent(js, subject, revoked as unknown as Envelope);
      await eventually(() => (cache.list.isFamilyRevoked('fam-after-garbage') ? true : undefined), 30_000, 'the revocation after the garbage');
      expect(cache.list.size).toBe(1);
      expect(cache.state()).toMatchObject({ status: 'running', restarts: 0 });
      expect(cache.ready).toBe(true);
    } finally {
      await cache.stop();
    }
    expect(cache.state().status).toBe('stopped');
  }, 60_000);
});
