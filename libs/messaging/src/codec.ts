import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { Packr } from 'msgpackr';

// Plain maps (no msgpackr record extension), so any MessagePack implementation can read the wire.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });
// msgpackr renames a map key "__proto__" to "__proto_" when it builds objects (its guard against
// prototype pollution), which would change data: a session variable named "__proto__", a JSON value
// with such a key. Bodies that hold those bytes are decoded into Maps and rebuilt with the key as an
// own data property instead; the check is one byte search, the rebuild happens only for them.
const mapReader = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: false });
const PROTO = Buffer.from('__proto__');

function hasProtoKey(bytes: Uint8Array): boolean {
  // Buffer's native search works on any Uint8Array; calling it directly avoids a Buffer view per message.
  return Buffer.prototype.indexOf.call(bytes, PROTO) !== -1;
}

/** Maps (from {@link mapReader}) back into plain objects, every key an own property. */
function fromMaps(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromMaps(value[i]);
    return value;
  }
  if (!(value instanceof Map)) return value;
  const object: Record<string, unknown> = {};
  for (const [k, v] of value) {
    const key = String(k);
    if (key === '__proto__') Object.defineProperty(object, key, { value: fromMaps(v), writable: true, enumerable: true, configurable: true });
    else object[key] = fromMaps(v);
  }
  return object;
}

/** Encodes a message body as MessagePack. */
export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes a MessagePack body; anything that does not decode is a MESSAGE.MALFORMED error. */
export function decode<T>(bytes: Uint8Array): T {
  if (bytes.length === 0) throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is empty; a MessagePack value was expected.');
  // 0xc1 is the one byte MessagePack never uses; msgpackr reads it as a marker object instead of failing.
  if (bytes[0] === 0xc1) throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is not valid MessagePack.');
  let value: unknown;
  try {
    value = hasProtoKey(bytes) ? fromMaps(mapReader.unpack(bytes)) : packr.unpack(bytes);
  } catch {
    throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is not valid MessagePack.');
  }
  if (value === undefined) throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is not valid MessagePack.');
  return value as T;
}

/**
 * Decodes a message that may be anything (what arrives on the bus is untrusted input): its value, or
 * undefined when it does not decode. The caller checks the value against its schema.
 */
export function tryDecode(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch {
    return undefined;
  }
}
