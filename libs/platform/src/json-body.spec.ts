import { jsonShapeProblem } from './json-body';

const limits = { maxDepth: 4, maxKeysPerObject: 3, maxKeysTotal: 5 };
const check = (text: string) => jsonShapeProblem(Buffer.from(text), limits);

describe('jsonShapeProblem', () => {
  it('accepts documents within the limits', () => {
    for (const ok of ['{}', '[]', '1', '"x"', '{"a":{"b":[[1]]}}', '{"a":1,"b":2,"c":3}', '[{"a":1,"b":2},{"c":3,"d":4}]', ''])
      expect(check(ok)).toBeUndefined();
  });

  it('refuses nesting past the depth limit, objects and arrays alike', () => {
    expect(check('[[[[[1]]]]]')).toMatch(/more than 4 levels/);
    expect(check('{"a":{"b":{"c":{"d":{}}}}}')).toMatch(/more than 4 levels/);
  });

  it('refuses too many keys in one object, and in all', () => {
    expect(check('{"a":1,"b":2,"c":3,"d":4}')).toMatch(/more than 3 keys/);
    expect(check('[{"a":1,"b":2},{"c":3,"d":4},{"e":5,"f":6}]')).toMatch(/more than 5 keys in all/);
  });

  it('ignores brackets, colons and escaped quotes inside strings', () => {
    expect(check('{"a":"[[[[[[:::{{{{","b":"\\"[[[[[[\\\\","c":"\\u005b"}')).toBeUndefined();
    expect(check('["é[[[[[[", "ü:::"]')).toBeUndefined();
  });

  it('stops at the limit without recursion, however deep the input', () => {
    const deep = Buffer.from('['.repeat(1_000_000) + ']'.repeat(1_000_000));
    expect(jsonShapeProblem(deep)).toMatch(/more than 64 levels/);
    const wide = Buffer.from(`{${Array.from({ length: 100_000 }, (_, i) => `"${i.toString(36)}":0`).join(',')}}`);
    expect(jsonShapeProblem(wide)).toMatch(/more than 10000 keys/);
  });
});
