import {
  encodeBundle,
  encodeKnn,
  encodeMarkov,
  MIXTURE_SHAPE,
  SessionKnn,
  VariableOrderMarkov,
  Vocabulary,
  type HistoryRef,
  type LoadedRnn,
  type MixtureWeights,
} from '@foresight/prediction-core';
import { Registry } from 'prom-client';
import { ModelInstaller } from './model-installer';
import type { NodeModel } from './swappable-predictor';

/** A bundle whose mixture names `components`, with the bytes of each part present unless `lacking`. */
function bundle(components: MixtureWeights['components'], lacking: 'knn' | 'rnn' | null = null): Buffer {
  const vocabulary = new Vocabulary();
  const ids = ['a', 'b', 'c'].map((x) => vocabulary.encode(x));
  const markov = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: vocabulary.size });
  for (let i = 0; i < 5; i++) markov.observeSession(ids);
  const knn = new SessionKnn({ maxSessions: 10 });
  knn.observeSession(ids);
  const C = components.length;
  const mixture: MixtureWeights = {
    version: 2,
    components,
    ...MIXTURE_SHAPE,
    weights: Array.from({ length: MIXTURE_SHAPE.lengthBuckets * MIXTURE_SHAPE.evidenceBuckets }, () => components.map(() => 1 / C)).flat(),
    repeat: components.map(() => 1),
  };
  return encodeBundle({
    kind: 'ensemble',
    vocabulary: vocabulary.toJSON(),
    markov: encodeMarkov(markov),
    knn: components.includes('knn') && lacking !== 'knn' ? encodeKnn(knn) : null,
    rnn: components.includes('rnn') && lacking !== 'rnn' ? Uint8Array.from([1]) : null,
    mixture,
  });
}

class FakeRnn {
  readonly window = 4;
  readonly vocabularySize = 4;
  fail = false;
  predictBatch(h: readonly HistoryRef[]): Float32Array {
    if (this.fail) throw new Error('backend lost');
    return new Float32Array(h.length * 4).fill(0.25);
  }
  dispose(): void {}
}

function setup(loadRnn: () => Promise<LoadedRnn>) {
  const metrics = new Registry();
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (_o: unknown, m: string) => warnings.push(m), error: () => undefined } as never;
  const installed: { version: string | null; model: NodeModel | null }[] = [];
  const installer = new ModelInstaller({ cache: { setModel: (version, model) => installed.push({ version, model }) }, logger, metrics, loadRnn });
  const metric = async (pattern: RegExp) => pattern.test(await metrics.metrics());
  return { installer, warnings, installed, metric };
}

describe('installing the chosen model on a cache node', () => {
  it('given a Markov + kNN + RNN choice, when every part loads, then the node serves it and the gauge says so', async () => {
    const t = setup(async () => new FakeRnn());
    await t.installer.install('v1', bundle(['markov', 'knn', 'rnn']));
    expect(t.installed.map((i) => [i.version, i.model?.name])).toEqual([['v1', 'markov+knn+rnn']]);
    expect(await t.metric(/foresight_cache_model_served\{model="markov\+knn\+rnn"\} 1/)).toBe(true);
    expect(await t.metric(/foresight_cache_model_served\{model="markov"\} 0/)).toBe(true);
    expect(t.warnings).toEqual([]);
  });

  it('given a bundle that lacks the kNN part its choice names, when installed, then the node serves Markov, logs it once and counts it', async () => {
    const t = setup(async () => new FakeRnn());
    await t.installer.install('v2', bundle(['markov', 'knn'], 'knn'));
    expect(t.installed[0]!.model!.name).toBe('markov');
    expect(t.warnings).toEqual(['serving Markov alone: a part of the chosen model is not available']);
    expect(await t.metric(/foresight_cache_model_fallbacks_total\{part="knn",reason="missing"\} 1/)).toBe(true);
    expect(await t.metric(/foresight_cache_model_served\{model="markov"\} 1/)).toBe(true);
  });

  it('given an RNN that fails to load, when installed, then the node serves Markov and counts the failure', async () => {
    const t = setup(async () => {
      throw new Error('no wasm');
    });
    await t.installer.install('v3', bundle(['markov', 'rnn']));
    expect(t.installed[0]!.model!.name).toBe('markov');
    expect(await t.metric(/foresight_cache_model_fallbacks_total\{part="rnn",reason="load_failed"\} 1/)).toBe(true);
  });

  it('given an RNN that fails at inference, when plans go on, then the failure is logged once, counted, and the gauge names what is served', async () => {
    const rnn = new FakeRnn();
    const t = setup(async () => rnn);
    const model = (await t.installer.install('v4', bundle(['markov', 'knn', 'rnn'])))!;
    rnn.fail = true;
    const node = t.installed[0]!.model!;
    node.predict(['a'], 3, null, false);
    node.predict(['b'], 3, null, false);
    await model.predictor.warm([]);
    node.predict(['c'], 3, null, false);
    await model.predictor.warm([]);
    expect(t.warnings).toEqual(['the RNN failed at inference; planning without it for this model']);
    expect(await t.metric(/foresight_cache_model_fallbacks_total\{part="rnn",reason="inference_failed"\} 1/)).toBe(true);
    expect(await t.metric(/foresight_cache_model_served\{model="markov\+knn"\} 1/)).toBe(true);
    expect(node.name).toBe('markov+knn');
  });
});
