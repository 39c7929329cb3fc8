import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { DEFAULT_KNN_CALIBRATION, type HistoryRef, type MixtureWeights, type RnnModel } from '@foresight/prediction-core';
import { generateSessionId } from '@foresight/session-domain';
import type { StoredAction } from '../learning/actions.repository';
import { OnlineModel } from '../learning/online-model';
import { LIVE_MARKOV, type ServingModel } from '../models/serving-model';
import { Predictor } from './predictor';
import { RnnBatcher } from './rnn-batcher';

const SECRET = 'x'.repeat(40);
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function setup(
  serving: ServingModel = LIVE_MARKOV,
  stored: Record<string, StoredAction[]> = {},
  index: Record<string, { userId: string | null; ended: boolean }> = {},
) {
  const model = new OnlineModel({ markovOrder: 2, maxContexts: 1000, maxUsers: 10, maxSessions: 100, windowLength: 4 });
  const repo = {
    history: async (id: string) => stored[id] ?? [],
    sessionInfo: async (id: string) => index[id],
  };
  const predictor = new Predictor({ model, serving: () => serving, repo, batcher: new RnnBatcher(), idSecret: SECRET, logger: quiet });
  const teach = (sessionId: string, actions: string[]) =>
    actions.forEach((action, i) => model.learn({ sessionId, userId: null, action, streamVersion: i + 1, position: 0 }));
  for (let s = 0; s < 6; s++) teach(`t${s}`, ['login', 'browse', 'cart']);
  teach('t-x', ['login', 'search']);
  return { model, predictor, teach };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    return error instanceof ForesightError ? error.code : 'other';
  }
  return undefined;
}

describe('Predictor', () => {
  it('predicts the next action of a live session, most likely first, with names and the model version', async () => {
    const { predictor, teach } = setup();
    const id = generateSessionId(SECRET);
    teach(id, ['login', 'browse']);
    const r = await predictor.predict(id, 2);
    expect(r.modelVersion).toBe('markov-live');
    expect(r.model).toBe('markov');
    expect(r.historyLength).toBe(2);
    expect(r.predictions[0]!.action).toBe('cart');
    expect(r.predictions).toHaveLength(2);
    expect(r.predictions[0]!.p).toBeGreaterThan(r.predictions[1]!.p);
    expect(r.predictions.map((p) => p.action)).not.toContain('<unk>');
  });

  it('rejects forged and unknown sessions, and ended ones without history', async () => {
    const ended = generateSessionId(SECRET);
    const { predictor } = setup(LIVE_MARKOV, {}, { [ended]: { userId: null, ended: true } });
    expect(await codeOf(predictor.predict('A'.repeat(32), 3))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect(await codeOf(predictor.predict(generateSessionId(SECRET), 3))).toBe(ErrorCodes.SESSION_NOT_FOUND);
    expect(await codeOf(predictor.predict(ended, 3))).toBe(ErrorCodes.SESSION_ENDED);
  });

  it('answers a session with no action yet from the start-of-session distribution', async () => {
    const id = generateSessionId(SECRET);
    const { predictor } = setup(LIVE_MARKOV, {}, { [id]: { userId: 'u', ended: false } });
    const r = await predictor.predict(id, 1);
    expect(r.historyLength).toBe(0);
    expect(r.predictions[0]!.action).toBe('login');
  });

  it('reads the history of a session that is not in memory from the store', async () => {
    const id = generateSessionId(SECRET);
    const stored = [
      { position: 1, partition: '0-63', sessionId: id, streamVersion: 2, action: 'login', userId: null },
      { position: 2, partition: '0-63', sessionId: id, streamVersion: 3, action: 'browse', userId: null },
    ];
    const { predictor } = setup(LIVE_MARKOV, { [id]: stored });
    expect((await predictor.predict(id, 1)).predictions[0]!.action).toBe('cart');
  });

  it('mixes in the RNN of an ensemble, and falls back to Markov when it fails', async () => {
    const id = generateSessionId(SECRET);
    const rnnSays = (action: number) => ({
      vocabularySize: 6,
      predictBatch: (h: readonly HistoryRef[]) => {
        const out = new Float32Array(h.length * 6);
        for (let i = 0; i < h.length; i++) out[i * 6 + action] = 1;
        return out;
      },
    });
    const base = setup();
    const search = base.model.vocabulary.lookup('search');
    const mixture: MixtureWeights = { version: 2, components: ['markov', 'rnn'], lengthBuckets: 1, evidenceBuckets: 1, weights: [0.2, 0.8], repeat: [1, 1] };
    const ensemble: ServingModel = {
      version: 'v3',
      kind: 'ensemble',
      name: 'markov+rnn',
      rnn: rnnSays(search) as unknown as RnnModel,
      mixture,
      knn: null,
      stored: null,
    };
    const { predictor, teach } = setup(ensemble);
    teach(id, ['login', 'browse']);
    const r = await predictor.predict(id, 1);
    expect(r).toMatchObject({ modelVersion: 'v3', model: 'markov+rnn' });
    expect(r.predictions[0]!.action).toBe('search');

    const broken: ServingModel = {
      ...ensemble,
      rnn: {
        vocabularySize: 6,
        predictBatch: () => {
          throw new Error('gone');
        },
      } as unknown as RnnModel,
    };
    const fallback = setup(broken);
    fallback.teach(id, ['login', 'browse']);
    const f = await fallback.predictor.predict(id, 1);
    expect(f).toMatchObject({ modelVersion: 'v3', model: 'markov' });
    expect(f.predictions[0]!.action).toBe('cart');
  });

  it('given a Markov + kNN ensemble, when a session is asked about, then its neighbours vote (never itself) and the answer names the model', async () => {
    // Given: Markov has seen login → browse → cart six times; one other session went login → browse → wishlist.
    const mixture: MixtureWeights = { version: 2, components: ['markov', 'knn'], lengthBuckets: 1, evidenceBuckets: 1, weights: [0.1, 0.9], repeat: [1, 1] };
    const serving: ServingModel = { version: 'v4', kind: 'ensemble', name: 'markov+knn', rnn: null, mixture, knn: DEFAULT_KNN_CALIBRATION, stored: null };
    const { predictor, teach } = setup(serving);
    teach('t-w', ['search', 'compare', 'wishlist']);
    const id = generateSessionId(SECRET);
    teach(id, ['search', 'compare', 'review', 'review2']);
    // When
    const r = await predictor.predict(id, 3);
    // Then: the neighbour that shares the session's actions puts wishlist in the top 3; were the
    // session its own neighbour, its own actions (review, review2) would push wishlist out.
    expect(r).toMatchObject({ modelVersion: 'v4', model: 'markov+knn' });
    expect(r.predictions.map((p) => p.action)).toContain('wishlist');
    expect(r.predictions.map((p) => p.action)).not.toContain('review');
  });
});
