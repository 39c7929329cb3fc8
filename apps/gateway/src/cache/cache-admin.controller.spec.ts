import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { invalidation } from './cache-admin.controller';

const code = (raw: unknown) => {
  try {
    invalidation(raw, 'c');
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? error.code : String(error);
  }
};

describe('POST /v1/invalidate bodies', () => {
  it('builds the broadcast message from keys or a pattern', () => {
    expect(invalidation({ keys: ['product:1'] }, 'c1')).toEqual({ type: 'cache.invalidate', version: 1, keys: ['product:1'], correlationId: 'c1' });
    expect(invalidation({ pattern: 'product:*' }, 'c2')).toMatchObject({ pattern: 'product:*' });
  });

  it('refuses bad bodies with stable codes', () => {
    expect(code(null)).toBe(ErrorCodes.VALIDATION);
    expect(code({})).toBe(ErrorCodes.VALIDATION);
    expect(code({ keys: ['a'], pattern: 'b' })).toBe(ErrorCodes.VALIDATION);
    expect(code({ keys: [] })).toBe(ErrorCodes.VALIDATION);
    expect(code({ keys: ['has space'] })).toBe(ErrorCodes.VALIDATION);
    expect(code({ pattern: 'a**' })).toBe(ErrorCodes.CACHE_INVALID_PATTERN);
  });
});
