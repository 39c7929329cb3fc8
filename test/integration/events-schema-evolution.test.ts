import { streamDeclarations, subjects } from '@foresight/contracts';
import { encodeEvent, subscribe, type ConsumerProblem, type Subscription, type UnknownEvent } from '@foresight/events';
import { ensureStream } from '@foresight/messaging';
import { envelopeAround, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';

/**
 * The schema-evolution policy (docs/adr/0008-event-schema-evolution.md), seen from a consumer built
 * for v1: during a migration window a publisher emits v1 and v2 of `session.variable_set` side by
 * side, and adds optional fields to v1. The v1 consumer keeps handling every v1 event, in order,
 * sees each v2 as an unknown version (never a crash, never a handler call with the wrong shape),
 * and ignores the fields it does not know.
 */
describe('a v1 consumer while v2 of an event is published (real nats-server)', () => {
  let nc: NatsConnection;
  let sub: Subscription | undefined;

  beforeAll(async () => {
    nc = await connect({ servers: testInfra().natsUrl });
  });
  afterAll(async () => {
    await sub?.stop();
    await nc.drain();
  });

  it('handles every v1 event, surfaces each v2 as an unknown version, and ignores additive fields', async () => {
    const ns = uniqueName('evo');
    await ensureStream(nc, { ...streamDeclarations(ns).sessions, replicas: 1 });
    const subject = subjects(ns).sessionEvent('session.variable_set');
    const v1 = (n: number, extra: Record<string, unknown> = {}) =>
      encodeEvent(envelopeAround('session.variable_set', { group: 'cart', name: 'items', value: n, via: 'put', ...extra }));
    // A breaking change: v2 names the variable by a path and carries a list of operations.
    const v2 = (n: number) =>
      encodeEvent({ ...envelopeAround('session.variable_set', { path: 'cart/items', ops: [{ op: 'replace', value: n }] }), version: 2 });
    const js = nc.jetstream();
    for (let n = 1; n <= 20; n++) {
      await js.publish(subject, v1(n, n % 3 === 0 ? { origin: 'migration', requestDigest: n } : {}));
      if (n % 2 === 0) await js.publish(subject, v2(n));
    }

    const values: number[] = [];
    const shapes = new Set<string>();
    const unknown: UnknownEvent[] = [];
    const problems: ConsumerProblem[] = [];
    sub = await subscribe(nc, {
      stream: 'sessions',
      namespace: ns,
      durable: 'v1-reader',
      types: ['session.variable_set'],
      handlers: {
        'session.variable_set': (e) => {
          // The handler's type says v1; every event it gets must have the v1 shape.
          if (e.version !== 1 || typeof e.data.group !== 'string' || typeof e.data.name !== 'string') throw new Error('a non-v1 event reached the v1 handler');
          shapes.add(`${e.version}:${e.data.group}/${e.data.name}`);
          values.push(e.data.value as number);
        },
      },
      onUnknown: (e) => void unknown.push(e),
      onError: (p) => void problems.push(p),
    });

    await eventually(() => (values.length === 20 && unknown.length === 10 ? true : undefined), 20_000, 'all v1 and v2 events');
    expect(values).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect([...shapes]).toEqual(['1:cart/items']);
    expect(unknown.map((e) => [e.version, (e.data as { path: string }).path])).toEqual(Array.from({ length: 10 }, () => [2, 'cart/items']));
    expect(problems.map((p) => p.kind)).toEqual(Array.from({ length: 10 }, () => 'unknown_version'));
    expect(sub.stats()).toMatchObject({ received: 30, handled: 30, skipped: 0, restarts: 0 });
  }, 60_000);
});
