import { Packr } from 'msgpackr';
import { markovOnly } from './ensemble/mixing';
import { fromMixingWeights, type MixtureWeights } from './ensemble/mixture';
import { PredictionError } from './errors';
import { Vocabulary } from './vocabulary';
import { checkVocabularyPrefix, decodeBundle, encodeBundle, type ModelBundle } from './bundle';

const vocabulary = new Vocabulary({ actions: ['a', 'b'] }).toJSON();
const markovBundle: ModelBundle = { kind: 'markov', vocabulary, markov: new Uint8Array([1, 2, 3]), knn: null, rnn: null, mixture: null };
const threeWay: MixtureWeights = {
  version: 2,
  components: ['markov', 'knn', 'rnn'],
  lengthBuckets: 1,
  evidenceBuckets: 1,
  weights: [0.5, 0.3, 0.2],
  repeat: [1, 0.1, 1],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof PredictionError ? error.code : 'other';
  }
  return undefined;
}

describe('model bundle', () => {
  it('round-trips a Markov bundle and ensemble bundles with and without kNN and RNN parts', () => {
    expect(decodeBundle(encodeBundle(markovBundle))).toEqual(markovBundle);
    const ensemble: ModelBundle = { ...markovBundle, kind: 'ensemble', knn: new Uint8Array([7]), rnn: new Uint8Array([9]), mixture: threeWay };
    expect(decodeBundle(encodeBundle(ensemble))).toEqual(ensemble);
    const knnOnly: ModelBundle = { ...ensemble, rnn: null, mixture: { ...threeWay, components: ['markov', 'knn'], weights: [0.6, 0.4], repeat: [1, 0.1] } };
    expect(decodeBundle(encodeBundle(knnOnly))).toEqual(knnOnly);
  });

  it('given a bundle of the first format (Markov + RNN weights), when decoded, then it is a two-component mixture', () => {
    // Given: the bytes an earlier version of the service stored.
    const v1 = new Packr({ useRecords: false, moreTypes: false }).pack({
      format: 'foresight.prediction-model',
      version: 1,
      kind: 'ensemble',
      vocabulary,
      markov: new Uint8Array([1]),
      rnn: new Uint8Array([9]),
      weights: markovOnly(2, 3),
    });
    // When
    const bundle = decodeBundle(v1);
    // Then
    expect(bundle).toMatchObject({ kind: 'ensemble', knn: null, rnn: new Uint8Array([9]), mixture: fromMixingWeights(markovOnly(2, 3)) });
    expect(bundle.mixture!.components).toEqual(['markov', 'rnn']);
    expect(bundle.mixture!.weights.slice(0, 2)).toEqual([1, 0]);
  });

  it('refuses garbage, other formats and incomplete ensembles with stable codes', () => {
    expect(codeOf(() => decodeBundle(Buffer.from('not a model at all')))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    expect(codeOf(() => decodeBundle(new Uint8Array([0xc1])))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const bytes = encodeBundle({ ...markovBundle, kind: 'ensemble' });
    expect(codeOf(() => decodeBundle(bytes))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const noKnn = encodeBundle({ ...markovBundle, kind: 'ensemble', rnn: new Uint8Array([9]), mixture: threeWay });
    expect(codeOf(() => decodeBundle(noKnn))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const badWeights = encodeBundle({
      ...markovBundle,
      kind: 'ensemble',
      knn: new Uint8Array([7]),
      rnn: new Uint8Array([9]),
      mixture: { ...threeWay, weights: [0.5, 0.5] },
    });
    expect(codeOf(() => decodeBundle(badWeights))).toBe('PREDICTION.ARTIFACT_CORRUPT');
    const future = new Packr({ useRecords: false, moreTypes: false }).pack({ format: 'foresight.prediction-model', version: 3 });
    expect(codeOf(() => decodeBundle(future))).toBe('PREDICTION.ARTIFACT_INCOMPATIBLE');
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
