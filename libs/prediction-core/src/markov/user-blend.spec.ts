import { UserBlendedMarkov } from './user-blend';
import { VariableOrderMarkov } from './variable-order-markov';

function trainedGlobal(): VariableOrderMarkov {
  const g = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: 6 });
  // Everyone goes 1 → 2.
  for (let i = 0; i < 50; i++) g.observeSession([1, 2]);
  return g;
}

function dense(fill: (out: Float64Array) => void, size: number): number[] {
  const out = new Float64Array(size);
  fill(out);
  return [...out];
}

describe('UserBlendedMarkov', () => {
  it('cold start: a user never seen gets exactly the global distribution', () => {
    const blend = new UserBlendedMarkov(trainedGlobal());
    expect(blend.userWeight('new')).toBe(0);
    expect(dense((o) => blend.distribution('new', [1], o), 6)).toEqual(dense((o) => blend.global.distribution([1], o), 6));
    expect(blend.predict('new', [1], 2)).toEqual(blend.global.predict([1], 2));
  });

  it('weights the user model by λ = maxUserWeight · n / (n + κ)', () => {
    const blend = new UserBlendedMarkov(trainedGlobal(), { priorStrength: 10, maxUserWeight: 0.8, updateGlobal: false });
    for (let i = 0; i < 10; i++) blend.observe('alice', [1], 3);
    expect(blend.userWeight('alice')).toBeCloseTo(0.8 * (10 / 20), 12);
    const g = dense((o) => blend.global.distribution([1], o), 6);
    const u = dense((o) => blend.userModel('alice')!.distribution([1], o), 6);
    const mixed = dense((o) => blend.distribution('alice', [1], o), 6);
    mixed.forEach((p, a) => expect(p).toBeCloseTo(0.4 * u[a]! + 0.6 * g[a]!, 12));
    expect(mixed.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
  });

  it('lets a well-known user override the crowd while others keep the global habit', () => {
    const blend = new UserBlendedMarkov(trainedGlobal(), { priorStrength: 2, maxUserWeight: 0.9 });
    for (let i = 0; i < 40; i++) blend.observe('bob', [1], 4);
    expect(blend.predict('bob', [1], 1)[0]!.action).toBe(4);
    expect(blend.predict('carol', [1], 1)[0]!.action).toBe(2);
  });

  it('exact top-N of the blend matches the dense blend', () => {
    const blend = new UserBlendedMarkov(trainedGlobal(), { priorStrength: 5 });
    blend.observe('dan', [1], 5);
    blend.observe('dan', [5], 3);
    blend.observe('dan', [1, 5], 3);
    for (const h of [[1], [5], [1, 5], [2]]) {
      const d = dense((o) => blend.distribution('dan', h, o), 6);
      const order = d.map((p, a) => ({ a, p })).sort((x, y) => y.p - x.p || x.a - y.a);
      expect(blend.predict('dan', h, 4).map((s) => s.p)).toEqual(order.slice(0, 4).map((o) => expect.closeTo(o.p, 12)));
    }
  });

  it('keeps at most maxUsers personal models, evicting the least recently used', () => {
    const blend = new UserBlendedMarkov(trainedGlobal(), { maxUsers: 2 });
    blend.observe('u1', [1], 2);
    blend.observe('u2', [1], 2);
    blend.predict('u1', [1], 1);
    blend.observe('u3', [1], 2);
    expect(blend.userCount).toBe(2);
    expect(blend.userModel('u2')).toBeUndefined();
    expect(blend.userModel('u1')).toBeDefined();
  });

  it('exposes a per-user view with the common predictor interface', () => {
    const blend = new UserBlendedMarkov(trainedGlobal(), { priorStrength: 1, maxUserWeight: 0.9 });
    const view = blend.forUser('eve');
    for (let i = 0; i < 20; i++) view.observe([1], 5);
    expect(view.predict([1], 1)[0]!.action).toBe(5);
    expect(view.vocabularySize).toBe(6);
  });
});
