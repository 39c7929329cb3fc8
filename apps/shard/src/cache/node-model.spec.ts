import { loadConfig } from '@foresight/config';
import { encodeBundle, encodeMarkov, loadHotPathModel, VariableOrderMarkov, Vocabulary } from '@foresight/prediction-core';
import { ManualClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { CacheNodeService } from './cache-node.service';
import { BundleNodeModel } from './node-model';
import type { NodeModel } from './swappable-predictor';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never;

function node(metrics?: Registry) {
  const config = loadConfig('shard', {
    NODE_ENV: 'test',
    FORESIGHT_ORIGINS: JSON.stringify([{ id: 'example', pattern: 'product:{id}', kind: 'http', url: 'http://127.0.0.1:9/items/{key}' }]),
  });
  return new CacheNodeService({ config, nc: {} as NatsConnection, logger: quiet, clock: new ManualClock(Date.now()), metrics });
}

/** A Markov-only bundle over actions a, b, c, d where a is followed by b three times in four. */
async function markovModel() {
  const vocabulary = new Vocabulary();
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => vocabulary.encode(x)) as [number, number, number, number];
  const markov = new VariableOrderMarkov({ maxOrder: 2, vocabularySize: vocabulary.size });
  for (let i = 0; i < 4; i++) markov.observeSession([a, i < 3 ? b : c, d]);
  const bytes = encodeBundle({ kind: 'markov', vocabulary: vocabulary.toJSON(), markov: encodeMarkov(markov), knn: null, rnn: null, mixture: null });
  return loadHotPathModel(bytes);
}

describe('the node-side model', () => {
  it("given a user who always goes from a to c, when the node has seen them, then their plans favour c and other users' do not", async () => {
    const model = new BundleNodeModel(await markovModel(), 16);
    for (let i = 0; i < 200; i++) model.learn('u1', ['a'], 'c');
    expect(model.predict(['a'], 1, null)[0]!.action).toBe('b');
    expect(model.predict(['a'], 1, 'u2')[0]!.action).toBe('b');
    expect(model.predict(['a'], 1, 'u1')[0]!.action).toBe('c');
  });

  it('never predicts the catch-all of unknown actions, and reads an unknown action as it', async () => {
    const model = new BundleNodeModel(await markovModel(), 16);
    const names = model.predict(['never-seen'], 10, null).map((p) => p.action);
    expect(names).not.toContain('<unk>');
    expect(names.every((n) => ['a', 'b', 'c', 'd'].includes(n))).toBe(true);
  });

  it("given a recorded action of a user's session, when the node plans, then the model learns and predicts for that user and the plan is timed by model", async () => {
    const metrics = new Registry();
    const cache = node(metrics);
    const calls: { user: string | null; history: readonly string[]; lookAhead: boolean }[] = [];
    const learned: [string, readonly string[], string][] = [];
    const fake: NodeModel = {
      name: 'markov+knn',
      predict: (history, _n, user, lookAhead) => {
        calls.push({ user, history: [...history], lookAhead });
        return history.length === 1 ? [{ action: 'x', p: 0.9 }] : [];
      },
      learn: (user, history, next) => learned.push([user, [...history], next]),
    };
    cache.setModel('v1', fake);
    cache.recordAction('s1', 'a', { userId: 'u1' });
    cache.recordAction('s1', 'b', { userId: 'u1' });
    cache.recordAction('s2', 'a', {});
    expect(learned).toEqual([['u1', ['a'], 'b']]);
    // Each plan: the session's own history, then the look-ahead from its likely next action.
    expect(calls.map((c) => [c.user, c.history.join(' '), c.lookAhead])).toEqual([
      ['u1', 'a', false],
      ['u1', 'a x', true],
      ['u1', 'a b', false],
      [null, 'a', false],
      [null, 'a x', true],
    ]);
    const text = await metrics.metrics();
    expect(text).toMatch(/foresight_cache_plan_seconds_count\{model="markov\+knn"\} 3/);
  });
});
