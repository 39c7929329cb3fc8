import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { parseDeclaration } from './declaration';

const codeOf = (raw: unknown) => {
  try {
    parseDeclaration(raw);
    return undefined;
  } catch (error) {
    return error instanceof ForesightError ? error.code : String(error);
  }
};

describe('requirement declarations from the wire', () => {
  it('accepts a pattern with key templates (duplicates dropped) and an empty list (removal)', () => {
    expect(parseDeclaration({ pattern: 'view_product:{id}', keys: ['product:{id}', 'reviews:{id}', 'product:{id}'] })).toEqual({
      pattern: 'view_product:{id}',
      keys: ['product:{id}', 'reviews:{id}'],
    });
    expect(parseDeclaration({ pattern: 'home', keys: [] })).toEqual({ pattern: 'home', keys: [] });
  });

  it('refuses bad shapes, patterns and templates with stable codes', () => {
    expect(codeOf(null)).toBe(ErrorCodes.VALIDATION);
    expect(codeOf({ pattern: 'a', keys: 'b' })).toBe(ErrorCodes.VALIDATION);
    expect(codeOf({ pattern: 'a', keys: Array.from({ length: 65 }, (_, i) => `k${i}`) })).toBe(ErrorCodes.VALIDATION);
    expect(codeOf({ pattern: 'view {id}', keys: ['x'] })).toBe(ErrorCodes.CACHE_INVALID_PATTERN);
    expect(codeOf({ pattern: 'view:{id', keys: ['x'] })).toBe(ErrorCodes.CACHE_INVALID_PATTERN);
    expect(codeOf({ pattern: 'view:{id}', keys: ['product:{id'] })).toBe(ErrorCodes.REQUIREMENT_INVALID_TEMPLATE);
    // Postgres cannot keep these (jsonb refuses NUL): refused up front, not a 500 from the insert.
    expect(codeOf({ pattern: 'view:{id}', keys: ['product:\u0000{id}'] })).toBe(ErrorCodes.REQUIREMENT_INVALID_TEMPLATE);
    expect(codeOf({ pattern: 'view:{id}', keys: ['product:\ud800{id}'] })).toBe(ErrorCodes.REQUIREMENT_INVALID_TEMPLATE);
    expect(codeOf({ pattern: 'view:\u0000{id}', keys: ['x'] })).toBe(ErrorCodes.CACHE_INVALID_PATTERN);
  });
});
