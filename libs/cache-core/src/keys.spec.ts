import { isCacheError } from './errors';
import { isValidKey, KeyPattern, PatternTable, requireKey } from './keys';

describe('keys and patterns', () => {
  it('accepts visible ASCII keys and rejects empty, spaced, starred or oversized ones with a code', () => {
    expect(isValidKey('product:42')).toBe(true);
    for (const bad of ['', 'a b', 'p:*', 'x'.repeat(513), 'é']) expect(isValidKey(bad)).toBe(false);
    try {
      requireKey('a b');
      throw new Error('no throw');
    } catch (e) {
      expect(isCacheError(e, 'CACHE.INVALID_KEY')).toBe(true);
    }
  });

  it('matches wildcards and treats regex characters literally', () => {
    const p = new KeyPattern('user:*:orders');
    expect(p.matches('user:7:orders')).toBe(true);
    expect(p.matches('user::orders')).toBe(false);
    expect(new KeyPattern('a.b').matches('axb')).toBe(false);
    expect(() => new KeyPattern('a**')).toThrow(expect.objectContaining({ code: 'CACHE.INVALID_PATTERN' }));
  });

  it('returns the most specific matching pattern', () => {
    const t = new PatternTable<string>();
    t.set('*', 'any');
    t.set('product:*', 'products');
    t.set('product:1*', 'product-1x');
    expect(t.match('product:17')).toBe('product-1x');
    expect(t.match('product:2')).toBe('products');
    expect(t.match('cart:1')).toBe('any');
  });
});
