import * as Contracts from '@foresight/contracts';
import { decode, encode } from '@foresight/messaging';
import { envelopeAround, garbagePayloads } from '@foresight/testing';
import {
  decodeEvent,
  envelopeProblem,
  EVENT_CATALOG,
  EVENT_TYPES,
  eventSubject,
  streamName,
  streamSubjects,
  type ForesightEvent,
  type StreamKind,
} from '../src';

/**
 * The package carries a copy of the contracts' event types and envelope check (it is published on
 * its own). This file fails, at compile time or at run time, when the copy and the contracts differ.
 */
type ContractEvent = Contracts.SessionEvent | Contracts.ClusterEvent | Contracts.TokenEvent | Contracts.PredictionEvent;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesAreTheSame: Same<ForesightEvent, ContractEvent> = true;
const envelopesAreTheSame: Same<Contracts.Envelope, import('../src').Envelope> = true;

describe("the package's copy of the event contracts", () => {
  it('has the same event types (checked by the compiler) and type names', () => {
    expect([typesAreTheSame, envelopesAreTheSame]).toEqual([true, true]);
    const contractTypes = [
      ...Contracts.SESSION_EVENT_TYPES,
      ...Contracts.CLUSTER_EVENT_TYPES,
      ...Contracts.TOKEN_EVENT_TYPES,
      ...Contracts.PREDICTION_EVENT_TYPES,
    ];
    expect([...EVENT_TYPES].sort()).toEqual([...contractTypes].sort());
  });

  it('reads the versions the contracts publish, from the streams and subjects they declare', () => {
    const channels = Contracts.eventChannels('acme');
    const kinds: Record<string, StreamKind> = { ACME_SESSIONS: 'sessions', ACME_CLUSTER: 'cluster', ACME_TOKENS: 'tokens', ACME_PREDICTION: 'prediction' };
    for (const c of channels) {
      const entry = EVENT_CATALOG[c.type];
      expect([c.type, entry.versions.includes(c.version), entry.stream]).toEqual([c.type, true, kinds[c.stream.name]]);
      expect(eventSubject('acme', c.type)).toBe(c.subject);
      expect(streamName('acme', entry.stream)).toBe(c.stream.name);
      expect(c.stream.subjects).toEqual([streamSubjects('acme', entry.stream)]);
    }
  });

  it('judges envelopes as the contracts do, on every kind of garbage', () => {
    const samples = [...garbagePayloads('session.ended', 1 << 20).map((g) => g.bytes), encode(envelopeAround('session.ended', { reason: 'client' }))];
    for (const bytes of samples) {
      let value: unknown;
      try {
        value = decode(bytes);
      } catch {
        expect(decodeEvent(bytes, 1 << 21).kind).toBe('undecodable');
        continue;
      }
      expect(envelopeProblem(value)).toBe(Contracts.envelopeProblem(value));
    }
  });

  it('decodes what the services encode, a "__proto__" key included', () => {
    const event = { ...envelopeAround('session.variable_set', { group: 'g', name: '__proto__', value: { __proto__x: 1 }, via: 'put' }) };
    const withProto = encode({ ...event, data: JSON.parse('{"group":"g","name":"n","value":{"__proto__":1},"via":"put"}') });
    const decoded = decodeEvent(withProto, 1 << 20);
    expect(decoded.kind).toBe('event');
    const value = (decoded as { event: { data: { value: Record<string, unknown> } } }).event.data.value;
    expect(Object.getOwnPropertyNames(value)).toEqual(['__proto__']);
    expect(decodeEvent(encode(event), 1 << 20)).toEqual({ kind: 'event', event });
  });
});
