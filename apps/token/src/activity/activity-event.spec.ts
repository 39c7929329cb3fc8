import { ErrorCodes, ForesightError, type Envelope } from '@foresight/contracts';
import { parseActivityEvent } from './activity-event';

const at = '2026-01-01T00:00:00.000Z';
const envelope = (type: string, data: unknown, over: Partial<Envelope> = {}): Envelope => ({
  id: 'e1',
  type,
  version: 1,
  sessionId: 'AbC_-9',
  occurredAt: at,
  correlationId: 'c',
  causationId: 'k',
  data,
  ...over,
});

describe('parseActivityEvent', () => {
  it('reads activity, the idle timeout of a created session, and the end of a session', () => {
    expect(parseActivityEvent(envelope('session.variable_set', { group: 'g', name: 'n', value: 1, via: 'put' }))).toEqual({
      kind: 'activity',
      sessionId: 'AbC_-9',
      at: Date.parse(at),
      type: 'session.variable_set',
    });
    expect(parseActivityEvent(envelope('session.created', { idleTimeoutMs: 60_000 }))).toMatchObject({ kind: 'activity', idleTimeoutMs: 60_000 });
    expect(parseActivityEvent(envelope('session.ended', { reason: 'client' }))).toEqual({
      kind: 'ended',
      sessionId: 'AbC_-9',
      eventId: 'e1',
      correlationId: 'c',
      type: 'session.ended',
    });
  });

  it('counts an event type it does not know as activity labelled "other" (bounded metric labels)', () => {
    expect(parseActivityEvent(envelope('session.something_new', {})).type).toBe('other');
    expect(parseActivityEvent(envelope('x'.repeat(500), {})).type).toBe('other');
  });

  it.each([
    ['a session id that is not base64url', envelope('session.variable_set', {}, { sessionId: '../x' })],
    ['an empty session id', envelope('session.variable_set', {}, { sessionId: '' })],
    ['a session id with NUL', envelope('session.ended', {}, { sessionId: 'a\u0000' })],
    ['an overlong session id', envelope('session.variable_set', {}, { sessionId: 'a'.repeat(129) })],
    ['a created session without an idle timeout', envelope('session.created', {})],
    ['a created session with a string idle timeout', envelope('session.created', { idleTimeoutMs: 'soon' })],
    ['a created session with a fractional idle timeout', envelope('session.created', { idleTimeoutMs: 1.5 })],
    ['a created session with a negative idle timeout', envelope('session.created', { idleTimeoutMs: -1 })],
    ['a created session with null data', envelope('session.created', null)],
    ['an unparseable occurredAt', envelope('session.variable_set', {}, { occurredAt: 'never' })],
  ])('rejects %s as MESSAGE.MALFORMED (a poison message, not a retry)', (_what, event) => {
    let caught: unknown;
    try {
      parseActivityEvent(event);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ForesightError);
    expect((caught as ForesightError).code).toBe(ErrorCodes.MALFORMED_MESSAGE);
  });
});
