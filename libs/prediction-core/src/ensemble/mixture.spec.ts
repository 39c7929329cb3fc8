import { VariableOrderMarkov } from '../markov/variable-order-markov';
import { SessionKnnPredictor } from '../knn/knn-predictor';
import { fitMixture, fitRepeatFactor } from './fit-mixture';
import { applyRepeatFactor, checkMixtureWeights, fromMixingWeights, markovMixture, mixtureName, type MixtureWeights } from './mixture';
import { markovOnly } from './mixing';
import { selectMixture, type TargetPosition } from './select';

function sample(
  n: number,
  p: ((i: number) => number)[],
  opts: { mass?: (i: number) => number; repeat?: (i: number) => boolean; bucket?: (i: number) => number } = {},
) {
  return {
    p: p.map((f) => Float64Array.from({ length: n }, (_, i) => f(i))),
    sessionMass: p.map(() => Float64Array.from({ length: n }, (_, i) => opts.mass?.(i) ?? 0)),
    repeat: Uint8Array.from({ length: n }, (_, i) => (opts.repeat?.(i) ? 1 : 0)),
    bucket: Int32Array.from({ length: n }, (_, i) => opts.bucket?.(i) ?? 0),
  };
}

describe('mixture fitting (held-out log-likelihood)', () => {
  it('given two components that are each right half the time, when fitted, then the weights split evenly', () => {
    const s = sample(2000, [(i) => (i % 2 ? 0.9 : 0.1), (i) => (i % 2 ? 0.1 : 0.9)]);
    const w = fitMixture(s, ['markov', 'knn'], 1, 1);
    expect(w.weights[0]).toBeCloseTo(0.5, 3);
    expect(w.weights[1]).toBeCloseTo(0.5, 3);
  });

  it('given a useless component, when fitted, then it gets (almost) no weight', () => {
    const s = sample(1000, [() => 0.6, () => 0.6, () => 0.001]);
    const w = fitMixture(s, ['markov', 'knn', 'rnn'], 1, 1);
    expect(w.weights[2]).toBeLessThan(0.01);
    expect(w.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('given buckets where different components win, when fitted, then each bucket has its own weights; sparse buckets inherit the overall ones', () => {
    const s = sample(4001, [(i) => (i % 2 === 0 ? 0.8 : 0.05), (i) => (i % 2 === 0 ? 0.05 : 0.8)], { bucket: (i) => (i === 4000 ? 2 : i % 2) });
    const w = fitMixture(s, ['markov', 'rnn'], 1, 3);
    expect(w.weights[0]).toBeGreaterThan(0.9); // bucket 0: Markov
    expect(w.weights[3]).toBeGreaterThan(0.9); // bucket 1: RNN
    const overall = fitMixture({ ...s, bucket: new Int32Array(4001) }, ['markov', 'rnn'], 1, 1).weights;
    expect(w.weights.slice(4, 6)).toEqual(overall); // bucket 2 has one position
  });

  it('given data where the next action is never already in the session, when the repeat factor is fitted, then it goes to (almost) zero', () => {
    expect(fitRepeatFactor(Float64Array.from([0.3, 0.5, 0.2]), Uint8Array.from([0, 0, 0]))).toBeLessThan(1e-5);
  });

  it('given data where repeats are as frequent as the model says, when fitted, then the factor stays 1', () => {
    expect(fitRepeatFactor(Float64Array.from([0.5, 0.5, 0.5, 0.5]), Uint8Array.from([1, 0, 1, 0]))).toBe(1);
  });

  it('given data with more repeats than the model expects, when fitted, then the factor is the odds ratio', () => {
    // m = 0.2 everywhere, 80 % repeats: ρ·0.2 / (ρ·0.2 + 0.8) = 0.8 → ρ = 16.
    const rho = fitRepeatFactor(new Float64Array(10).fill(0.2), Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]));
    expect(rho).toBeCloseTo(16, 3);
  });

  it('applies a repeat factor so the distribution still sums to 1', () => {
    const row = Float64Array.from([0.1, 0.4, 0.3, 0.2]);
    applyRepeatFactor(row, [1, 1, 3], 3, 0.5, new Int32Array(4), 1);
    // m = 0.6: session actions × 0.5/0.7, others × 1/0.7.
    expect([...row].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([0.1 / 0.7, 0.2 / 0.7, 0.3 / 0.7, 0.1 / 0.7].map((x) => Math.round(x * 1e9) / 1e9));
    expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });
});

describe('mixture weights', () => {
  it('names mixtures by their components and converts the first format', () => {
    expect(mixtureName(markovMixture())).toBe('markov');
    const w = fromMixingWeights(markovOnly(1, 2));
    expect(mixtureName(w)).toBe('markov+rnn');
    expect(w.weights).toEqual([1, 0, 1, 0]);
    expect(checkMixtureWeights(w)).toBe(w);
  });

  it('refuses malformed weights', () => {
    const good: MixtureWeights = { version: 2, components: ['markov', 'knn'], lengthBuckets: 1, evidenceBuckets: 1, weights: [0.5, 0.5], repeat: [1, 1] };
    expect(() => checkMixtureWeights({ ...good, components: ['markov', 'markov'] })).toThrow(expect.objectContaining({ code: 'PREDICTION.ARTIFACT_CORRUPT' }));
    expect(() => checkMixtureWeights({ ...good, components: ['markov', 'gpt'] })).toThrow();
    expect(() => checkMixtureWeights({ ...good, repeat: [1, -1] })).toThrow();
    expect(() => checkMixtureWeights({ ...good, weights: [0.5] })).toThrow();
  });
});

describe('selectMixture (held-out choice)', () => {
  /** Sessions [x, y, z] where z depends on x (two steps back): kNN sees it, an order-1 Markov cannot. */
  function sessions(count: number): number[][] {
    return Array.from({ length: count }, (_, i) => {
      const x = 1 + (i % 4);
      return [x, 9, 10 + x];
    });
  }
  function positions(s: number[][]): TargetPosition[] {
    return s.flatMap((seq) => seq.slice(1).map((target, i) => ({ seq, len: i + 1, target })));
  }

  it('given a pattern only kNN sees, when candidates are compared held out, then Markov + kNN wins and says so', async () => {
    // Given
    const markov = new VariableOrderMarkov({ maxOrder: 1, vocabularySize: 16 });
    const knn = SessionKnnPredictor.create({ neighbours: 20 }, markov);
    for (const s of sessions(200)) {
      markov.observeSession(s);
      knn.observeSession(s);
    }
    // When
    const r = await selectMixture({ markov, knn }, positions(sessions(40)), positions(sessions(40)), 16);
    // Then
    expect(r.candidates.map((c) => `${c.name}/${c.fit}`)).toEqual(['markov/likelihood', 'markov+knn/likelihood', 'markov+knn/rank']);
    expect(r.chosen.name).toBe('markov+knn');
    const [m, mk] = r.candidates;
    expect(mk!.scores.hit1).toBeGreaterThan(m!.scores.hit1);
    expect(mk!.scores.nll).toBeLessThan(m!.scores.nll);
    expect(r.testPositions).toBe(80);
  });

  it('given nothing beyond what Markov sees, when compared, then Markov alone is kept (ties keep the simpler model)', async () => {
    const markov = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: 16 });
    for (const s of sessions(200)) markov.observeSession(s);
    const uniform = { vocabularySize: 16, predictBatch: (h: readonly unknown[]) => new Float32Array(h.length * 16).fill(1 / 16) };
    const r = await selectMixture({ markov, rnn: uniform }, positions(sessions(40)), positions(sessions(40)), 16);
    expect(r.candidates.map((c) => `${c.name}/${c.fit}`)).toEqual(['markov/likelihood', 'markov+rnn/likelihood', 'markov+rnn/rank']);
    expect(r.chosen.name).toBe('markov');
  });
});

describe('MixturePredictor', () => {
  it('given Markov and kNN parts, when asked, then it mixes their distributions by the bucket weights into a proper distribution', async () => {
    const { MixturePredictor } = await import('./ensemble');
    const markov = new VariableOrderMarkov({ maxOrder: 1, vocabularySize: 6 });
    const knn = SessionKnnPredictor.create({}, markov);
    for (const s of [
      [1, 2],
      [1, 3, 4],
      [1, 2],
    ]) {
      markov.observeSession(s);
      knn.observeSession(s);
    }
    const weights: MixtureWeights = { version: 2, components: ['markov', 'knn'], lengthBuckets: 1, evidenceBuckets: 1, weights: [0.3, 0.7], repeat: [1, 1] };
    const mix = new MixturePredictor(markov, weights, knn);
    const m = new Float64Array(6);
    const k = new Float64Array(6);
    const out = new Float64Array(6);
    markov.distribution([1], m);
    knn.distribution([1], k);
    mix.distribution([1], out);
    out.forEach((p, a) => expect(p).toBeCloseTo(0.3 * m[a]! + 0.7 * k[a]!, 12));
    expect(out.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    expect(mix.name).toBe('markov+knn');
    expect(mix.predict([1], 1)[0]!.action).toBe(2);
    expect(() => new MixturePredictor(markov, { ...weights, components: ['markov', 'rnn'] })).toThrow(/rnn/);
  });
});
