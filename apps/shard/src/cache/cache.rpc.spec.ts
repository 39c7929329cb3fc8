import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { contextArg, keyArg } from './cache.rpc';

const code = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? error.code : String(error);
  }
};

describe('data op arguments', () => {
  it('accepts keys of visible ASCII up to 512 characters', () => {
    expect(keyArg({ key: 'product:42' })).toBe('product:42');
    expect(keyArg({ key: 'a'.repeat(512) })).toHaveLength(512);
  });

  it.each([undefined, '', 'a b', 'a*', 'é', 'a'.repeat(513), 42])('refuses key %p with REQUEST.INVALID', (key) => {
    expect(code(() => keyArg({ key }))).toBe(ErrorCodes.VALIDATION);
  });

  it('accepts a flat context of strings and numbers, refuses anything else', () => {
    expect(contextArg({})).toEqual({});
    expect(contextArg({ context: { userId: 'u1', page: 2 } })).toEqual({ userId: 'u1', page: 2 });
    expect(code(() => contextArg({ context: { nested: { a: 1 } } }))).toBe(ErrorCodes.VALIDATION);
    expect(code(() => contextArg({ context: ['a'] }))).toBe(ErrorCodes.VALIDATION);
    expect(code(() => contextArg({ context: { 'bad key': 'x' } }))).toBe(ErrorCodes.VALIDATION);
  });
});
