import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { parseActionEvent } from './action-event';

const event = {
  id: 'e1',
  type: 'session.action_recorded',
  version: 1,
  sessionId: 's1',
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'c',
  causationId: 'c',
  data: { action: 'view:42', userId: 'u1' },
  streamVersion: 3,
  position: 17,
};

describe('parseActionEvent', () => {
  it('reads the fields the models need', () => {
    expect(parseActionEvent(event)).toEqual({ sessionId: 's1', userId: 'u1', action: 'view:42', streamVersion: 3, position: 17 });
    expect(parseActionEvent({ ...event, data: { action: 'a', userId: null } }).userId).toBeNull();
  });

  it.each([
    ['null', null],
    ['a string', 'garbage'],
    ['another event type', { ...event, type: 'session.variable_set' }],
    ['a future version', { ...event, version: 2 }],
    ['no position', { ...event, position: undefined }],
    ['no stream version', { ...event, streamVersion: 0 }],
    ['an empty action', { ...event, data: { action: '' } }],
    ['a numeric user', { ...event, data: { action: 'a', userId: 7 } }],
    ['a session id that is not base64url', { ...event, sessionId: 'a b\u0000' }],
    ['an empty session id', { ...event, sessionId: '' }],
    ['data as null', { ...event, data: null }],
    ['data as an array', { ...event, data: ['view:42'] }],
    ['an action with a NUL', { ...event, data: { action: 'a\u0000b' } }],
    ['a position beyond safe integers', { ...event, position: 2 ** 60 }],
  ])('rejects %s as MESSAGE.MALFORMED', (_what, raw) => {
    expect(() => parseActionEvent(raw)).toThrow(ForesightError);
    try {
      parseActionEvent(raw);
    } catch (error) {
      expect((error as ForesightError).code).toBe(ErrorCodes.MALFORMED_MESSAGE);
    }
  });
});
