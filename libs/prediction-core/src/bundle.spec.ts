import { markovOnly } from './ensemble/mixing';
import { PredictionError } from './errors';
import { Vocabulary } from './vocabulary';
import { checkVocabularyPrefix, decodeBundle, encodeBundle, type ModelBundle } from './bundle';

const vocabulary = new Vocabulary({ actions: ['a', 'b'] }).toJSON();
const markovBundle: ModelBundle = { kind: 'markov', vocabulary, markov: new Uint8Array([1, 2, 3]), rnn: null, weights: null };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof PredictionError ? error.code : 'other';
  }
  return undefined;
}

describe('model bundle', () => {
  it('round-trips a Markov bundle and an ensemble bundle', () => {
    expect(decodeBundle(encodeBundle(markovBundle))).toEqual(markovBundle);
    const ensemble: ModelBundle = { ...markovBundle, kind: 'ensemble', rnn: new Uint8Array([9]), weights: markovOnly(2, 3) };
    expect(decodeBundle(encodeBundle(ensemble))).toEqual(ensemble);
  });

  it('refuses garbage, other formats and incomplete ensembles with stable codes', () => {
    expect(codeOf(() => decodeBundle(Buffer.from('not a model at all')))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    expect(codeOf(() => decodeBundle(new Uint8Array([0xc1])))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const bytes = encodeBundle({ ...markovBundle, kind: 'ensemble' });
    expect(codeOf(() => decodeBundle(bytes))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const truncated = encodeBundle(markovBundle).subarray(0, 20);
    expect(codeOf(() => decodeBundle(truncated))).toBeDefined();
  });

  it('accepts vocabularies that extend each other, refuses ones that renumber actions', () => {
    const live = new Vocabulary({ actions: ['a', 'b', 'c'] });
    expect(() => checkVocabularyPrefix(vocabulary.actions, live)).not.toThrow();
    expect(() => checkVocabularyPrefix([...live.toJSON().actions, 'd'], live)).not.toThrow();
    expect(codeOf(() => checkVocabularyPrefix(['<unk>', 'b', 'a'], live))).toBe('PREDICTION.ARTIFACT_INCOMPATIBLE');
  });
});
