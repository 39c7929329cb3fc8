import { Packr } from 'msgpackr';
import { EVENT_CATALOG, type EventType, type ForesightEvent, type UnknownEvent } from './events.js';

// Plain maps, as Foresight writes them. Bodies holding a "__proto__" key are read as Maps and rebuilt
// with that key as an own property (msgpackr would rename it as its guard against prototype pollution).
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });
const mapReader = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: false });
const PROTO = new TextEncoder().encode('__proto__');

function hasProtoKey(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + PROTO.length <= bytes.length; i++) {
    if (bytes[i] !== PROTO[0]) continue;
    for (let j = 1; j < PROTO.length; j++) if (bytes[i + j] !== PROTO[j]) continue outer;
    return true;
  }
  return false;
}

function fromMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromMaps);
  if (!(value instanceof Map)) return value;
  const object: Record<string, unknown> = {};
  for (const [k, v] of value) Object.defineProperty(object, String(k), { value: fromMaps(v), writable: true, enumerable: true, configurable: true });
  return object;
}

/** Encodes a value as Foresight does (MessagePack, plain maps). For tests and tools that publish. */
export function encodeEvent(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Why a message was not handed to a handler:
 * - `oversized`: larger than the consumer's `maxMessageBytes`, not decoded at all;
 * - `undecodable`: empty, truncated or not MessagePack;
 * - `not_an_envelope`: decodes, but a required envelope field is missing or mistyped;
 * - `unknown_type` / `unknown_version`: an envelope this package has no type for (a newer publisher);
 * - `rejected`: a handler threw {@link RejectEvent}; `exhausted`: it kept failing until the last delivery.
 */
export type ProblemKind = 'oversized' | 'undecodable' | 'not_an_envelope' | 'unknown_type' | 'unknown_version' | 'rejected' | 'exhausted';

export type Decoded =
  | { readonly kind: 'event'; readonly event: ForesightEvent }
  | { readonly kind: 'unknown_type' | 'unknown_version'; readonly event: UnknownEvent; readonly detail: string }
  | { readonly kind: 'oversized' | 'undecodable' | 'not_an_envelope'; readonly detail: string };

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31);
const TEXT_FIELDS = ['id', 'type', 'sessionId', 'correlationId', 'causationId'] as const;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary';
  return v === undefined ? 'missing' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** Why `value` is not an envelope, or undefined. Never quotes the message, so it is safe to log. */
export function envelopeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `the body is ${kindOf(value)}, not an object`;
  const e = value as Record<string, unknown>;
  for (const field of TEXT_FIELDS) {
    const v = e[field];
    if (typeof v !== 'string') return `${field} is ${kindOf(v)}, not a string`;
    if (v.includes('\u0000')) return `${field} contains a NUL character`;
  }
  if ((e.id as string).length === 0) return 'id is empty';
  if ((e.type as string).length === 0) return 'type is empty';
  if (typeof e.version !== 'number' || !Number.isSafeInteger(e.version) || e.version < 1) return 'version is not a positive integer';
  const at = typeof e.occurredAt === 'string' ? Date.parse(e.occurredAt) : Number.NaN;
  if (!Number.isFinite(at) || at < EARLIEST || at > LATEST) return 'occurredAt is not an ISO-8601 instant between 1970 and 9999';
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) return `data is ${kindOf(e.data)}, not an object`;
  return undefined;
}

/** Decodes and classifies one message body. Never throws. */
export function decodeEvent(bytes: Uint8Array, maxBytes: number): Decoded {
  if (bytes.length > maxBytes) return { kind: 'oversized', detail: `${bytes.length} bytes, over the limit of ${maxBytes}` };
  if (bytes.length === 0) return { kind: 'undecodable', detail: 'the body is empty' };
  // 0xc1 is the one byte MessagePack never uses; msgpackr would read it as a marker object.
  if (bytes[0] === 0xc1) return { kind: 'undecodable', detail: 'the body is not valid MessagePack' };
  let value: unknown;
  try {
    value = hasProtoKey(bytes) ? fromMaps(mapReader.unpack(bytes)) : packr.unpack(bytes);
  } catch {
    return { kind: 'undecodable', detail: 'the body is not valid MessagePack' };
  }
  if (value === undefined) return { kind: 'undecodable', detail: 'the body is not valid MessagePack' };
  let problem: string | undefined;
  try {
    problem = envelopeProblem(value);
  } catch {
    problem = 'the body could not be inspected';
  }
  if (problem !== undefined) return { kind: 'not_an_envelope', detail: problem };
  const event = value as UnknownEvent;
  const known = Object.prototype.hasOwnProperty.call(EVENT_CATALOG, event.type) ? EVENT_CATALOG[event.type as EventType] : undefined;
  if (!known) return { kind: 'unknown_type', event, detail: `no type ${event.type} in this version of @foresight/events` };
  if (!known.versions.includes(event.version))
    return { kind: 'unknown_version', event, detail: `${event.type} v${event.version} is not known (this package reads v${known.versions.join(', v')})` };
  return { kind: 'event', event: event as ForesightEvent };
}
