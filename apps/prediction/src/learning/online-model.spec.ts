import { UNKNOWN_INDEX } from '@foresight/prediction-core';
import { OnlineModel, type ActionObservation } from './online-model';

const options = { markovOrder: 2, maxContexts: 1000, maxUsers: 10, maxSessions: 100, windowLength: 4 };

function feed(model: OnlineModel, sessionId: string, actions: readonly string[], userId: string | null = null, from = 1): void {
  actions.forEach((action, i) => model.learn({ sessionId, userId, action, streamVersion: from + i, position: 0 }));
}

describe('OnlineModel', () => {
  it('learns transitions from events and predicts the next action of a session', () => {
    const model = new OnlineModel(options);
    for (let s = 0; s < 5; s++) feed(model, `s${s}`, ['login', 'browse', 'cart', 'checkout']);
    const history = ['login', 'browse'].map((a) => model.vocabulary.lookup(a));
    const top = model.predictMarkov(null, history, 1);
    expect(model.vocabulary.decode(top[0]!.action)).toBe('cart');
    expect(top[0]!.p).toBeGreaterThan(0.5);
  });

  it('ignores an event that is not newer than the last one learned for its session', () => {
    const model = new OnlineModel(options);
    const e: ActionObservation = { sessionId: 's', userId: null, action: 'a', streamVersion: 3, position: 10 };
    expect(model.learn(e)).toBe(true);
    expect(model.learn(e)).toBe(false);
    expect(model.learn({ ...e, streamVersion: 2, position: 9 })).toBe(false);
    expect(model.learned).toBe(1);
    expect(model.skipped).toBe(2);
    expect(model.applied.get('')).toBe(10);
    model.learn({ sessionId: 't', userId: null, action: 'a', streamVersion: 1, position: 4, partition: '32-63' });
    expect([...model.applied]).toEqual([
      ['', 10],
      ['32-63', 4],
    ]);
  });

  it('continues a session from its stored history when it is not in memory', () => {
    const model = new OnlineModel(options);
    model.learn({ sessionId: 's', userId: null, action: 'c', streamVersion: 9, position: 1 }, ['a', 'b']);
    const w = model.windows.get('s')!;
    expect(w.actions.map((i) => model.vocabulary.decode(i))).toEqual(['a', 'b', 'c']);
    // The transition (a, b) → c was learned, not (start) → c.
    const afterAB = model.predictMarkov(null, [model.vocabulary.lookup('a'), model.vocabulary.lookup('b')], 1);
    expect(model.vocabulary.decode(afterAB[0]!.action)).toBe('c');
  });

  it('blends in a user model: a user with a habit gets it ranked first', () => {
    const model = new OnlineModel(options);
    for (let s = 0; s < 40; s++) feed(model, `g${s}`, ['home', 'news']);
    for (let s = 0; s < 30; s++) feed(model, `u${s}`, ['home', 'sport'], 'fan');
    const home = [model.vocabulary.lookup('home')];
    expect(model.vocabulary.decode(model.predictMarkov('fan', home, 1)[0]!.action)).toBe('sport');
    expect(model.vocabulary.decode(model.predictMarkov('stranger', home, 1)[0]!.action)).toBe('news');
    expect(model.blend.userWeight('stranger')).toBe(0);
    expect(model.blend.userWeight('fan')).toBeGreaterThan(0);
  });

  it('keeps the catch-all index 0 for no real action', () => {
    const model = new OnlineModel(options);
    feed(model, 's', ['x', 'y']);
    expect(model.vocabulary.lookup('x')).not.toBe(UNKNOWN_INDEX);
    expect(model.global.vocabularySize).toBe(model.vocabulary.size);
  });
});
