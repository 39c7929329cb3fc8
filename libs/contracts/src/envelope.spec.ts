import { envelopeProblem } from './envelope';

const valid = {
  id: 'e1',
  type: 'session.created',
  version: 1,
  sessionId: '',
  occurredAt: '2026-01-01T00:00:00.000Z',
  correlationId: 'c',
  causationId: 'k',
  data: {},
};

describe('envelopeProblem', () => {
  it('accepts a complete envelope (cluster events have an empty session id; extra fields are fine)', () => {
    expect(envelopeProblem(valid)).toBeUndefined();
    expect(envelopeProblem({ ...valid, sessionId: 'abc', streamVersion: 3, position: 9 })).toBeUndefined();
  });

  it.each([
    ['null (MessagePack nil)', null, 'the body is null, not an object'],
    ['a number', 42, 'the body is a number, not an object'],
    ['a string', 'x', 'the body is a string, not an object'],
    ['an array', [valid], 'the body is an array, not an object'],
    ['no id', { ...valid, id: undefined }, 'id is missing, not a string'],
    ['an empty id', { ...valid, id: '' }, 'id is empty'],
    ['a numeric id', { ...valid, id: 7 }, 'id is a number, not a string'],
    ['an empty type', { ...valid, type: '' }, 'type is empty'],
    ['a null session id', { ...valid, sessionId: null }, 'sessionId is null, not a string'],
    ['an object correlation id', { ...valid, correlationId: {} }, 'correlationId is an object, not a string'],
    ['a NUL in the causation id', { ...valid, causationId: 'a\u0000' }, 'causationId contains a NUL character'],
    ['a string version', { ...valid, version: '1' }, 'version is not a positive integer'],
    ['version 0', { ...valid, version: 0 }, 'version is not a positive integer'],
    ['a fractional version', { ...valid, version: 1.5 }, 'version is not a positive integer'],
    ['no occurredAt', { ...valid, occurredAt: undefined }, 'occurredAt is not an ISO-8601 instant between 1970 and 9999'],
    ['an unparseable occurredAt', { ...valid, occurredAt: 'yesterday' }, 'occurredAt is not an ISO-8601 instant between 1970 and 9999'],
    ['an occurredAt before 1970', { ...valid, occurredAt: '-271821-04-20T00:00:00.000Z' }, 'occurredAt is not an ISO-8601 instant between 1970 and 9999'],
    ['a numeric occurredAt', { ...valid, occurredAt: 1_700_000_000_000 }, 'occurredAt is not an ISO-8601 instant between 1970 and 9999'],
    ['no data', { ...valid, data: undefined }, 'data is missing, not an object'],
    ['null data', { ...valid, data: null }, 'data is null, not an object'],
    ['array data', { ...valid, data: [] }, 'data is an array, not an object'],
    ['string data', { ...valid, data: 'x' }, 'data is a string, not an object'],
  ])('names the problem with %s, without quoting the message', (_what, value, problem) => {
    expect(envelopeProblem(value)).toBe(problem);
  });
});
