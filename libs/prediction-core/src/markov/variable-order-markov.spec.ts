import { seededRng } from '@foresight/random';
import { createFirstOrderMarkov } from './first-order';
import { VariableOrderMarkov, type Smoothing } from './variable-order-markov';

/** Transitions 1→2, 1→2, 1→3, 2→3, 3→1 over a vocabulary of 5 actions. */
function handModel(smoothing: Smoothing, extra: Partial<ConstructorParameters<typeof VariableOrderMarkov>[0]> = {}): VariableOrderMarkov {
  const m = new VariableOrderMarkov({ maxOrder: 1, smoothing, anchorSessionStart: false, vocabularySize: 5, ...extra });
  m.observeSession([1, 2, 3, 1, 2]);
  m.observeSession([1, 3]);
  return m;
}

function dense(m: VariableOrderMarkov, history: number[]): number[] {
  const out = new Float64Array(m.vocabularySize);
  m.distribution(history, out);
  return [...out];
}

describe('VariableOrderMarkov', () => {
  it('PPM-C: escapes with t/(n+t) and excludes actions already predicted by the higher order', () => {
    const p = dense(handModel('ppm-c'), [1]);
    // order 1 ctx (1): {2:2, 3:1}, n=3, t=2 → 2/5, 1/5, escape 2/5
    // order 0 without {2,3}: {1:1} → 2/5 · 1/2 = 1/5, escape 1/2 → uniform over {0,4}: 1/10 each
    expect(p).toEqual([0.1, 0.2, 0.4, 0.2, 0.1].map((x) => expect.closeTo(x, 12)));
  });

  it('PPM-D: predicts (c − ½)/n and escapes with t/(2n)', () => {
    const p = dense(handModel('ppm-d'), [1]);
    // order 1: 2 → 1.5/3 = 1/2, 3 → 0.5/3 = 1/6, escape 2/6 = 1/3
    // order 0 without {2,3}: {1:1} → 1/3 · 0.5 = 1/6, escape 1/3 · 1/2 = 1/6 → uniform 1/12 each
    expect(p).toEqual([1 / 12, 1 / 6, 1 / 2, 1 / 6, 1 / 12].map((x) => expect.closeTo(x, 12)));
  });

  it('interpolated: mixes discounted counts of every order with the lower-order distribution', () => {
    const p = dense(handModel('interpolated', { discount: 0.5 }), [1]);
    // order 0: n=5, t=3, γ=0.3; p0 = [0.06, 0.16, 0.36, 0.36, 0.06]
    // order 1: n=3, t=2, γ=1/3; p(2) = 0.5 + 0.12, p(3) = 1/6 + 0.12, others p0/3
    expect(p).toEqual([0.02, 0.16 / 3, 0.62, 1 / 6 + 0.12, 0.02].map((x) => expect.closeTo(x, 12)));
  });

  it('backs off to lower orders for an unseen context', () => {
    const m = handModel('ppm-c');
    // ctx (4) never seen → order 0: {2:2, 3:2, 1:1}, n=5, t=3 → 2/8, 2/8, 1/8; escape 3/8 over {0, 4}
    expect(dense(m, [4])).toEqual([3 / 16, 1 / 8, 1 / 4, 1 / 4, 3 / 16].map((x) => expect.closeTo(x, 12)));
  });

  it('uses the longest matching context first (orders 1..K)', () => {
    const m = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: 4 });
    for (let i = 0; i < 5; i++) m.observeSession([1, 2, 3]);
    for (let i = 0; i < 5; i++) m.observeSession([3, 2, 1]);
    expect(m.predict([1, 2], 1)[0]!.action).toBe(3);
    expect(m.predict([3, 2], 1)[0]!.action).toBe(1);
  });

  it('anchors the session start so "first action" contexts differ from mid-session ones', () => {
    const m = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: 4 });
    for (let i = 0; i < 5; i++) m.observeSession([1, 2]);
    for (let i = 0; i < 6; i++) m.observeSession([3, 1, 3]);
    expect(m.predict([1], 1)[0]!.action).toBe(2);
    expect(m.predict([3, 1], 1)[0]!.action).toBe(3);
    const plain = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: 4, anchorSessionStart: false });
    for (let i = 0; i < 5; i++) plain.observeSession([1, 2]);
    for (let i = 0; i < 6; i++) plain.observeSession([3, 1, 3]);
    expect(plain.predict([1], 1)[0]!.action).toBe(3);
  });

  it.each<Smoothing>(['ppm-c', 'ppm-d', 'interpolated'])('%s: distributions sum to 1 and top-N matches the dense ranking', (smoothing) => {
    const rng = seededRng(7);
    const m = new VariableOrderMarkov({ maxOrder: 3, smoothing, vocabularySize: 40 });
    for (let s = 0; s < 300; s++) {
      const len = 2 + Math.floor(rng() * 10);
      const session = [Math.floor(rng() * 30)];
      for (let i = 1; i < len; i++) session.push(rng() < 0.6 ? (session[i - 1]! * 7 + 3) % 30 : Math.floor(rng() * 30));
      m.observeSession(session);
    }
    for (let q = 0; q < 50; q++) {
      const history = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => Math.floor(rng() * 32));
      const p = dense(m, history);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      const order = p.map((x, a) => ({ a, x })).sort((u, v) => v.x - u.x || u.a - v.a);
      const top = m.predict(history, 5);
      expect(top.map((t) => t.p)).toEqual(order.slice(0, 5).map((o) => expect.closeTo(o.x, 12)));
      for (const t of top) expect(m.probabilityAt(history, history.length, t.action)).toBeCloseTo(t.p, 12);
    }
  });

  it.each<Smoothing>(['ppm-c', 'ppm-d'])('%s: top-N matches the dense ranking over a vocabulary mostly unseen, or mostly seen once', (smoothing) => {
    const rng = seededRng(11);
    // Many actions seen once (a long tail, as an item catalogue), so the walk reaches order 0 with a
    // full top-N and a uniform level that may or may not still enter it.
    // With few actions seen (`seen` 12), the uniform level of the unseen ones enters the top 10.
    for (const seen of [1500, 12]) {
      const m = new VariableOrderMarkov({ maxOrder: 2, smoothing, vocabularySize: 3000 });
      for (let s = 0; s < (seen > 100 ? 400 : 20); s++) {
        const len = 2 + Math.floor(rng() * 6);
        const session = [Math.floor(rng() * rng() * seen)];
        for (let i = 1; i < len; i++) session.push(rng() < 0.5 ? (session[i - 1]! * 3 + 1) % seen : Math.floor(rng() * rng() * seen));
        m.observeSession(session);
      }
      for (let q = 0; q < 60; q++) {
        const history = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => Math.floor(rng() * (seen + 100)));
        const p = dense(m, history);
        const order = p.map((x, a) => ({ a, x })).sort((u, v) => v.x - u.x || u.a - v.a);
        for (const n of [3, 10, 20]) expect(m.predict(history, n).map((t) => t.p)).toEqual(order.slice(0, n).map((o) => expect.closeTo(o.x, 12)));
      }
    }
    // Most of a small vocabulary seen once: the few unseen actions share more than a seen-once one.
    const small = new VariableOrderMarkov({ maxOrder: 1, smoothing, vocabularySize: 40 });
    small.observeSession(Array.from({ length: 37 }, (_, i) => i));
    small.observeSession([0, 1, 2, 1, 2]);
    const p = dense(small, [39]);
    const order = p.map((x, a) => ({ a, x })).sort((u, v) => v.x - u.x || u.a - v.a);
    for (const n of [20, 37, 39]) expect(small.predict([39], n).map((t) => t.p)).toEqual(order.slice(0, n).map((o) => expect.closeTo(o.x, 12)));
  });

  it('predictInto writes the same top-N without allocating a result', () => {
    const m = handModel('ppm-c');
    const actions = new Int32Array(8);
    const probs = new Float64Array(8);
    expect(m.predictInto([1], 1, 3, actions, probs)).toBe(3);
    expect([...actions.subarray(0, 3)]).toEqual([2, 1, 3]);
    expect(probs[0]).toBeCloseTo(0.4, 12);
  });

  it('grows the vocabulary with new actions and gives them mass', () => {
    const m = handModel('ppm-c');
    m.observeSession([1, 9]);
    expect(m.vocabularySize).toBe(10);
    const p = dense(m, [1]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[9]).toBeGreaterThan(p[8]!);
  });

  it('stays within its context bound and keeps frequent contexts', () => {
    const m = new VariableOrderMarkov({ maxOrder: 2, maxContexts: 16, vocabularySize: 100 });
    for (let i = 0; i < 30; i++) m.observeSession([1, 2, 3]);
    for (let a = 10; a < 100; a++) {
      m.observeSession([a, a + 1 > 99 ? 0 : a + 1]);
      expect(m.contexts.size).toBeLessThanOrEqual(16);
    }
    expect(m.predict([1, 2], 1)[0]!.action).toBe(3);
  });

  it('first-order baseline conditions on the previous action only', () => {
    const m = createFirstOrderMarkov({ vocabularySize: 5 });
    m.observeSession([1, 2, 3]);
    m.observeSession([4, 2, 4]);
    expect(m.name).toBe('markov-1');
    const p = dense(m, [1, 2]);
    expect(p[3]).toBeCloseTo(p[4]!, 12);
  });

  it('rejects bad arguments with a stable code', () => {
    expect(() => new VariableOrderMarkov({ maxOrder: 0 })).toThrow(expect.objectContaining({ code: 'PREDICTION.INVALID_ARGUMENT' }));
    expect(() => handModel('ppm-c').observe([1], -1)).toThrow(expect.objectContaining({ code: 'PREDICTION.INVALID_ARGUMENT' }));
  });
});
