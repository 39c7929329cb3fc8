import { encode } from '@foresight/messaging';
import { randomBytes, randomUUID } from 'node:crypto';

/** How a consumer is expected to classify a garbage payload (the poison reasons of `runPullConsumer`). */
export type GarbageVerdict = 'undecodable' | 'not_an_envelope' | 'rejected';

export interface Garbage {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The verdicts a consumer may give it (random bytes may happen to decode). */
  readonly verdicts: readonly GarbageVerdict[];
}

/** A well-formed envelope of `type` around `data`, as a garbage publisher would forge it. */
export function envelopeAround(type: string, data: unknown, sessionId = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'): Record<string, unknown> {
  return { id: randomUUID(), type, version: 1, sessionId, occurredAt: new Date().toISOString(), correlationId: 'garbage', causationId: 'garbage', data };
}

/**
 * Every kind of garbage a subject can carry: MessagePack nil (`0xc0`), an empty body, random
 * bytes, the never-used byte `0xc1`, truncated MessagePack, a number, a string, an array, nesting
 * deep enough to overflow a recursive decoder, objects missing or mistyping envelope fields, a
 * body near the server's max payload, and well-formed envelopes of `type` whose `data` is garbage.
 */
export function garbagePayloads(type: string, maxPayload: number): Garbage[] {
  const valid = envelopeAround(type, { n: 1 });
  const encoded = encode(valid);
  const { id: _id, ...noId } = valid;
  const notEnvelope: GarbageVerdict[] = ['not_an_envelope'];
  const nested = new Uint8Array(200_001).fill(0x91);
  nested[nested.length - 1] = 0xc0;
  return [
    { name: 'MessagePack nil (0xc0)', bytes: new Uint8Array([0xc0]), verdicts: notEnvelope },
    { name: 'empty payload', bytes: new Uint8Array(0), verdicts: ['undecodable'] },
    { name: 'random bytes', bytes: randomBytes(512), verdicts: ['undecodable', 'not_an_envelope'] },
    { name: 'the unused byte 0xc1', bytes: new Uint8Array([0xc1, 0x00, 0xff]), verdicts: ['undecodable'] },
    { name: 'truncated MessagePack', bytes: encoded.subarray(0, Math.floor(encoded.length / 2)), verdicts: ['undecodable'] },
    { name: 'a number', bytes: encode(42), verdicts: notEnvelope },
    { name: 'a string', bytes: encode('session.ended'), verdicts: notEnvelope },
    { name: 'an array', bytes: encode([valid]), verdicts: notEnvelope },
    { name: 'booleans', bytes: encode(true), verdicts: notEnvelope },
    { name: 'deeply nested arrays', bytes: nested, verdicts: ['undecodable', 'not_an_envelope'] },
    { name: 'an object missing id', bytes: encode(noId), verdicts: notEnvelope },
    { name: 'an empty object', bytes: encode({}), verdicts: notEnvelope },
    { name: 'version as a string', bytes: encode({ ...valid, version: '1' }), verdicts: notEnvelope },
    { name: 'id as a number', bytes: encode({ ...valid, id: 7 }), verdicts: notEnvelope },
    { name: 'sessionId as null', bytes: encode({ ...valid, sessionId: null }), verdicts: notEnvelope },
    { name: 'occurredAt not a date', bytes: encode({ ...valid, occurredAt: 'yesterday' }), verdicts: notEnvelope },
    { name: 'occurredAt out of range', bytes: encode({ ...valid, occurredAt: '-271821-04-20T00:00:00.000Z' }), verdicts: notEnvelope },
    { name: 'correlationId with NUL', bytes: encode({ ...valid, correlationId: 'a\u0000b' }), verdicts: notEnvelope },
    { name: 'data as null', bytes: encode({ ...valid, data: null }), verdicts: notEnvelope },
    { name: 'data as a string', bytes: encode({ ...valid, data: 'x' }), verdicts: notEnvelope },
    { name: 'a huge payload near the max', bytes: encode({ padding: 'x'.repeat(Math.max(0, maxPayload - 1024)) }), verdicts: notEnvelope },
    { name: 'a huge envelope near the max', bytes: encode(envelopeAround(type, { blob: 'x'.repeat(Math.max(0, maxPayload - 2048)) })), verdicts: ['rejected'] },
    { name: 'envelope with empty data', bytes: encode(envelopeAround(type, {})), verdicts: ['rejected'] },
    {
      name: 'envelope with wrong-typed data',
      bytes: encode(envelopeAround(type, { action: 42, idleTimeoutMs: 'soon', familyId: [], revokedAt: {}, reason: 7, n: 'x' })),
      verdicts: ['rejected'],
    },
    { name: 'envelope with a bad session id', bytes: encode(envelopeAround(type, {}, '../../etc\u0001')), verdicts: ['rejected'] },
  ];
}
