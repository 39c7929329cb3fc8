import { ErrorCodes, ForesightError, type SessionEvent } from '@foresight/contracts';
import { decode, encode, tryDecode } from './codec';

const event: SessionEvent = {
  id: '4b7f6c1e-2a51-4f43-9a53-0f5cf4b1d6c2',
  type: 'session.variable_set',
  version: 1,
  sessionId: 'kz3sS1pk2uKyJhRQn7LgSIGuv4pjJEKd',
  occurredAt: '2026-11-22T02:05:52.108Z',
  correlationId: 'c114c230-f7e3-486e-b337-4cfef32210f5',
  causationId: 'c114c230-f7e3-486e-b337-4cfef32210f5',
  data: { group: 'cart', name: 'items', value: [{ sku: 'A-1', qty: 2, price: 19.99, tags: ['x', null, true] }], via: 'put' },
};

describe('MessagePack codec', () => {
  it('round-trips events exactly', () => {
    expect(decode(encode(event))).toEqual(event);
    for (const v of [null, 0, -1.5, 2 ** 40, 'ünïcødé', [], {}, { nested: { deep: [1, [2, [3]]] } }]) expect(decode(encode(v))).toEqual(v);
  });

  it('keeps "__proto__" as an ordinary key, as an own property (a variable may be named so)', () => {
    const withProto = JSON.parse('{"groups": {"cart": {"__proto__": {"x": 1}, "constructor": 2}}, "list": [{"__proto__": [null]}], "name": "__proto__"}');
    const back = decode<Record<string, unknown>>(encode(withProto));
    expect(JSON.stringify(back)).toBe(JSON.stringify(withProto));
    const cart = (back.groups as Record<string, Record<string, unknown>>).cart;
    expect(Object.hasOwn(cart, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(cart)).toBe(Object.prototype); // not polluted: the key is data
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // From a Buffer too (bytea columns arrive as Buffers).
    expect(JSON.stringify(decode(Buffer.from(encode(withProto))))).toBe(JSON.stringify(withProto));
  });

  it('is smaller than JSON for a typical event', () => {
    expect(encode(event).length).toBeLessThan(Buffer.byteLength(JSON.stringify(event)));
  });

  it('turns garbage into MESSAGE.MALFORMED, never a crash', () => {
    for (const bytes of [new Uint8Array([]), new Uint8Array([0xc1]), new Uint8Array([0x81, 0xa9]), new TextEncoder().encode('{"json": true}')]) {
      let caught: unknown;
      try {
        decode(bytes);
      } catch (error) {
        caught = error;
      }
      // Some byte strings are valid MessagePack (e.g. a fixstr); the rest must fail with the stable code.
      if (caught) expect((caught as ForesightError).code).toBe(ErrorCodes.MALFORMED_MESSAGE);
    }
    expect(() => decode(new Uint8Array([0xc1]))).toThrow(ForesightError);
    expect(() => decode(new Uint8Array([]))).toThrow(ForesightError);
  });

  it('tryDecode: the value, or undefined for garbage (the caller checks the schema)', () => {
    expect(tryDecode(encode({ a: 1 }))).toEqual({ a: 1 });
    for (const bytes of [new Uint8Array([]), new Uint8Array([0xc1]), new Uint8Array([0x81, 0xa9])]) expect(tryDecode(bytes)).toBeUndefined();
  });
});
