import { isJsonValue } from './schemas/json-value';
import { isStorableText, isWellFormedText } from './text';

describe('strings Postgres and MessagePack can keep', () => {
  it('accepts ordinary text, including astral characters (surrogate pairs)', () => {
    for (const s of ['', 'user-42', 'ünïcødé', '😀 ok', 'tab\tand\nnewline']) {
      expect(isStorableText(s)).toBe(true);
      expect(isWellFormedText(s)).toBe(true);
    }
  });

  it('refuses NUL in text bound for a text column, but NUL alone is well-formed (fine inside values)', () => {
    expect(isStorableText('x\u0000')).toBe(false);
    expect(isStorableText('\u0000')).toBe(false);
    expect(isWellFormedText('x\u0000')).toBe(true);
  });

  it('refuses unpaired surrogates everywhere', () => {
    for (const s of ['\ud800', 'a\udc00b', '\ud83d', 'x\ude00', '\ude00\ud83d']) {
      expect(isStorableText(s)).toBe(false);
      expect(isWellFormedText(s)).toBe(false);
    }
  });

  it('checks every string and key of a JSON value', () => {
    expect(isJsonValue({ a: ['x', { b: 'a\u0000b' }], n: 1, t: true, z: null })).toBe(true);
    expect(isJsonValue({ a: ['x', { b: '\ud800' }] })).toBe(false);
    expect(isJsonValue({ ['k\udc00']: 1 })).toBe(false);
    expect(isJsonValue('\ud800')).toBe(false);
  });
});
