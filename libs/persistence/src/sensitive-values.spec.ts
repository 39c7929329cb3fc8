import type { SessionEvent } from '@foresight/contracts';
import { SensitiveValues } from './sensitive-values';

const KEYS = [{ id: 'k1', secret: 's'.repeat(40) }];
const envelope = { id: 'e1', version: 1 as const, sessionId: 'sess-1', occurredAt: '2026-12-05T00:00:00.000Z', correlationId: 'c', causationId: 'c' };
const set = (group: string, value: unknown): SessionEvent =>
  ({ ...envelope, type: 'session.variable_set', data: { group, name: 'email', value, via: 'put' } }) as SessionEvent;

describe('SensitiveValues on the bus', () => {
  const values = new SensitiveValues({ sensitiveGroups: ['auth'], keys: KEYS });

  it('seals the value of a sensitive group as {$sealed: base64}, stamps the event, and opens it with the keys', () => {
    const secret = 'alice@example.com';
    const published = values.sealForBus(set('auth', secret));
    expect(published.data).toMatchObject({ group: 'auth', name: 'email', via: 'put', sealed: true, value: { $sealed: expect.any(String) } });
    expect(JSON.stringify(published)).not.toContain(secret);
    expect(values.openFromBus('sess-1', 'auth', 'email', (published.data as { value: unknown }).value)).toBe(secret);
  });

  it('binds a sealed value to its session, group and name', () => {
    const sealed = (values.sealForBus(set('auth', 'x')).data as { value: unknown }).value;
    expect(() => values.openFromBus('sess-2', 'auth', 'email', sealed)).toThrow();
    expect(() => values.openFromBus('sess-1', 'auth', 'phone', sealed)).toThrow();
  });

  it('leaves other groups, other events and a cluster without sensitive groups as they are', () => {
    const plain = set('cart', { items: [1] });
    expect(values.sealForBus(plain)).toBe(plain);
    const ended = { ...envelope, type: 'session.ended', data: { reason: 'client' } } as SessionEvent;
    expect(values.sealForBus(ended)).toBe(ended);
    const off = new SensitiveValues({ sensitiveGroups: [], keys: [] });
    const auth = set('auth', 'secret');
    expect(off.sealForBus(auth)).toBe(auth);
  });

  it('seals the sensitive initial values of a created session, and only when there are some', () => {
    const created = (groups: Record<string, Record<string, unknown>>) =>
      ({
        ...envelope,
        type: 'session.created',
        data: { userId: null, shard: 1, idleTimeoutMs: 1000, absoluteExpiresAt: envelope.occurredAt, groups },
      }) as SessionEvent;
    const published = values.sealForBus(created({ auth: { token: 'T0KEN' }, cart: { n: 1 } }));
    expect(published.data).toMatchObject({ sealed: true, groups: { cart: { n: 1 }, auth: { token: { $sealed: expect.any(String) } } } });
    expect(JSON.stringify(published)).not.toContain('T0KEN');
    const none = created({ auth: {}, cart: { n: 1 } });
    expect(values.sealForBus(none)).toBe(none);
  });

  it('opens a sealed event back into the event it was, and refuses one altered on the way', () => {
    const put = set('auth', { email: 'alice@example.com' });
    expect(values.openEventFromBus(values.sealForBus(put))).toEqual(put);
    const created = {
      ...envelope,
      type: 'session.created',
      data: { userId: null, shard: 1, idleTimeoutMs: 1000, absoluteExpiresAt: envelope.occurredAt, groups: { auth: { token: 'T0KEN' }, cart: { n: 1 } } },
    } as SessionEvent;
    expect(values.openEventFromBus(values.sealForBus(created))).toEqual(created);
    const plain = set('cart', { items: [1] });
    expect(values.openEventFromBus(plain)).toBe(plain);
    const sealed = values.sealForBus(put) as SessionEvent & { data: { value: { $sealed: string } } };
    const bytes = Buffer.from(sealed.data.value.$sealed, 'base64');
    bytes[bytes.length - 1] ^= 1;
    const altered = { ...sealed, data: { ...sealed.data, value: { $sealed: bytes.toString('base64') } } } as SessionEvent;
    expect(() => values.openEventFromBus(altered)).toThrow();
  });
});
