import { PredictionError } from './errors';
import { UNKNOWN_ACTION, UNKNOWN_INDEX, Vocabulary } from './vocabulary';

describe('Vocabulary', () => {
  it('reserves index 0 for the catch-all and assigns dense indices in first-seen order', () => {
    const v = new Vocabulary();
    expect(v.decode(UNKNOWN_INDEX)).toBe(UNKNOWN_ACTION);
    expect(v.encodeAll(['home', 'cart', 'home', 'pay'])).toEqual([1, 2, 1, 3]);
    expect(v.size).toBe(4);
    expect(v.decode(2)).toBe('cart');
  });

  it('maps unseen actions to the catch-all on lookup without growing', () => {
    const v = new Vocabulary({ actions: ['a'] });
    expect(v.lookup('never-seen')).toBe(UNKNOWN_INDEX);
    expect(v.has('never-seen')).toBe(false);
    expect(v.size).toBe(2);
  });

  it('sends new actions to the catch-all once the maximum size is reached', () => {
    const v = new Vocabulary({ maxSize: 3 });
    expect(v.encode('a')).toBe(1);
    expect(v.encode('b')).toBe(2);
    expect(v.isFull).toBe(true);
    expect(v.encode('c')).toBe(UNKNOWN_INDEX);
    expect(v.encode('a')).toBe(1);
    expect(v.size).toBe(3);
  });

  it('rejects empty actions and out-of-range indices with a stable code', () => {
    const v = new Vocabulary();
    expect(() => v.encode('')).toThrow(expect.objectContaining({ code: 'PREDICTION.INVALID_ARGUMENT' }));
    expect(() => v.decode(5)).toThrow(PredictionError);
  });

  it('round-trips through its JSON snapshot', () => {
    const v = new Vocabulary({ maxSize: 10, actions: ['x', 'y'] });
    const copy = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    expect(copy.maxSize).toBe(10);
    expect(copy.lookup('y')).toBe(2);
    expect(copy.encode('z')).toBe(3);
  });

  it.each([
    null,
    { version: 2, maxSize: 5, actions: ['<unk>'] },
    { version: 1, maxSize: 5, actions: ['a'] },
    { version: 1, maxSize: 5, actions: ['<unk>', 'a', 'a'] },
    { version: 1, maxSize: 1, actions: ['<unk>', 'a'] },
  ])('refuses a malformed snapshot %#', (bad) => {
    expect(() => Vocabulary.fromJSON(bad)).toThrow(expect.objectContaining({ code: 'PREDICTION.VOCABULARY_CORRUPT' }));
  });
});
