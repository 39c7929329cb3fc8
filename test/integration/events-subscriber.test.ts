import { streamDeclarations, subjects } from '@foresight/contracts';
import { encodeEvent, iterate, RejectEvent, subscribe, type ConsumerProblem, type SessionVariableSetV1, type Subscription } from '@foresight/events';
import { ensureStream } from '@foresight/messaging';
import { envelopeAround, eventually, garbagePayloads, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';

/** @foresight/events against a real nats-server: typed handlers, replay, bad input, failures, back-pressure. */
describe('@foresight/events subscribe (real nats-server)', () => {
  let nc: NatsConnection;
  const running: Subscription[] = [];
  const WAIT = 20_000;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
  });
  afterAll(async () => {
    for (const s of running) await s.stop();
    await nc.drain();
  });

  /** A namespace of its own, with its sessions stream. */
  async function namespace(): Promise<string> {
    const ns = uniqueName('ev');
    const d = streamDeclarations(ns).sessions;
    await ensureStream(nc, { ...d, replicas: 1 });
    return ns;
  }

  const variableSet = (n: number, version = 1): Record<string, unknown> => ({
    ...envelopeAround('session.variable_set', { group: 'cart', name: 'n', value: n, via: 'put' }),
    version,
  });
  const publish = async (ns: string, type: string, body: Uint8Array) => nc.jetstream().publish(subjects(ns).sessionEvent(type), body);
  const track = (s: Subscription) => {
    running.push(s);
    return s;
  };

  it('hands each event to the handler of its type, acks it, and a durable resumes after its last ack', async () => {
    const ns = await namespace();
    for (let n = 1; n <= 5; n++) await publish(ns, 'session.variable_set', encodeEvent(variableSet(n)));
    await publish(ns, 'session.ended', encodeEvent(envelopeAround('session.ended', { reason: 'client' })));
    const seen: number[] = [];
    const ended: string[] = [];
    const handlers = {
      'session.variable_set': (e: SessionVariableSetV1) => void seen.push(e.data.value as number),
      'session.ended': (e: { data: { reason: string } }) => void ended.push(e.data.reason),
    };
    const first = track(await subscribe(nc, { stream: 'sessions', namespace: ns, durable: 'reader', handlers }));
    await eventually(() => (seen.length === 5 && ended.length === 1 ? true : undefined), WAIT, 'first six events');
    await first.stop();
    expect(first.stats()).toMatchObject({ received: 6, handled: 6, skipped: 0 });
    for (let n = 6; n <= 8; n++) await publish(ns, 'session.variable_set', encodeEvent(variableSet(n)));
    const second = track(await subscribe(nc, { stream: 'sessions', namespace: ns, durable: 'reader', handlers }));
    await eventually(() => (seen.length === 8 ? true : undefined), WAIT, 'the three new events');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(second.stats().received).toBe(3);
  }, 60_000);

  it('filters on one type at the server and replays from a sequence or a time', async () => {
    const ns = await namespace();
    const seqs: number[] = [];
    for (let n = 1; n <= 4; n++) seqs.push((await publish(ns, 'session.variable_set', encodeEvent(variableSet(n)))).seq);
    await publish(ns, 'session.ended', encodeEvent(envelopeAround('session.ended', { reason: 'idle' })));
    // A Date is truncated to the millisecond: taken in the millisecond the server stored event 4 in, it would precede it.
    await new Promise((r) => setTimeout(r, 20));
    const midpoint = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(5)));
    const collect = async (start: Parameters<typeof subscribe>[1]['start']) => {
      const seen: number[] = [];
      const sub = track(
        await subscribe(nc, {
          stream: 'sessions',
          namespace: ns,
          types: ['session.variable_set'],
          start,
          handlers: { 'session.variable_set': (e) => void seen.push(e.data.value as number) },
        }),
      );
      await eventually(() => (sub.stats().received > 0 && seen.at(-1) === 5 ? true : undefined), WAIT, 'the last event');
      expect(sub.stats().skipped).toBe(0);
      return seen;
    };
    expect(await collect('all')).toEqual([1, 2, 3, 4, 5]);
    expect(await collect({ sequence: seqs[2]! })).toEqual([3, 4, 5]);
    expect(await collect({ time: midpoint })).toEqual([5]);
  }, 60_000);

  it('counts, reports and settles every kind of bad input, and keeps handling the good events after it', async () => {
    const ns = await namespace();
    const max = nc.info!.max_payload;
    const garbage = garbagePayloads('session.teleported', max);
    const LIMIT = 64 * 1024;
    const sent: { name: string; expected: string }[] = [];
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(1)));
    for (const g of garbage) {
      await publish(ns, 'session.variable_set', g.bytes);
      // An envelope of the unknown type "session.teleported" is the garbage the contracts' consumer rejects.
      const expected = g.bytes.length > LIMIT ? 'oversized' : g.verdicts.includes('rejected') ? 'unknown_type' : g.verdicts.join('|');
      sent.push({ name: g.name, expected });
    }
    // Oversized for this consumer, and an unknown version of a known type.
    await publish(ns, 'session.variable_set', encodeEvent({ ...variableSet(0), data: { blob: 'x'.repeat(100_000) } }));
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(99, 7)));
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(3)));
    const problems: ConsumerProblem[] = [];
    const seen: number[] = [];
    const sub = track(
      await subscribe(nc, {
        stream: 'sessions',
        namespace: ns,
        durable: 'tolerant',
        maxMessageBytes: LIMIT,
        handlers: { 'session.variable_set': (e) => void seen.push(e.data.value as number) },
        onError: (p) => {
          problems.push(p);
          throw new Error('a throwing error hook must not stop the consumer');
        },
      }),
    );
    await eventually(() => (seen.length === 2 ? true : undefined), WAIT, 'both good events');
    expect(seen).toEqual([1, 3]);
    const kinds = problems.map((p) => p.kind);
    expect(kinds).toHaveLength(garbage.length + 2);
    garbage.forEach((g, i) => {
      const allowed = sent[i]!.expected.split('|');
      // Random bytes may happen to decode to a non-envelope; anything else has one verdict.
      expect([g.name, allowed.includes(kinds[i]!) || (g.name === 'random bytes' && kinds[i] === 'not_an_envelope')]).toEqual([g.name, true]);
    });
    expect(kinds.slice(-2)).toEqual(['oversized', 'unknown_version']);
    const stats = sub.stats();
    expect(stats.problems.oversized).toBe(sent.filter((g) => g.expected === 'oversized').length + 1);
    expect(stats.problems.unknown_version).toBe(1);
    expect(stats.received).toBe(garbage.length + 4);
    // Poison is terminated, unknown events acked (the default policy); nothing is left pending.
    for (const p of problems) expect([p.kind, p.action]).toEqual([p.kind, p.kind.startsWith('unknown') ? 'ack' : 'term']);
    const info = await (await nc.jetstreamManager()).consumers.info(streamDeclarations(ns).sessions.name, 'tolerant');
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  }, 60_000);

  it('acks poison instead when the policy says so, and terminates unknown events when asked', async () => {
    const ns = await namespace();
    await publish(ns, 'session.variable_set', new Uint8Array([0xc1]));
    await publish(ns, 'session.variable_set', encodeEvent(envelopeAround('session.teleported', {})));
    const problems: ConsumerProblem[] = [];
    track(
      await subscribe(nc, {
        stream: 'sessions',
        namespace: ns,
        handlers: {},
        policy: { poison: 'ack', unknown: 'term' },
        onError: (p) => void problems.push(p),
      }),
    );
    await eventually(() => (problems.length === 2 ? true : undefined), WAIT, 'two problems');
    expect(problems.map((p) => [p.kind, p.action])).toEqual([
      ['undecodable', 'ack'],
      ['unknown_type', 'term'],
    ]);
  }, 60_000);

  it('redelivers after a handler failure, terminates after maxDeliver, and at once on RejectEvent', async () => {
    const ns = await namespace();
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(1))); // fails once, then succeeds
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(2))); // always fails
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(3))); // rejected
    await publish(ns, 'session.variable_set', encodeEvent(variableSet(4)));
    const attempts = new Map<number, number>();
    const done: number[] = [];
    const problems: ConsumerProblem[] = [];
    const sub = track(
      await subscribe(nc, {
        stream: 'sessions',
        namespace: ns,
        durable: 'flaky',
        maxDeliver: 3,
        retryDelayMs: { initial: 50, max: 100 },
        concurrency: 4,
        onError: (p) => void problems.push(p),
        handlers: {
          'session.variable_set': (e) => {
            const n = e.data.value as number;
            attempts.set(n, (attempts.get(n) ?? 0) + 1);
            if (n === 1 && attempts.get(n) === 1) throw new Error('database briefly down');
            if (n === 2) throw new Error('always failing');
            if (n === 3) throw new RejectEvent('this event can never be stored');
            done.push(n);
          },
        },
      }),
    );
    await eventually(() => (problems.some((p) => p.kind === 'exhausted') && done.length === 2 ? true : undefined), WAIT, 'the exhausted event');
    expect(done.sort()).toEqual([1, 4]);
    expect([attempts.get(2), attempts.get(3)]).toEqual([3, 1]);
    expect(sub.stats().problems).toMatchObject({ handler_failed: 3, exhausted: 1, rejected: 1 });
  }, 60_000);

  it('keeps at most maxInFlight messages unacked, with a slow handler', async () => {
    const ns = await namespace();
    for (let n = 1; n <= 40; n++) await publish(ns, 'session.variable_set', encodeEvent(variableSet(n)));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    track(
      await subscribe(nc, {
        stream: 'sessions',
        namespace: ns,
        durable: 'slow',
        maxInFlight: 4,
        concurrency: 2,
        handlers: {
          'session.variable_set': async () => {
            started++;
            await gate;
          },
        },
      }),
    );
    await eventually(() => (started === 2 ? true : undefined), WAIT, 'two handlers running');
    const info = await (await nc.jetstreamManager()).consumers.info(streamDeclarations(ns).sessions.name, 'slow');
    expect(info.num_ack_pending).toBeLessThanOrEqual(4);
    expect(started).toBe(2);
    release();
    await eventually(() => (started === 40 ? true : undefined), WAIT, 'all forty');
  }, 60_000);
  it('iterates with for await: acks an event when the loop moves on, and redelivers the one in hand when the loop is left', async () => {
    const ns = await namespace();
    for (let n = 1; n <= 5; n++) await publish(ns, 'session.variable_set', encodeEvent(variableSet(n)));
    await publish(ns, 'session.ended', encodeEvent(envelopeAround('session.ended', { reason: 'client' })));
    const jsm = await nc.jetstreamManager();
    const consumerInfo = () => jsm.consumers.info(streamDeclarations(ns).sessions.name, 'loop');
    const options = { stream: 'sessions', namespace: ns, durable: 'loop', maxInFlight: 4, ackWaitMs: 2000 } as const;
    const first = await iterate(nc, options);
    running.push(first);
    const seen: number[] = [];
    for await (const e of first) {
      if (e.type !== 'session.variable_set') throw new Error(`unexpected ${e.type}`);
      seen.push(e.data.value as number);
      const info = await consumerInfo();
      expect(info.num_ack_pending).toBeLessThanOrEqual(4);
      // Acked up to the event before the one in hand, never the one in hand.
      await eventually(async () => ((await consumerInfo()).ack_floor.stream_seq === seen.length - 1 ? true : undefined), WAIT, 'ack of the previous event');
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    // At least once: the event in hand and those pulled behind it come back; 1 and 2 were acked and never do.
    const second = await iterate(nc, options);
    running.push(second);
    const giveUp = setTimeout(() => void second.stop(), WAIT);
    const rest = new Set<string>();
    for await (const e of second) {
      rest.add(e.type === 'session.variable_set' ? String(e.data.value) : e.type);
      if (rest.size === 4) break;
    }
    clearTimeout(giveUp);
    expect([...rest].sort()).toEqual(['3', '4', '5', 'session.ended']);
  }, 60_000);
});
