import { fillUrl, OriginKeyPattern } from './key-template';

describe('origin key patterns and URL templates', () => {
  it('captures named and positional parts and gives the registry pattern', () => {
    const p = new OriginKeyPattern('user:{uid}:orders:*');
    expect(p.registryPattern).toBe('user:*:orders:*');
    expect(p.match('user:7:orders:2024/01')).toEqual({ key: 'user:7:orders:2024/01', uid: '7', '1': '7', '2': '2024/01' });
    expect(p.match('user:7:cart')).toBeUndefined();
    // A named capture stops at ":" and "/".
    expect(p.match('user:a:b:orders:1')).toBeUndefined();
  });

  it('fills URL templates with URL-encoded values', () => {
    const p = new OriginKeyPattern('product:{id}');
    expect(fillUrl('http://catalog:8080/items/{id}', p, 'product:42')).toBe('http://catalog:8080/items/42');
    expect(fillUrl('http://h/x?k={key}&id={1}', p, 'product:a&b')).toBe('http://h/x?k=product%3Aa%26b&id=a%26b');
    expect(fillUrl('http://h/{id}', p, 'reviews:1')).toBeUndefined();
    expect(fillUrl('http://h/{key}', new OriginKeyPattern('*'), 'any:key/with stuff')).toBe('http://h/any%3Akey%2Fwith%20stuff');
  });

  it('treats literal regex characters literally', () => {
    const p = new OriginKeyPattern('a.b+{id}');
    expect(p.match('a.b+1')).toMatchObject({ id: '1' });
    expect(p.match('axb+1')).toBeUndefined();
  });
});
