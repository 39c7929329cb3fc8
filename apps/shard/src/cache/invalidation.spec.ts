import { parseInvalidation } from './invalidation.service';

describe('invalidation messages', () => {
  it('accepts keys or a pattern', () => {
    expect(parseInvalidation({ type: 'cache.invalidate', version: 1, keys: ['product:1', 'reviews:1'] })).toEqual({ keys: ['product:1', 'reviews:1'] });
    expect(parseInvalidation({ pattern: 'product:*' })).toEqual({ pattern: 'product:*' });
  });

  it.each([null, 42, {}, { keys: [] }, { keys: ['a b'] }, { keys: ['a'], pattern: 'b*' }, { pattern: '' }, { keys: 'product:1' }])(
    'refuses %p with a reason',
    (raw) => {
      expect(typeof parseInvalidation(raw)).toBe('string');
    },
  );
});
