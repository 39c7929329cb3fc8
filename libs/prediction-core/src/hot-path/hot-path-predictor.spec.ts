import { encodeBundle } from '../bundle';
import { ComponentRows } from '../ensemble/component-rows';
import { MixturePredictor } from '../ensemble/ensemble';
import { selectMixture, type TargetPosition } from '../ensemble/select';
import { SessionKnnPredictor } from '../knn/knn-predictor';
import { encodeKnn } from '../knn/knn-snapshot';
import { SessionKnn } from '../knn/session-knn';
import { encodeMarkov } from '../markov/snapshot';
import { UserBlendedMarkov } from '../markov/user-blend';
import { VariableOrderMarkov } from '../markov/variable-order-markov';
import type { HistoryRef } from '../rnn/rnn-model';
import { topNOfDistribution } from '../util/top-n';
import { Vocabulary } from '../vocabulary';
import { dropComponent } from './hot-path-predictor';
import { loadHotPathModel } from './load';

jest.setTimeout(60_000);

const VOCAB = 40;
const WINDOW = 4;

/** Deterministic sessions with structure each part can find (a ring walk with jumps). */
function sessions(count: number, seed: number, V = VOCAB): number[][] {
  let x = seed;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => {
    const s = [1 + Math.floor(rnd() * (V - 1))];
    const len = 3 + Math.floor(rnd() * 6);
    while (s.length < len) s.push(rnd() < 0.7 ? 1 + ((s.at(-1)! * 3) % (V - 1)) : 1 + Math.floor(rnd() * (V - 1)));
    return s;
  });
}

/** A stand-in RNN: a fixed function of the last WINDOW actions, normalised; counts its passes. */
class StubRnn {
  readonly window = WINDOW;
  passes = 0;
  disposed = false;
  fail = false;
  constructor(readonly vocabularySize = VOCAB) {}
  predictBatch(histories: readonly HistoryRef[]): Float32Array {
    if (this.fail) throw new Error('backend lost');
    this.passes++;
    const out = new Float32Array(histories.length * this.vocabularySize);
    histories.forEach((h, i) => {
      const row = out.subarray(i * this.vocabularySize, (i + 1) * this.vocabularySize);
      let sum = 0;
      for (let a = 0; a < row.length; a++) {
        let s = 1;
        // Depends on the last WINDOW actions only, as a recurrent network over its window does.
        for (let k = Math.max(0, h.len - WINDOW); k < h.len; k++) s += ((h.seq[k]! * 7 + a * 13 + h.len - k) % 11) / (h.len - k);
        row[a] = Math.exp(s / 2);
        sum += row[a]!;
      }
      for (let a = 0; a < row.length; a++) row[a]! /= sum;
    });
    return out;
  }
  dispose(): void {
    this.disposed = true;
  }
}

function positions(list: readonly number[][], userId: string | null = null): TargetPosition[] {
  return list.flatMap((s) => s.slice(1).map((target, i) => ({ seq: s, len: i + 1, target, userId })));
}

/** Trains every part on synthetic data, fits the mixture the way the service does, and packs a bundle. */
async function trained(components: 'markov+knn' | 'markov+rnn' | 'markov+knn+rnn', V = VOCAB) {
  const train = sessions(V * 10, 7, V);
  const markov = new VariableOrderMarkov({ maxOrder: 3, vocabularySize: V });
  for (const s of train) markov.observeSession(s);
  const knn = new SessionKnnPredictor(new SessionKnn({ maxSessions: 1000, neighbours: 50 }), markov, { exponent: 1.5, weight: 0.8 });
  for (const s of train) knn.index.observeSession(s);
  const rnn = new StubRnn(V);
  const held = positions(sessions(120, 99, V));
  const parts = { markov, knn: components.includes('knn') ? knn : null, rnn: components.includes('rnn') ? rnn : null };
  const selection = await selectMixture(parts, held.slice(0, 200), held.slice(200), V);
  const weights = selection.candidates.find((c) => c.name === components && c.fit === 'likelihood')!.weights;
  const vocabulary = new Vocabulary();
  for (let a = 1; a < V; a++) vocabulary.encode(`a${a}`);
  const bytes = encodeBundle({
    kind: 'ensemble',
    vocabulary: vocabulary.toJSON(),
    markov: encodeMarkov(markov),
    knn: parts.knn ? encodeKnn(knn.index, knn.calibration) : null,
    rnn: parts.rnn ? Uint8Array.from([1, 2, 3]) : null,
    mixture: weights,
  });
  return { markov, knn, rnn, weights, bytes, parts };
}

const queries = sessions(60, 12345).flatMap((s) => s.slice(1).map((_, i) => s.slice(0, i + 1)));

describe('the chosen model on a cache node', () => {
  it.each(['markov+knn', 'markov+rnn', 'markov+knn+rnn'] as const)(
    'given a %s bundle, when the node predicts, then its top-10 equals the evaluation of the same mixture',
    async (kind) => {
      const t = await trained(kind);
      const nodeRnn = new StubRnn();
      const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => nodeRnn });
      expect(loaded.predictor.name).toBe(kind);
      expect(loaded.fallbacks).toEqual([]);
      await loaded.predictor.warm(queries);
      const evaluation = new MixturePredictor(t.markov, t.weights, t.parts.knn, t.parts.rnn);
      expect(evaluation.vocabularySize).toBe(VOCAB);
      for (const h of queries) {
        const node = loaded.predictor.predict(h, 10);
        expect(loaded.predictor.lastRnnUse).toBe(kind.includes('rnn') ? 'used' : 'none');
        const expected = evaluation.predict(h, 10);
        expect(node.map((s) => s.action)).toEqual(expected.map((s) => s.action));
        node.forEach((s, i) => expect(s.p).toBeCloseTo(expected[i]!.p, 6));
      }
    },
  );

  it('given a user the node has seen, when it predicts, then it blends their model exactly as the service evaluation does', async () => {
    const t = await trained('markov+knn+rnn');
    const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => new StubRnn() });
    const blend = new UserBlendedMarkov(t.markov, { updateGlobal: false });
    const habit = [5, 9, 5, 9, 5, 9, 5, 9, 5, 9, 5, 9];
    for (let k = 1; k < habit.length; k++) {
      loaded.predictor.observe('u1', habit.slice(0, k), habit[k]!);
      blend.observe('u1', habit.slice(0, k), habit[k]!);
    }
    // The service evaluation's Markov component for a position of a known user (see chooseModel).
    const rows = new ComponentRows(
      {
        markov: t.markov,
        markovInto: (seq, len, out, userId) => {
          if (userId === null || blend.userWeight(userId) === 0) t.markov.distributionAt(seq, len, out);
          else blend.distribution(userId, Array.prototype.slice.call(seq, 0, len) as number[], out);
        },
        knn: t.knn,
        rnn: t.rnn,
      },
      VOCAB,
    );
    await loaded.predictor.warm(queries);
    const out = new Float64Array(VOCAB);
    let differs = 0;
    for (const h of queries) {
      rows.prepare([{ seq: h, len: h.length }]);
      rows.fill(0, h, h.length, t.weights.components, -1, 'u1');
      rows.applyRepeat(t.weights, h, h.length);
      rows.mix(t.weights, rows.bucket(t.weights, h, h.length), out);
      const expected = topNOfDistribution(out, 10).map((s) => s.action);
      expect(loaded.predictor.predict(h, 10, 'u1').map((s) => s.action)).toEqual(expected);
      if (loaded.predictor.predict(h, 10, null).some((s, i) => s.action !== expected[i])) differs++;
    }
    expect(differs).toBeGreaterThan(0); // the blend changes answers: the user's habit is seen
  });

  it('given a vocabulary of 1,500 actions, when the node ranks without a dense pass, then it ranks exactly as the dense mixture, with and without a user', async () => {
    const V = 1500;
    const t = await trained('markov+knn+rnn', V);
    // Rows kept whole: the evaluation below reads the RNN's full rows (a node keeps the top 1,024 by default).
    const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => new StubRnn(V), rnnRows: { keep: V } });
    const many = sessions(80, 4242, V).flatMap((s) => s.slice(1).map((_, i) => s.slice(0, i + 1)));
    for (let k = 1; k < many[7]!.length; k++) for (let r = 0; r < 40; r++) loaded.predictor.observe('u1', many[7]!.slice(0, k), many[7]![k]!);
    const evaluation = new MixturePredictor(t.markov, t.weights, t.parts.knn, t.parts.rnn);
    for (const [userId, warm] of [
      [null, false],
      [null, true],
      ['u1', true],
    ] as const) {
      if (warm) await loaded.predictor.warm(many);
      for (const h of many) {
        const sparse = loaded.predictor.predict(h, 10, userId);
        const dense = loaded.predictor.predictDense(h, 10, userId);
        expect(sparse.map((s) => s.action)).toEqual(dense.map((s) => s.action));
        sparse.forEach((s, i) => expect(s.p).toBeCloseTo(dense[i]!.p, 12));
        if (warm && userId === null) expect(sparse.map((s) => s.action)).toEqual(evaluation.predict(h, 10).map((s) => s.action));
      }
    }
  }, 60_000);

  it('given a Markov + kNN choice, when loaded, then no RNN is loaded', async () => {
    const t = await trained('markov+knn');
    const loadRnn = jest.fn(async () => new StubRnn());
    const loaded = await loadHotPathModel(t.bytes, { loadRnn });
    expect(loaded.predictor.name).toBe('markov+knn');
    expect(loadRnn).not.toHaveBeenCalled();
  });

  it('given a bundle that lacks the RNN its mixture names, when loaded, then the node serves Markov alone and says why', async () => {
    const t = await trained('markov+knn+rnn');
    const { decodeBundle } = await import('../bundle');
    const bundle = decodeBundle(t.bytes);
    const lacking = encodeBundle({ ...bundle, rnn: null });
    const loaded = await loadHotPathModel(lacking, { loadRnn: async () => new StubRnn() });
    expect(loaded.chosen).toBe('markov+knn+rnn');
    expect(loaded.predictor.name).toBe('markov');
    expect(loaded.fallbacks).toEqual([expect.objectContaining({ part: 'rnn', reason: 'missing' })]);
    for (const h of queries.slice(0, 20)) expect(loaded.predictor.predict(h, 5)).toEqual(t.markov.predict(h, 5));
  });

  it('given an RNN that fails to load, when loaded, then the node serves Markov alone and releases nothing twice', async () => {
    const t = await trained('markov+rnn');
    const loaded = await loadHotPathModel(t.bytes, {
      loadRnn: async () => {
        throw new Error('wasm backend unavailable');
      },
    });
    expect(loaded.predictor.name).toBe('markov');
    expect(loaded.fallbacks).toEqual([{ part: 'rnn', reason: 'load_failed', message: 'wasm backend unavailable' }]);
    expect(loaded.rnn).toBeNull();
  });

  it('given a corrupt kNN snapshot, when loaded, then the node serves Markov alone and does not load the RNN', async () => {
    const t = await trained('markov+knn+rnn');
    const { decodeBundle } = await import('../bundle');
    const broken = encodeBundle({ ...decodeBundle(t.bytes), knn: Uint8Array.from([0xc1]) });
    const loadRnn = jest.fn(async () => new StubRnn());
    const loaded = await loadHotPathModel(broken, { loadRnn });
    expect(loaded.predictor.name).toBe('markov');
    expect(loaded.fallbacks.map((f) => [f.part, f.reason])).toEqual([['knn', 'load_failed']]);
    expect(loadRnn).not.toHaveBeenCalled();
  });

  it('given a history whose RNN row is not computed, when planned, then the other parts answer at once and the row is ready for the next plan', async () => {
    const t = await trained('markov+knn+rnn');
    const rnn = new StubRnn();
    const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => rnn });
    const h = queries[5]!;
    const first = loaded.predictor.predict(h, 10);
    expect(loaded.predictor.lastRnnUse).toBe('pending');
    expect(rnn.passes).toBe(0);
    const without = new MixturePredictor(t.markov, dropComponent(t.weights, 'rnn'), t.knn, null);
    expect(first.map((s) => s.action)).toEqual(without.predict(h, 10).map((s) => s.action));
    await loaded.predictor.warm([]);
    await new Promise((r) => setImmediate(r));
    loaded.predictor.predict(h, 10);
    expect(loaded.predictor.lastRnnUse).toBe('used');
  });

  it('given an RNN that starts failing, when planning continues, then plans are answered without it and it is not asked again', async () => {
    const t = await trained('markov+rnn');
    const rnn = new StubRnn();
    const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => rnn });
    rnn.fail = true;
    loaded.predictor.predict(queries[0]!, 5);
    await loaded.predictor.warm([queries[1]!]);
    expect(loaded.predictor.parts.rnn!.failed).toBe(true);
    rnn.fail = false;
    const markovAlone = new MixturePredictor(t.markov, dropComponent(t.weights, 'rnn'));
    expect(loaded.predictor.predict(queries[2]!, 5)).toEqual(markovAlone.predict(queries[2]!, 5));
    expect(rnn.passes).toBe(0);
  });
});

describe('the RNN row cache', () => {
  it('given many sessions planning in one turn, when rows are computed, then they share forward passes', async () => {
    const t = await trained('markov+rnn');
    const rnn = new StubRnn();
    const loaded = await loadHotPathModel(t.bytes, { loadRnn: async () => rnn, rnnRows: { maxBatch: 64, batchBudgetMs: 60_000 } });
    for (const h of queries.slice(0, 128)) loaded.predictor.predict(h, 5);
    await loaded.predictor.warm([]);
    const distinct = new Set(queries.slice(0, 128).map((h) => h.slice(-WINDOW).join(','))).size;
    // A probe of 8 rows, then passes double while well under their time budget, up to 64 rows.
    let expected = 0;
    for (let left = distinct, size = 8; left > 0; left -= size, size = Math.min(64, size * 2)) expected++;
    expect(rnn.passes).toBe(expected);
    expect(loaded.predictor.parts.rnn!.size).toBe(distinct);
  });
});
