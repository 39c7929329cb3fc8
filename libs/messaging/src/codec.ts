import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { Packr } from 'msgpackr';

// Plain maps (no msgpackr record extension), so any MessagePack implementation can read the wire (S7).
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

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
    value = packr.unpack(bytes);
  } catch {
    throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is not valid MessagePack.');
  }
  if (value === undefined) throw new ForesightError(ErrorCodes.MALFORMED_MESSAGE, 'The message body is not valid MessagePack.');
  return value as T;
}
